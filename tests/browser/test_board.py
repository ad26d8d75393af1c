"""The command board and a head's today in real Chromium, at 1920 px (a wall) and 360 px (a
phone): live over the event stream, drill-down, charts, a teguran sent and acknowledged, the
reminder; with screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, expect

from backend.core.db import open_engine
from backend.org import demo_data
from tests.browser.conftest import (
    BKD,
    assert_no_errors,
    bearer,
    context_options,
    eventually,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support import people as frames
from tests.support.cctv import location_id
from tests.support.cctv import picture as cctv_picture
from tests.support.factories import TEACHER, by_role, checkin_files, meta

expect.set_options(timeout=15_000)
COMMAND = next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "command"))
HEAD = by_role("kepala_unit", unit_code=TEACHER.unit_code)
WALL = {"width": 1920, "height": 1080}
LOADED = "document.querySelector(\"[data-gerai='MPP-G01'] img\").naturalWidth > 0"


async def accepted_checkin(base_url: str) -> None:
    """A check-in without a fix (flagged), then accepted by BKD: the day counts it."""
    teacher = await bearer(base_url, TEACHER.nip)
    bkd = await bearer(base_url, BKD.nip)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        body = meta(lat=None, lon=None, accuracy_m=None)
        created = await client.post("/api/v1/checkins", files=checkin_files(body), headers=teacher)
        assert created.status_code == 201, created.text
        checkin_id = created.json()["id"]

        async def flagged():
            answer = await client.get(f"/api/v1/checkins/{checkin_id}", headers=teacher)
            return answer.json()["status"] == "flagged"

        await eventually(flagged, within=60)
        decided = await client.post(
            f"/api/v1/reviews/{checkin_id}",
            json={"decision": "accept", "note": "Sinyal buruk"},
            headers=bkd,
        )
        assert decided.status_code == 200, decided.text


async def test_the_board_on_a_wall_updates_live_and_drills_down_on_a_phone(
    browser: Browser, base_url: str, clean
):
    wall = await browser.new_context(
        **{
            **context_options(base_url),
            "viewport": WALL,
            "device_scale_factor": 1,
            "is_mobile": False,
            "has_touch": False,
        }
    )
    try:
        page = await wall.new_page()
        watch_errors(page)
        await log_in(page, COMMAND.nip)
        await page.goto("/#/papan")
        await expect(page.locator("#board-live")).to_have_text("Langsung · diperbarui otomatis")
        summary = page.locator("#board-summary")
        await expect(summary).to_contain_text("Pemerintah Kabupaten Blora")
        await expect(page.locator("#chart-presence rect")).to_have_count(30)
        await expect(page.locator("#chart-weekday")).to_be_visible()
        # The MPP's gerai from the registry (the demo seeds them), each with its state.
        await expect(page.locator("#board-gerai")).to_contain_text("Gerai Disdukcapil")
        present = summary.locator(".fig-ok .figure-n")
        before = int(await present.inner_text())

        await accepted_checkin(base_url)  # the wall is told through the stream, no reload
        await expect(present).to_have_text(str(before + 1))
        # Side by side on the wall, every section in view without scrolling.
        box = {
            name: await page.locator(f"#board-{name}").bounding_box()
            for name in ("summary", "units", "trends", "watch", "gerai")
        }
        assert box["units"]["x"] < box["trends"]["x"] < box["watch"]["x"], box
        assert box["summary"]["y"] < box["units"]["y"], box
        assert all(b["y"] + b["height"] <= WALL["height"] for b in box.values()), box
        await screenshot(page, "board-wall-1920", whole=False)
        assert_no_errors(page)
    finally:
        await wall.close()

    phone = await browser.new_context(**context_options(base_url))
    try:
        page = await phone.new_page()
        watch_errors(page)
        await log_in(page, COMMAND.nip)
        await page.goto("/#/papan")
        await expect(page.locator("#board-live")).to_have_text("Langsung · diperbarui otomatis")
        await page.locator("[data-unit='DISDIK'] button").click()
        await expect(page.locator("#board-crumbs")).to_contain_text("Dinas Pendidikan")
        await page.locator(f"[data-unit='{TEACHER.unit_code}'] button").click()
        await expect(page.locator("#board-summary .fig-ok .figure-n")).to_have_text("1")
        await expect(page.locator("#board-units")).to_contain_text("Tidak ada unit di bawahnya")
        # The watch list follows the drill-down: only the school's people.
        for row in await page.locator("#board-watch [data-nip]").all():
            assert TEACHER.unit_code in await row.inner_text()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width  # nothing runs off a 360 px screen
        await screenshot(page, "board-phone-360")

        await page.locator("#teguran-open").click()
        await page.locator("#teguran-message").fill("Mohon perhatikan kehadiran guru.")
        await page.get_by_role("button", name="Kirim", exact=True).click()
        await expect(page.locator("#toast")).to_contain_text(HEAD.name)
        await (
            page.locator("[aria-current='page']", has_text="Pemerintah")
            .or_(page.locator("#board-crumbs button").first)
            .first.click()
        )
        await expect(page.locator("#board-summary")).to_contain_text("Pemerintah Kabupaten Blora")
        assert_no_errors(page)
    finally:
        await phone.close()

    head = await browser.new_context(**context_options(base_url))
    try:
        page = await head.new_page()
        watch_errors(page)
        await log_in(page, HEAD.nip)
        await expect(page.locator("#tabs")).to_contain_text("Hari ini")
        await expect(page.locator("#tabs")).not_to_contain_text("Papan")
        await page.goto("/#/hari-ini")
        teacher = page.locator(f"#today-staff [data-nip='{TEACHER.nip}']")
        await expect(teacher).to_contain_text("Masuk")
        await expect(page.locator("#chart-month")).to_be_visible()
        inbox = page.locator("#teguran-inbox")
        await expect(inbox).to_contain_text("Mohon perhatikan kehadiran guru.")
        remind = page.locator("#remind")
        if await remind.is_enabled():
            await remind.click()
            await expect(page.locator("#toast")).to_contain_text("Pengingat dikirim")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        await screenshot(page, "today-phone-360")
        await inbox.get_by_role("button", name="Sudah saya baca").click()
        await expect(inbox).to_contain_text("Dikonfirmasi")
        assert_no_errors(page)
    finally:
        await head.close()


async def test_a_gerai_tile_shows_its_latest_cctv_snapshot_on_a_wall_and_a_phone(
    browser: Browser, base_url: str, clean
):
    """A camera watching the Disdukcapil gerai pushes a snapshot; the board's tile shows it
    (a signed link made for the viewer), its time and the queue load; other tiles have none."""
    try:
        picture = frames.frame(0)  # a real CCTV frame
    except frames.Unavailable:
        picture = cctv_picture(768, 432)
    admin = await bearer(base_url, by_role("admin").nip)
    async with open_engine(clean):
        location = await location_id()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        created = await client.post(
            "/api/v1/cctv/cameras",
            json={
                "code": "CAM-DUKCAPIL",
                "name": "Gerai Disdukcapil",
                "location_id": location,
                "mode": "push",
                "gerai": "MPP-G01",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        pushed = await client.post(
            "/api/v1/cctv/snapshots",
            content=picture,
            headers={"Content-Type": "image/jpeg"},
            auth=("CAM-DUKCAPIL", created.json()["key"]),
        )
        assert pushed.status_code == 202, pushed.text
    for viewport, name in ((WALL, "board-gerai-thumb-1920"), (None, "board-gerai-thumb-360")):
        options = context_options(base_url)
        if viewport:
            options = {
                **options,
                "viewport": viewport,
                "device_scale_factor": 1,
                "is_mobile": False,
                "has_touch": False,
            }
        context = await browser.new_context(**options)
        try:
            page = await context.new_page()
            watch_errors(page)
            await log_in(page, COMMAND.nip)
            await page.goto("/#/papan")
            tile = page.locator("#board-gerai [data-gerai='MPP-G01']")
            image = tile.locator(".gerai-thumb img")
            await expect(image).to_have_attribute("src", re.compile(r"/cctv/CAM-DUKCAPIL/"))
            await expect(tile.locator("figcaption")).to_contain_text("CCTV")
            # The picture really loads (same origin, allowed by the CSP; lazily: once in view).
            await tile.scroll_into_view_if_needed()
            await eventually(lambda page=page: page.evaluate(LOADED))
            # Other gerai have no camera: no picture, the board as before.
            others = page.locator("#board-gerai li:not([data-gerai='MPP-G01']) img")
            await expect(others).to_have_count(0)
            if viewport is None:
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360, width
            await screenshot(page, name, whole=viewport is None)
            assert_no_errors(page)
        finally:
            await context.close()
