"""Atestasi in real Chromium at 360 px: the head of a school with no signal attests two staff's
day offline (queued, "menunggu sinyal"), the phone reaches signal, the attestation syncs through
the outbox, and the recap screen shows the attested day; BKD sees the head on its summary."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from backend.org import demo_data
from tests.browser.conftest import (
    assert_no_errors,
    context_options,
    eventually,
    log_in,
    screenshot,
    service_worker_ready,
    watch_errors,
)
from tests.support.factories import TEACHER, by_role

expect.set_options(timeout=15_000)

HEAD = by_role("kepala_unit", unit_code=TEACHER.unit_code)
COLLEAGUE = next(
    e
    for e in demo_data.EMPLOYEES
    if e.unit_code == TEACHER.unit_code and e.nip not in (TEACHER.nip, HEAD.nip)
)
WIB = ZoneInfo("Asia/Jakarta")


def last_school_day() -> dt.date:
    day = dt.datetime.now(WIB).date() - dt.timedelta(days=1)
    holidays = {h.date for h in demo_data.HOLIDAYS}
    while day.isoweekday() == 7 or day in holidays:
        day -= dt.timedelta(days=1)
    return day


@pytest.fixture
async def registered_earlier(clean, database_url):
    """Days before an employee's registration are not judged: move the demo staff's back."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT id, created_at FROM org_employee")
        await conn.execute("UPDATE org_employee SET created_at = now() - interval '21 days'")
        yield clean
        await conn.executemany(
            "UPDATE org_employee SET created_at = $2 WHERE id = $1",
            [(row["id"], row["created_at"]) for row in rows],
        )
    finally:
        await conn.close()


async def test_a_head_attests_offline_and_the_recap_shows_it(
    browser: Browser, base_url: str, registered_earlier
):
    day = last_school_day()
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await log_in(page, HEAD.nip)
        await service_worker_ready(page)
        # From the head's "Hari ini": the staff list is kept on the phone for later, offline.
        await page.locator("#tabs").get_by_role("link", name="Hari ini").click()
        await page.locator("#open-attest-today").click()
        await expect(page.locator(f'#attest-staff input[data-nip="{TEACHER.nip}"]')).to_be_visible()
        # Nobody attests their own day: the head is not offered.
        await expect(page.locator(f'#attest-staff input[data-nip="{HEAD.nip}"]')).to_have_count(0)

        await context.set_offline(True)
        await page.locator(f'#attest-staff input[data-nip="{TEACHER.nip}"]').check()
        await page.locator(f'#attest-staff input[data-nip="{COLLEAGUE.nip}"]').check()
        await page.locator("#attest-start").fill(day.isoformat())
        await page.locator("#attest-end").fill(day.isoformat())
        await page.locator("#attest-reason").fill("Tidak ada sinyal di sekolah, ponsel guru rusak")
        await page.locator("#attest-confirm").check()
        await page.locator("#attest-submit").click()
        waiting = page.locator("#attest-queued li")
        await expect(waiting).to_have_count(2)
        await expect(waiting.first).to_contain_text("Menunggu sinyal")
        # The phone layout holds at 360 px: nothing scrolls sideways.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await screenshot(page, "70-attest-offline")

        await context.set_offline(False)
        await expect(page.locator("#attest-queued li")).to_have_count(0, timeout=30_000)
        sent = page.locator("#attest-sent li")
        await expect(sent).to_have_count(2)
        await expect(sent.filter(has_text=TEACHER.name)).to_contain_text("hadir (atestasi)")
        await screenshot(page, "71-attest-synced")

        # The recap screen shows the attested day.
        await page.goto("/#/rekap")
        await page.locator("#recap-unit").select_option(TEACHER.unit_code)
        await page.locator("#recap-month").fill(day.strftime("%Y-%m"))

        async def shown() -> bool:
            await page.locator("#recap-show").click()
            cell = page.locator(f'#recap-table td[data-attested="{TEACHER.nip}"]')
            await cell.wait_for()
            return await cell.text_content() == "1"

        assert await eventually(shown, within=30, every=1)
        heads = await page.locator("#recap-table thead th").all_text_contents()
        assert "Hadir (atestasi)" in heads
        await expect(
            page.locator(f'#recap-table td[data-attested="{COLLEAGUE.nip}"]')
        ).to_have_text("1")
        await screenshot(page, "72-attest-recap")
        assert_no_errors(page)
    finally:
        await context.close()

    # BKD sees the head on its summary, with the reason.
    desk = await browser.new_context(**context_options(base_url))
    try:
        page = await desk.new_page()
        watch_errors(page)
        await log_in(page, by_role("bkd").nip)
        await page.goto("/#/atestasi-bkd")
        row = page.locator(f'#attest-heads-table tr[data-head="{HEAD.nip}"]')
        await expect(row).to_contain_text("SD Negeri 1 Bleboh")
        await expect(page.locator("#attest-latest li").first).to_contain_text("ponsel guru rusak")
        await expect(page.locator("#attest-latest li").first).to_contain_text(
            "Tanda tangan perangkat"
        )
        await screenshot(page, "73-attest-bkd")
        assert_no_errors(page)
    finally:
        await desk.close()
