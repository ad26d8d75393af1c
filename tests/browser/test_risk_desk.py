"""The review desk at 1366 px sorts by spoof-risk (highest first, by default) and shows each
record's score with its parts: points of their weight and one sentence each."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import asyncpg
from playwright.async_api import Browser, expect

from backend.org import demo_data
from tests.browser.conftest import (
    BKD,
    assert_no_errors,
    context_options,
    log_in,
    screenshot,
    watch_errors,
)

expect.set_options(timeout=10_000)

DESK = {"width": 1366, "height": 768}


def parts(**points: float) -> list[dict]:
    weights = {"accuracy": 15, "coordinates": 15, "mock": 25, "liveness": 20, "cctv": 10}
    return [
        {
            "code": code,
            "weight": weights[code],
            "points": points.get(code, 0.0),
            "sentence": f"{code} dijelaskan di sini.",
        }
        for code in weights
    ]


async def flagged(database_url: str) -> dict[str, int]:
    """Three flagged records of one employee, received in this order: a low score, a record
    settled before the score existed, a high one (the oldest is not the riskiest)."""
    colleague = next(e for e in demo_data.EMPLOYEES if e.unit_code == "SMPN-TODANAN-1")
    now = dt.datetime.now(dt.UTC)
    records = {
        "low": (
            12.5,
            parts(liveness=10, cctv=2.5),
            [("late_sync", "Dikirim 3 hari setelah dibuat")],
        ),
        "none": (None, [], [("no_location", "Lokasi GPS tidak tersedia saat presensi")]),
        "high": (
            75.0,
            parts(accuracy=15, coordinates=15, mock=25, liveness=20),
            [
                ("mock_location", "Ponsel melaporkan lokasi palsu (mock location)"),
                ("high_risk", "Risiko pemalsuan tinggi, terutama dari lokasi palsu"),
            ],
        ),
    }
    conn = await asyncpg.connect(database_url)
    try:
        employee = await conn.fetchval("SELECT id FROM org_employee WHERE nip = $1", colleague.nip)
        ids = {}
        for n, (name, (score, risk_parts, reasons)) in enumerate(records.items()):
            at = now - dt.timedelta(minutes=30 - n)
            ids[name] = await conn.fetchval(
                "INSERT INTO attendance_checkin (client_id, employee, kind, captured_at, sent_at,"
                " received_at, corrected_captured_at, work_date, status, reasons, selfie_key,"
                " selfie_sha256, content_hash, risk_score, risk_parts) VALUES ($1, $2, 'in', $3,"
                " $3, $3, $3, $4, 'flagged', $5, '', '', $6, $7, $8) RETURNING id",
                uuid.uuid4(),
                employee,
                at,
                at.date(),
                json.dumps([{"code": c, "message": m} for c, m in reasons]),
                "0" * 64,
                score,
                json.dumps(risk_parts),
            )
        return ids
    finally:
        await conn.close()


async def test_the_desk_sorts_by_risk_and_explains_the_score(
    browser: Browser, base_url: str, database_url: str, clean
):
    ids = await flagged(database_url)
    context = await browser.new_context(**{**context_options(base_url), "viewport": DESK})
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, BKD.nip)
        await page.get_by_role("link", name="Verifikasi").click()
        queue = page.locator("#review-queue li")
        await expect(queue).to_have_count(3)
        await expect(page.locator("#review-sort")).to_have_text("Urutan: risiko tertinggi dulu")
        order = [await row.get_attribute("id") for row in await queue.all()]
        assert order == [f"review-row-{ids[k]}" for k in ("high", "low", "none")]
        await expect(queue.nth(0).locator(".risk-badge")).to_have_text("Risiko 75")
        await expect(queue.nth(0).locator(".risk-badge")).to_have_class("risk-badge risk-high")
        await expect(queue.nth(1).locator(".risk-badge")).to_have_text("Risiko 12,5")
        await expect(queue.nth(2).locator(".risk-badge")).to_have_text("Risiko –")

        # The case: every part with its points of its weight and its sentence.
        risk = page.locator("#review-risk")
        await expect(risk).to_contain_text("Skor risiko pemalsuan")
        rows = risk.locator("tbody tr")
        await expect(rows).to_have_count(5)
        await expect(rows.nth(2)).to_contain_text("Lokasi palsu")
        await expect(rows.nth(2)).to_contain_text("+25 / 25")
        await expect(rows.nth(2)).to_contain_text("mock dijelaskan di sini.")
        await expect(rows.nth(4)).to_contain_text("0 / 10")
        await expect(risk).to_be_visible()
        # Tidy at 1366 px: nothing wider than the screen, the table inside the case, the
        # decision buttons still in view.
        assert await page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
        case = await page.locator("#review").bounding_box()
        table = await risk.locator("table").bounding_box()
        assert case and table and table["x"] + table["width"] <= case["x"] + case["width"] + 1
        await expect(page.locator("#review-accept")).to_be_in_viewport()
        await page.mouse.wheel(0, 4000)
        await expect(risk.locator("tbody tr").last).to_be_in_viewport()
        await expect(page.locator("#review-accept")).to_be_in_viewport()
        await screenshot(page, "13-review-risk-1366", whole=False)

        # The next record: the lower score, its parts; a record without a score says so.
        await page.keyboard.press("j")
        await expect(risk).to_contain_text("+10 / 20")
        await page.keyboard.press("j")
        await expect(page.locator("#review-risk")).to_have_text(
            "Skor risiko belum dihitung untuk presensi ini."
        )

        # The other orders are still there, paged as before.
        await page.get_by_text("Saring: unit, tanggal").click()
        await page.locator("#review-order").select_option("oldest")
        await expect(page.locator("#review-sort")).to_have_text("Urutan: terlama dulu")
        await expect(queue.nth(0)).to_have_id(f"review-row-{ids['low']}")
        assert_no_errors(page)
    finally:
        await context.close()
