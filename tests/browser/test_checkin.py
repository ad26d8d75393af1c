"""Checking in from the PWA in a real browser: fake camera with a real face, emulated GPS, the
real server verifying the selfie."""

from __future__ import annotations

import asyncio
import io
import math
import re
import uuid

from PIL import Image
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    FACE,
    PHONE,
    assert_no_errors,
    camera_ready,
    check_in,
    enrol_face,
    log_in,
    screenshot,
    stored_checkins,
    stored_selfie,
)
from tests.support import photos
from tests.support.factories import TEACHER, school_point

expect.set_options(timeout=10_000)

RADIUS_M = 90  # the demo school's fence: a circle around school_point()


def east_of_school(metres: float) -> tuple[float, float]:
    lon, lat = school_point()
    return lon + metres / (111_319.49 * math.cos(math.radians(lat))), lat


async def assert_phone_friendly(page: Page) -> None:
    """Fits 360 px without sideways scrolling; every control is a 44 px touch target and has a
    name."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width} px wide"
    small = await page.evaluate(
        """() => [...document.querySelectorAll('button, a[href], input, select, textarea')]
            .filter((el) => el.offsetParent !== null && !el.classList.contains('sr-only'))
            .map((el) => ({el, box: el.getBoundingClientRect()}))
            .filter(({box}) => box.right > 0)  // the skip link waits off-screen for focus
            .filter(({box}) => box.height < 44 || box.width < 44)
            .map(({el, box}) => `${el.tagName} "${el.textContent.trim() || el.id}" `
                 + `${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == [], f"touch targets under 44 px: {small}"
    unnamed = await page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((el) => el.type !== 'file' && !el.labels.length
                            && !el.getAttribute('aria-label'))
            .map((el) => el.id || el.name)"""
    )
    assert unnamed == [], f"inputs without a label: {unnamed}"


def is_checkin_post(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/api/v1/checkins")


async def test_check_in_inside_the_fence_matches_the_face_and_a_still_camera_fails_liveness(
    page: Page, base_url, database_url, server_env
):
    """The camera path end to end. The fake camera plays one still photo: the face matches, but
    a still picture cannot turn its head, so the head-turn challenge flags it for BKD (an
    accepted record is the picked-photo path: test_rough_edges.py)."""
    await enrol_face(base_url, TEACHER.nip, photos.photo(FACE))
    await page.goto("/")
    await expect(page.locator("#nip")).to_be_visible()
    await assert_phone_friendly(page)
    await screenshot(page, "01-login")

    await log_in(page)
    await expect(page.locator("#where")).to_have_text(re.compile(r"^Anda di dalam area "))
    await expect(page.locator("#accuracy")).to_contain_text("±12 m")
    await expect(page.locator("svg.map circle.me")).to_have_count(1)
    await assert_phone_friendly(page)
    await screenshot(page, "02-home")

    # What the phone shows with the camera open: the shutter within thumb's reach.
    await page.locator("#check-in").click()
    await camera_ready(page)
    await expect(page.locator("#shoot")).to_be_in_viewport()
    await assert_phone_friendly(page)
    await screenshot(page, "02-camera", whole=False)
    async with page.expect_response(is_checkin_post) as sent:
        await page.locator("#shoot").click()
    response = await sent.value
    assert response.status == 201
    answer = await response.json()
    result = page.locator("#result")
    await expect(result.locator(".chip")).to_have_text("Diperiksa BKD", timeout=90_000)
    await expect(result).to_contain_text("Wajah cocok dengan foto referensi")
    await expect(result).to_contain_text("Tantangan gerak kepala gagal")
    await expect(page.locator("#sync")).to_have_text("Semua terkirim")
    await screenshot(page, "03-checked-in")

    # One small multipart request with the phone's fix and a JPEG shrunk on the phone.
    sizes = await response.request.sizes()
    assert sizes["requestBodySize"] < 100_000, sizes
    uuid.UUID(answer["client_id"])
    (row,) = await stored_checkins(database_url, [answer["client_id"]])
    lon, lat = school_point()
    assert row["kind"] == "in"
    assert (row["lon"], row["lat"], row["accuracy_m"]) == (lon, lat, 12)
    assert row["captured_at"] <= row["sent_at"] <= row["received_at"]
    assert row["status"] == "flagged"
    assert [r["code"] for r in row["reasons"]] == ["inside_fence", "face_match", "liveness_failed"]
    jpeg = stored_selfie(server_env, answer, TEACHER.nip)
    selfie = Image.open(io.BytesIO(jpeg))
    assert selfie.format == "JPEG" and max(selfie.size) == 480, selfie.size
    assert len(jpeg) < 100_000

    await page.get_by_role("link", name="Riwayat").click()
    mine = page.locator("#day-list li").filter(has_text="Wajah cocok")
    await expect(mine.first).to_be_visible()
    await expect(mine.first.locator(".chip")).to_have_text("Diperiksa BKD")
    await assert_phone_friendly(page)
    await screenshot(page, "06-history")
    assert_no_errors(page)


async def test_check_in_outside_the_fence_is_rejected_with_the_distance(
    page: Page, context, database_url
):
    lon, lat = east_of_school(RADIUS_M + 120)
    await context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 10})
    await page.goto("/")
    await log_in(page)
    where = page.locator("#where")
    await expect(where).to_have_text(re.compile(r"^Anda 1[12]\d m di luar area Halaman SD"))
    shown = int(re.search(r"Anda (\d+) m", await where.inner_text()).group(1))
    assert abs(shown - 120) <= 1
    await screenshot(page, "04-outside")

    # The phone says so before the selfie; sent on purpose all the same, the server refuses it.
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        answers.append(asyncio.ensure_future(dialog.accept()))

    answers: list[asyncio.Future[None]] = []
    page.once("dialog", accept)
    await check_in(page)
    assert asked and "di luar area" in asked[0], asked
    result = page.locator("#result")
    await expect(result.locator(".chip")).to_have_text("Ditolak", timeout=30_000)
    await expect(result).to_contain_text(re.compile(r"Di luar area presensi: 1[12]\d m dari"))
    await screenshot(page, "05-rejected")
    assert_no_errors(page)


async def test_no_location_fix_is_said_and_sent_as_null(browser, base_url, database_url):
    # No geolocation permission: the phone gives no fix at all.
    context = await browser.new_context(
        viewport=PHONE, base_url=base_url, permissions=["camera"], locale="id-ID"
    )
    try:
        page = await context.new_page()
        await page.goto("/")
        await log_in(page)
        await expect(page.locator("#where")).to_contain_text("Izin lokasi ditolak")
        async with page.expect_response(is_checkin_post) as sent:
            await check_in(page)
        answer = await (await sent.value).json()
        assert (answer["lat"], answer["lon"], answer["accuracy_m"]) == (None, None, None)
        await expect(page.locator("#result")).to_contain_text("Lokasi GPS tidak tersedia")
        (row,) = await stored_checkins(database_url, [answer["client_id"]])
        assert (row["lat"], row["lon"], row["accuracy_m"]) == (None, None, None)
    finally:
        await context.close()
