"""Rekap bulanan in real Chromium: BKD at a 1366 px desk picks an OPD with its schools and a
month, sees the recap per employee, downloads the XLSX built by a job (progress, then the
short-lived link) and opens it; the same screen at 360 px; not offered to an asn."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    PHONE,
    assert_no_errors,
    context_options,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support.factories import TEACHER, by_role

expect.set_options(timeout=20_000)
DESK = {"width": 1366, "height": 768}


async def test_bkd_sees_and_downloads_an_opd_with_its_schools_at_a_desk(
    browser: Browser, base_url: str, clean
):
    desk = await browser.new_context(
        **{
            **context_options(base_url),
            "viewport": DESK,
            "device_scale_factor": 1,
            "is_mobile": False,
            "has_touch": False,
            "accept_downloads": True,
        }
    )
    try:
        page = await desk.new_page()
        watch_errors(page)
        await log_in(page, by_role("bkd").nip)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await page.locator("#open-recap").click()
        await expect(page.locator("#recap-title")).to_have_text("Rekap presensi bulanan")
        # Every unit for BKD, the regency first; an OPD with schools is recapped with them.
        await expect(page.locator("#recap-unit option").first).to_contain_text(
            "Pemerintah Kabupaten Blora"
        )
        await page.locator("#recap-unit").select_option("DISDIK")
        await expect(page.locator("#recap-subtree")).to_be_checked()
        month = dt.date.today().strftime("%Y-%m")
        await page.locator("#recap-month").fill(month)
        await page.locator("#recap-show").click()
        await expect(page.locator("#recap-result-title")).to_have_text(
            f"Dinas Pendidikan Kabupaten Blora beserta unit di bawahnya, {month}"
        )
        rows = page.locator("#recap-table tbody tr")
        teacher = rows.filter(has_text=TEACHER.nip)
        await expect(teacher).to_have_count(1)
        await expect(teacher).to_contain_text("SD Negeri 1 Bleboh")
        await expect(teacher).to_contain_text("Belum ada hukuman disiplin")
        heads = await page.locator("#recap-table thead th").all_text_contents()
        assert heads[-2:] == ["Potongan TPP", "PP 94/2021"]
        # The table fits the desk: no sideways scrolling of the page at 1366 px.
        assert await page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
        await screenshot(page, "50-recap-desk")

        async with page.expect_download() as waiting:
            await page.locator("#recap-xlsx").click()
        download = await waiting.value
        assert download.suggested_filename == f"rekap-DISDIK-semua-{month}.xlsx"
        await expect(page.locator("#recap-progress-text")).to_contain_text("Siap (")
        book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
        assert book.sheetnames[1:3] == ["Potongan TPP", "Disiplin PP 94-2021"]
        nips = [row[0] for row in book["Potongan TPP"].iter_rows(min_row=3, values_only=True)]
        assert TEACHER.nip in nips and len(nips) == await rows.count()
        await screenshot(page, "51-recap-desk-downloaded")
        assert_no_errors(page)
    finally:
        await desk.close()


async def test_the_recap_on_a_phone_and_not_for_an_asn(browser: Browser, base_url: str, clean):
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await log_in(page, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
        await page.goto("/#/rekap")
        # A head of a school has that school only, with no units under it.
        await expect(page.locator("#recap-unit option")).to_have_count(1)
        await expect(page.locator("#recap-subtree")).to_be_disabled()
        await page.locator("#recap-show").click()
        await expect(page.locator("#recap-table tbody tr").first).to_be_visible()
        # Only the table scrolls sideways; the page itself fits 360 px.
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await screenshot(page, "52-recap-phone")
        assert_no_errors(page)

        await page.evaluate("localStorage.clear()")
        await context.clear_cookies()
    finally:
        await context.close()

    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        await log_in(page)  # an ordinary ASN
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await expect(page.locator("#change-password")).to_be_visible()
        await expect(page.locator("#open-recap")).to_have_count(0)
        await page.goto("/#/rekap")
        await expect(page.locator("#check-in")).to_be_visible()  # the route falls back
    finally:
        await context.close()
