"""The izin keluar kantor in the permit form: picking it shows the hours (and one date), the
form says in words what is missing or wrong, the request lands with its hours, and the head of
unit sees the hours in Persetujuan."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import assert_no_errors, bearer, log_in, screenshot
from tests.browser.test_permits import PRINCIPAL, my_permits, phone, school_day
from tests.support.factories import TEACHER

expect.set_options(timeout=10_000)


async def test_a_short_leave_is_asked_with_its_hours(browser: Browser, base_url: str, clean):
    day = school_day(10)
    context, page = await phone(browser, base_url)
    head_context = None
    try:
        await log_in(page)
        await page.get_by_role("link", name="Izin", exact=True).click()
        await page.locator("#permit-form").wait_for()
        times = page.locator("#permit-times")
        await expect(times).to_be_hidden()
        await page.locator("#permit-kind").select_option("izin_keluar_kantor")
        await expect(times).to_be_visible()
        await expect(page.locator("#permit-end")).to_be_hidden()  # one day only
        await expect(page.locator("label[for=permit-start]")).to_have_text("Tanggal")
        await expect(page.locator("#permit-times-hint")).to_contain_text("tetap tercatat hadir")

        await page.locator("#permit-start").fill(day.isoformat())
        await page.locator("#permit-reason").fill("Mengurus KTP anak di Dukcapil")
        problem = page.locator("#permit-error")
        await page.locator("#permit-submit").click()
        await expect(problem).to_have_text("Isi jam keluar kantor.")
        await expect(page.locator("#permit-start-time")).to_be_focused()
        await page.locator("#permit-start-time").fill("10:00")
        await page.locator("#permit-submit").click()
        await expect(problem).to_have_text("Isi jam kembali ke kantor.")
        await page.locator("#permit-end-time").fill("09:30")
        await page.locator("#permit-submit").click()
        await expect(problem).to_have_text("Jam kembali harus sesudah jam keluar.")
        await screenshot(page, "12b-izin-keluar-kantor")
        await page.locator("#permit-end-time").fill("11:30")
        await page.locator("#permit-submit").click()
        await expect(problem).to_be_hidden()

        listed = page.locator("#permit-list li").first
        await expect(listed).to_contain_text("Izin keluar kantor")
        await expect(listed).to_contain_text("pukul 10:00–11:30")
        await expect(listed).to_contain_text("Menunggu keputusan")
        (permit,) = await my_permits(base_url, await bearer(base_url, TEACHER.nip))
        assert permit["kind"] == "izin_keluar_kantor"
        assert (permit["start_date"], permit["end_date"]) == (day.isoformat(), day.isoformat())
        assert (permit["start_time"], permit["end_time"]) == ("10:00", "11:30")
        assert_no_errors(page)

        head_context, head = await phone(browser, base_url)
        await log_in(head, PRINCIPAL.nip)
        await head.get_by_role("link", name="Persetujuan").click()
        card = head.locator(f"#inbox [data-permit-id='{permit['id']}']")
        await expect(card).to_contain_text("Izin keluar kantor")
        await expect(card).to_contain_text("pukul 10:00–11:30")
        await card.get_by_role("button", name="Setujui").click()
        await expect(head.locator("#inbox-status")).to_contain_text("Tidak ada permohonan")
        assert_no_errors(head)
        await page.reload()
        await expect(page.locator("#permit-list li").first).to_contain_text("Disetujui")
    finally:
        await context.close()
        if head_context:
            await head_context.close()
