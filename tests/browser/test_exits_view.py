"""The exit-camera screen ("Keluar kantor tanpa izin") in real Chromium: a school's head opens it
from "Akun" at 360 px and reads their teacher's events newest first, with the camera's picture
(a signed, logged link), the match in words and no raw numbers, a page at a time; BKD opens it
at 1366 px by the notification's link and sees the numbers small; another school's head sees
none; a plain ASN cannot open it.

The camera's frame is pushed through the real API (so the picture is a real object in S3);
the events are stored as `ExitWatch._record` stores them (their identification from real faces
is covered by tests/integration/cctv/test_exits.py), so that there are enough for two pages.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
import httpx
from playwright.async_api import Browser, expect

from backend.org import demo_data
from tests.browser.conftest import (
    assert_no_errors,
    bearer,
    context_options,
    eventually,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support.cctv import push
from tests.support.exits import exit_frame
from tests.support.factories import TEACHER, by_role

expect.set_options(timeout=15_000)
HEAD = by_role("kepala_unit", unit_code=TEACHER.unit_code)
OTHER_HEAD = by_role("kepala_unit", unit_code="SMPN-TODANAN-1")
BKD = by_role("bkd")
EVENTS = 25  # the screen asks for 20 at a time: two pages
# Tuesday 10:00 WIB (03:00 UTC), one event an hour back from there.
LATEST = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
CSP_REPORT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


async def stored_events(base_url: str, database_url: str) -> None:
    """An exit camera at the teacher's school with one real pushed frame, and EVENTS exit
    events of the teacher on it, the newest seen twice (distances and margins as the
    identification leaves them: within the strict tolerance, over the margin)."""
    location = next(loc.code for loc in demo_data.LOCATIONS if loc.unit_code == TEACHER.unit_code)
    conn = await asyncpg.connect(database_url)
    try:
        location_id = await conn.fetchval(
            "SELECT id FROM geofence_location WHERE code = $1", location
        )
        teacher_id = await conn.fetchval("SELECT id FROM org_employee WHERE nip = $1", TEACHER.nip)
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            created = await client.post(
                "/api/v1/cctv/cameras",
                json={
                    "code": "CAM-PINTU",
                    "name": "Pintu keluar sekolah",
                    "location_id": location_id,
                    "mode": "push",
                    "exit": True,
                },
                headers=await bearer(base_url, by_role("admin").nip),
            )
            assert created.status_code == 201, created.text
            camera_id = created.json()["camera"]["id"]
            pushed = await push(client, "CAM-PINTU", created.json()["key"], exit_frame("obama.jpg"))
            assert pushed.status_code == 202, pushed.text
            snapshot_id = pushed.json()["id"]
        rows = []
        for n in range(EVENTS):
            seen = LATEST - dt.timedelta(hours=n)
            # The newest: a sure match seen twice; then unsure ones and one with no runner-up.
            distance, margin = [(0.25, 0.3), (0.40, 0.12), (0.30, None)][n % 3]
            last = seen + dt.timedelta(minutes=2) if n == 0 else seen
            rows.append(
                (
                    camera_id,
                    snapshot_id,
                    snapshot_id,
                    teacher_id,
                    location_id,
                    seen,
                    last,
                    2 if n == 0 else 1,
                    distance,
                    margin,
                    seen,
                )
            )
        await conn.executemany(
            "INSERT INTO cctv_exit (camera, snapshot, last_snapshot, employee_id, location_id, "
            "seen_at, last_seen_at, sightings, distance, margin, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            rows,
        )
    finally:
        await conn.close()


async def image_loaded(page, index: int = 0) -> bool:
    """The item's picture arrived whole (the camera's 1280x720 frame); lazy, so polled."""
    image = page.locator(".exit-photo img").nth(index)
    return await eventually(
        lambda: image.evaluate(
            "img => img.complete && img.naturalWidth === 1280 && img.naturalHeight === 720"
        ),
        within=15,
    )


async def test_the_head_pages_through_exit_events_with_pictures_and_words(
    browser: Browser, base_url: str, database_url: str, clean
):
    await stored_events(base_url, database_url)
    context = await browser.new_context(**context_options(base_url))
    await context.add_init_script(CSP_REPORT)
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, HEAD.nip)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await page.locator("#open-exits").click()
        await expect(page.locator("#exit-title")).to_have_text("Keluar kantor tanpa izin")
        assert await page.title() == "Keluar kantor tanpa izin · hadir"
        await expect(page.locator("#exit-purpose")).to_contain_text("UU PDP")
        await expect(page.locator("#exit-purpose")).to_contain_text("bukan sanksi otomatis")
        await expect(page.locator("#exit-evidence")).to_contain_text("bukti pendukung")
        await expect(page.locator("#exit-evidence")).to_contain_text("bukan sanksi")

        items = page.locator(".exit-item")
        await expect(items).to_have_count(20)
        first = items.nth(0)
        await expect(first.locator(".exit-name")).to_have_text(TEACHER.name)
        await expect(first.locator(".exit-nip")).to_have_text(f"NIP {TEACHER.nip}")
        # Newest first, in the school's zone (WIB): 03:00 UTC is 10.00 WIB.
        await expect(first.locator("dd").nth(0)).to_contain_text("10.00 WIB")
        await expect(first.locator("dd").nth(0)).to_contain_text("24 Nov 2026")
        await expect(items.nth(1).locator("dd").nth(0)).to_contain_text("09.00 WIB")
        await expect(first.locator("dd").nth(1)).not_to_have_text("–")  # the unit's name
        await expect(first.locator("dd").nth(2)).to_have_text("Wajah sangat mirip")
        await expect(items.nth(1).locator("dd").nth(2)).to_contain_text("periksa gambarnya")
        await expect(first.locator("dd").nth(3)).to_have_text(
            "Terlihat 2 kali, terakhir pukul 10.02 WIB"
        )
        await expect(items.nth(1).locator("dd").nth(3)).to_have_text("Terlihat 1 kali")
        # Words for the head, no raw distances.
        await expect(page.locator(".exit-numbers")).to_have_count(0)
        assert await image_loaded(page, 0)
        # The page fits a 360 px phone: nothing wider than the screen.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await screenshot(page, "70-exits-head-360", whole=False)

        more = page.locator("#exit-more")
        await expect(more).to_have_text("Muat berikutnya")
        await more.click()
        await expect(items).to_have_count(EVENTS)
        await expect(more).to_be_hidden()
        # The second page continues where the first stopped, with no repeats.
        ids = [await items.nth(i).get_attribute("data-id") for i in range(EVENTS)]
        assert len(set(ids)) == EVENTS
        await expect(items.nth(20).locator("dd").nth(0)).to_contain_text("14.00 WIB")
        await expect(items.nth(20).locator("dd").nth(0)).to_contain_text("23 Nov 2026")
        await items.nth(EVENTS - 1).scroll_into_view_if_needed()
        assert await image_loaded(page, EVENTS - 1)
        await screenshot(page, "71-exits-head-second-page")
        assert_no_errors(page)
        # The pictures and the screen live under the strict CSP (same origin, no inline style).
        assert await page.evaluate("window.__csp") == []

        # Every image link handed out was logged with the exit purpose (UU PDP).
        conn = await asyncpg.connect(database_url)
        try:
            logged = await conn.fetchval(
                "SELECT count(*) FROM faces_photo_access WHERE purpose = 'cctv_exit'"
            )
        finally:
            await conn.close()
        assert logged == EVENTS
    finally:
        await context.close()


async def test_bkd_sees_numbers_at_1366_and_others_see_none(
    browser: Browser, base_url: str, database_url: str, clean
):
    await stored_events(base_url, database_url)
    wide = {**context_options(base_url), "viewport": {"width": 1366, "height": 800}}
    wide.update(is_mobile=False, has_touch=False, device_scale_factor=1)
    context = await browser.new_context(**wide)
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, BKD.nip)
        # The notification's link (backend/cctv/exits.py SCREEN_URL) opens the screen.
        await page.goto("/#/keluar-kantor")
        items = page.locator(".exit-item")
        await expect(items).to_have_count(20)
        await expect(items.nth(0).locator(".exit-numbers")).to_have_text(
            "jarak 0,25 · selisih 0,30"
        )
        await expect(items.nth(2).locator(".exit-numbers")).to_have_text(
            "jarak 0,30 · tanpa pembanding"
        )
        assert await image_loaded(page, 0)
        # Side by side at this width: the picture left of the facts.
        photo = await items.nth(0).locator(".exit-photo").bounding_box()
        facts = await items.nth(0).locator(".exit-body").bounding_box()
        assert photo and facts and facts["x"] >= photo["x"] + photo["width"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= 1366
        await screenshot(page, "72-exits-bkd-1366", whole=False)
        assert_no_errors(page)
    finally:
        await context.close()

    # Another school's head: the screen opens, with nothing of this teacher.
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, OTHER_HEAD.nip)
        await page.goto("/#/keluar-kantor")
        await expect(page.locator("#exit-empty")).to_be_visible()
        await expect(page.locator(".exit-item")).to_have_count(0)
        await expect(page.locator("#exit-more")).to_be_hidden()
        await screenshot(page, "73-exits-other-head-empty")
        assert_no_errors(page)
    finally:
        await context.close()

    # A teacher has no such screen: neither on "Akun" nor by its address.
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, TEACHER.nip)
        await page.goto("/#/keluar-kantor")
        await expect(page.locator("#check-in")).to_be_visible()
        await expect(page.locator("#exit-title")).to_have_count(0)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await expect(page.locator("#account-title")).to_be_visible()
        await expect(page.locator("#open-exits")).to_have_count(0)
        assert_no_errors(page)
    finally:
        await context.close()
