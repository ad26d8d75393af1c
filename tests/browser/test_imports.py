"""BKD's bulk import in the browser: a CSV as the personnel system exports it, the dry run's
refused rows with their reasons, then the apply with the one-time passwords shown once."""

from __future__ import annotations

import io

import asyncpg
import openpyxl
from playwright.async_api import Browser, expect

from tests.browser.conftest import (
    assert_no_errors,
    context_options,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support.factories import TEACHER, by_role

expect.set_options(timeout=15_000)
NEW = ["199101012019031301", "199202022019032302", "199303032019031303"]
CSV = (
    "Daftar Pegawai Dinas Pendidikan\n"
    "No,NIP Baru,Nama Lengkap,Jabatan,Kode Unit,Keterangan\n"
    f"1,{NEW[0]},Ani Lestari,Guru Kelas,{TEACHER.unit_code},\n"
    f"2,{NEW[1]},Bayu Pratama,Guru Olahraga,{TEACHER.unit_code},mutasi\n"
    f"3,{NEW[2]},Citra Dewi,Operator Sekolah,{TEACHER.unit_code},\n"
    f"4,19910101201903130,Dodi Salah,Guru,{TEACHER.unit_code},\n"
    f"5,199404042019031304,Eka Tanpa Unit,Guru,SDN-TIDAK-ADA,\n"
)


async def forget(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM org_employee WHERE nip = ANY($1::text[])", NEW)
    finally:
        await conn.close()


async def test_bkd_checks_then_applies_an_employee_file(
    browser: Browser, base_url: str, database_url: str, clean, tmp_path
):
    await forget(database_url)
    upload = tmp_path / "pegawai.csv"
    upload.write_text(CSV)
    context = await browser.new_context(**context_options(base_url), accept_downloads=True)
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, by_role("bkd").nip)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await page.locator("#open-import").click()
        await expect(page.locator("#import-title")).to_be_visible()
        assert await page.title() == "Impor data induk · hadir"

        await page.locator("#import-kind").select_option("employees")
        await page.locator("#import-file").set_input_files(str(upload))
        await page.get_by_role("button", name="Periksa (uji coba)").click()
        await expect(page.locator("#import-result")).to_have_text("Hasil uji coba")
        counts = page.locator("#import-counts dd")
        await expect(counts).to_have_text(["5", "3", "0", "0", "2"])
        refused = page.locator("#import-refused tbody tr")
        await expect(refused).to_have_count(2)
        await expect(refused.nth(0)).to_contain_text("NIP harus 18 angka")
        await expect(refused.nth(1)).to_contain_text("SDN-TIDAK-ADA")
        conn = await asyncpg.connect(database_url)
        try:
            stored = await conn.fetchval(
                "SELECT count(*) FROM org_employee WHERE nip = ANY($1::text[])", NEW
            )
        finally:
            await conn.close()
        assert stored == 0  # a dry run stores nothing
        await screenshot(page, "40-import-dry-run")

        await page.locator("#import-apply").click()
        await expect(page.locator("#import-result")).to_have_text("Hasil impor")
        await expect(counts).to_have_text(["5", "3", "0", "0", "2"])
        passwords = page.locator("#import-passwords tbody tr")
        await expect(passwords).to_have_count(3)
        await expect(page.locator("#import-apply")).to_be_hidden()
        shown = [await row.locator("td").nth(0).text_content() for row in await passwords.all()]
        assert sorted(shown) == NEW
        # The printable handout: the school's page downloads once, then it is gone.
        handout = page.locator("#import-handout")
        await expect(handout).to_contain_text("Lembar kata sandi untuk dicetak (XLSX)")
        school = handout.get_by_role("button", name="SD Negeri 1 Bleboh (3)")
        async with page.expect_download() as waiting:
            await school.click()
        download = await waiting.value
        assert download.suggested_filename == f"kata-sandi-awal-{TEACHER.unit_code}.xlsx"
        book = openpyxl.load_workbook(io.BytesIO((await download.path()).read_bytes()))
        printed = [r[1] for r in book.active.iter_rows(min_row=5, max_row=7, values_only=True)]
        assert sorted(printed) == NEW
        await screenshot(page, "41-import-applied-passwords")
        await handout.get_by_role("button", name="Semua unit").click()
        await expect(page.locator("#handout-note")).to_contain_text("sudah diunduh")
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch(
                "SELECT nip, must_change_password FROM org_employee WHERE nip = ANY($1::text[])",
                NEW,
            )
        finally:
            await conn.close()
        assert sorted(r["nip"] for r in rows) == NEW
        assert all(r["must_change_password"] for r in rows)
        assert_no_errors(page)
    finally:
        await context.close()
        await forget(database_url)


async def test_the_import_screen_is_not_offered_to_an_asn(browser: Browser, base_url: str):
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        await page.goto("/")
        await log_in(page)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await expect(page.locator("#change-password")).to_be_visible()
        await expect(page.locator("#open-import")).to_have_count(0)
        await page.goto("/#/impor")
        await expect(page.locator("#check-in")).to_be_visible()  # the route falls back
    finally:
        await context.close()
