"""BKD's review desk in the browser: a flagged check-in beside the reference photo, decided
with the keyboard, the next one shown at once."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    BKD,
    FACE,
    assert_no_errors,
    bearer,
    context_options,
    enrol_face,
    eventually,
    log_in,
    screenshot,
    stored_checkins,
    watch_errors,
)
from tests.support import photos
from tests.support.factories import TEACHER, checkin_files, meta

expect.set_options(timeout=10_000)


async def flagged_checkin(base_url: str, headers: dict[str, str]) -> dict:
    """A check-in without a GPS fix: the face matches, but BKD must look at it."""
    body = meta(lat=None, lon=None, accuracy_m=None)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/api/v1/checkins",
            files=checkin_files(body, photos.selfie(FACE)),
            headers=headers,
        )
        assert response.status_code == 201, response.text
        checkin_id = response.json()["id"]

        async def settled():
            answer = (await client.get(f"/api/v1/checkins/{checkin_id}", headers=headers)).json()
            return answer if answer["status"] != "pending" else None

        answer = await eventually(settled, within=60)
    assert answer["status"] == "flagged", answer
    return answer


async def test_bkd_decides_flagged_checkins_with_the_keyboard(
    browser: Browser, base_url: str, database_url: str, clean
):
    await enrol_face(base_url, TEACHER.nip, photos.photo(FACE))
    teacher = await bearer(base_url, TEACHER.nip)
    first = await flagged_checkin(base_url, teacher)
    second = await flagged_checkin(base_url, teacher)

    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, BKD.nip)
        await page.get_by_role("link", name="Verifikasi").click()
        review = page.locator("#review")
        await expect(review).to_contain_text(TEACHER.name)
        await expect(review).to_contain_text("Lokasi GPS tidak tersedia")
        await expect(review).to_contain_text("Wajah cocok dengan foto referensi")
        for name in ("Selfie", "Foto referensi"):
            image = review.get_by_role("img", name=name)
            await expect(image).to_have_js_property("complete", True)
            assert await image.evaluate("(img) => img.naturalWidth") > 0, name
        await screenshot(page, "11-review")

        # A accepts; the second record is on screen at once.
        await page.keyboard.press("a")
        await expect(page.get_by_text("1 presensi menunggu keputusan")).to_be_visible()
        # R wants a note first; N goes to it.
        await page.keyboard.press("r")
        await expect(page.locator("#review-note-hint")).to_contain_text("Tulis alasan penolakan")
        await page.locator("#review-accept").focus()
        await page.keyboard.press("n")
        await expect(page.locator("#review-note")).to_be_focused()
        await page.keyboard.type("Latar foto bukan di sekolah")
        await page.locator("#review-reject").click()
        await expect(page.get_by_text("Tidak ada yang perlu diperiksa")).to_be_visible()

        async def decided():
            rows = await stored_checkins(database_url, [first["client_id"], second["client_id"]])
            statuses = {row["client_id"]: row["status"] for row in rows}
            return statuses if "flagged" not in statuses.values() else None

        statuses = await eventually(decided)
        assert statuses == {first["client_id"]: "accepted", second["client_id"]: "rejected"}
        (rejected,) = await stored_checkins(database_url, [second["client_id"]])
        assert "Latar foto bukan di sekolah" in rejected["reasons"][-1]["message"]
        assert_no_errors(page)
    finally:
        await context.close()
