"""The face kiosk in real Chromium: an admin registers a kiosk for a village office on the back
office screen; a landscape tablet opens /#/kiosk, activates with the one-time code and its own
device key, and an employee in front of the fake camera (a real face photo) is identified among
the several enrolled staff of that office and greeted by name, the check-in recorded at the
kiosk's location; taken while the tablet had no signal, the capture waited on it ("Menunggu
sinyal") and was identified when the link came back. A second browser whose camera shows a
stranger is refused, nothing recorded.

A fake camera loops one still picture: the real liveness check sees a flat replay and flags the
record, the stand-in passes it. The assertions hold either way: the greeting names the right
person and the record exists (accepted or flagged); nobody is recorded for the stranger.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright, expect

from tests.browser.conftest import (
    CHROMIUM,
    assert_no_errors,
    bearer,
    context_options,
    enrol_face,
    eventually,
    face_y4m,
    launch_args,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support import photos
from tests.support.factories import by_role

expect.set_options(timeout=30_000)
TABLET = {"width": 1280, "height": 800}
UNIT = "DESA-NGLIRON"
LOCATION = "LOC-DESA-NGLIRON"
ADMIN = by_role("admin")
# Two of the village office's staff, enrolled: the camera's face (obama) and biden.
KADES_NIP, KADES = "197004232009011001", "Suparno"
STAFF_NIP = "198507162012052001"


def tablet_options(base_url: str) -> dict:
    return {
        **context_options(base_url),
        "viewport": TABLET,
        "device_scale_factor": 1,
        "is_mobile": False,
        "has_touch": True,
        "geolocation": None,
        "permissions": ["camera"],
    }


@pytest.fixture
async def staff(base_url: str, database_url: str) -> None:
    """The office's staff with exactly these references (other tests may have enrolled the
    fake camera's face elsewhere, never here)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "DELETE FROM faces_reference WHERE employee IN (SELECT e.id FROM org_employee e "
            "JOIN org_unit u ON u.id = e.unit WHERE u.code = $1)",
            UNIT,
        )
    finally:
        await conn.close()
    await enrol_face(base_url, KADES_NIP, photos.photo("obama2.jpg"))
    await enrol_face(base_url, KADES_NIP, photos.photo("obama3.jpg"))
    await enrol_face(base_url, STAFF_NIP, photos.photo("biden.jpg"))


@pytest.fixture
async def stranger_browser(playwright: Playwright, tmp_path: Path) -> AsyncIterator[Browser]:
    camera = face_y4m(tmp_path / "stranger.y4m", "grace_hopper.jpg")
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=launch_args(camera))
    yield browser
    await browser.close()


async def kiosk_records(database_url: str, kiosk_name: str) -> list[dict]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT c.status, c.kind, c.source, e.nip, l.code AS location FROM attendance_checkin c "
            "JOIN kiosk_kiosk k ON k.id = c.kiosk_id JOIN org_employee e ON e.id = c.employee "
            "JOIN geofence_location l ON l.id = c.location WHERE k.name = $1",
            kiosk_name,
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def activate(page: Page, code: str) -> None:
    await page.goto("/#/kiosk")
    await page.locator("#kiosk-code").fill(code)
    await page.locator("#kiosk-activate").click()
    await page.locator("#kiosk-start").wait_for()
    await eventually(
        lambda: page.evaluate("document.querySelector('video.kiosk-video').videoWidth")
    )


async def test_the_kiosk_greets_the_right_employee_and_refuses_a_stranger(
    browser: Browser, stranger_browser: Browser, base_url: str, database_url: str, staff: None
) -> None:
    # The admin registers the kiosk on the back office screen and reads the code once.
    desk: BrowserContext = await browser.new_context(
        **{**context_options(base_url), "viewport": {"width": 1366, "height": 900}}
    )
    admin = await desk.new_page()
    watch_errors(admin)
    await admin.goto("/")
    await log_in(admin, ADMIN.nip)
    await admin.locator("#tabs").get_by_role("link", name="Akun").click()
    await admin.locator("#open-kiosks").click()
    await admin.locator("#kiosk-new-name").fill("Kiosk Balai Desa")
    await admin.locator("#kiosk-location-search").fill("Ngliron")
    await expect(admin.locator("#kiosk-location option")).to_have_count(1)
    await admin.locator("#kiosk-register").click()
    code = (await admin.locator("#kiosk-activation-code").text_content() or "").strip()
    assert len(code) == 14, code
    await expect(admin.locator("#kiosk-admin-list")).to_contain_text("Menunggu aktivasi")
    assert_no_errors(admin)

    tablet = await browser.new_context(**tablet_options(base_url))
    try:
        page = await tablet.new_page()
        watch_errors(page)
        await activate(page, code)
        await expect(page.locator("#kiosk-name")).to_have_text("Kiosk Balai Desa")
        # No signal at the door: the capture waits on the tablet, identified once it is sent.
        await tablet.set_offline(True)
        await page.locator("#kiosk-start").click()
        await expect(page.locator("#kiosk-list li").first).to_contain_text("Menunggu sinyal")
        assert await kiosk_records(database_url, "Kiosk Balai Desa") == []
        await tablet.set_offline(False)
        result = page.locator("#kiosk-result")
        await expect(result).to_contain_text(KADES)
        await expect(result).to_contain_text("Selamat")
        await expect(result).to_contain_text("Presensi masuk tercatat")
        await expect(page.locator("#kiosk-list li").first).to_contain_text(KADES)
        await screenshot(page, "kiosk-greeting", whole=False)
        records = await kiosk_records(database_url, "Kiosk Balai Desa")
        assert len(records) == 1, records
        [record] = records
        assert record["nip"] == KADES_NIP and record["location"] == LOCATION
        assert record["source"] == "kiosk" and record["kind"] == "in"
        assert record["status"] in ("accepted", "flagged")  # flagged with the real liveness
        assert_no_errors(page)
    finally:
        await tablet.close()

    await admin.reload()
    await expect(admin.locator("#kiosk-admin-list")).to_contain_text("Aktif")
    await desk.close()

    # A second tablet, whose camera shows someone not enrolled at this office.
    headers = await bearer(base_url, ADMIN.nip)
    async with httpx.AsyncClient(base_url=base_url) as client:
        async with asyncpg.create_pool(database_url, min_size=1, max_size=1) as pool:
            location_id = await pool.fetchval(
                "SELECT id FROM geofence_location WHERE code = $1", LOCATION
            )
        created = await client.post(
            "/api/v1/kiosks",
            json={"name": "Kiosk Samping", "location_id": location_id},
            headers=headers,
        )
    assert created.status_code == 201, created.text
    other = await stranger_browser.new_context(**tablet_options(base_url))
    try:
        page = await other.new_page()
        watch_errors(page)
        await activate(page, created.json()["activation_code"])
        await page.locator("#kiosk-start").click()
        result = page.locator("#kiosk-result")
        await expect(result).to_contain_text("Wajah tidak dikenali dengan yakin")
        await expect(result).to_contain_text("silakan presensi dari ponsel Anda")
        await screenshot(page, "kiosk-stranger", whole=False)
        assert await kiosk_records(database_url, "Kiosk Samping") == []
        assert_no_errors(page)
    finally:
        await other.close()
