"""The SKM screen ("Survei kepuasan (IKM)") in real Chromium at 360 px: the MPP's head opens it
from "Akun", sees the IKM and grade the API computes, a citizen's comment shown literally (no
element made from it, no script run), and downloads the XLSX report with the bearer token."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, Dialog, expect

from tests.browser.conftest import (
    assert_no_errors,
    bearer,
    context_options,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support.factories import by_role

expect.set_options(timeout=15_000)
GERAI = "MPP-G01"
HEAD = by_role("kepala_unit", unit_code="MPP")
HOSTILE = "<script>alert(1)</script><b>x</b>"
REPORT_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


async def rate(base_url: str, answers: dict[str, int], comment: str = "") -> None:
    # A fresh client each time: another phone, no device cookie.
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/api/v1/public/ratings",
            json={
                "client_id": str(uuid.uuid4()),
                "gerai": GERAI,
                "service": "Perekaman KTP-el",
                "answers": answers,
                "comment": comment,
            },
        )
    assert response.status_code == 201, response.text


async def test_the_mpp_head_reads_the_ikm_and_a_hostile_comment_as_text(
    browser: Browser, base_url: str, clean
):
    await rate(base_url, {f"U{i}": 4 for i in range(1, 10)}, HOSTILE)
    await rate(base_url, {f"U{i}": 1 + i % 4 for i in range(1, 10)})

    context = await browser.new_context(**context_options(base_url), accept_downloads=True)
    await context.add_init_script(REPORT_CSP)
    dialogs: list[str] = []
    try:
        page = await context.new_page()
        watch_errors(page)

        async def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        await page.goto("/")
        await log_in(page, HEAD.nip)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await page.locator("#open-ikm").click()
        await expect(page.locator("#ikm-title")).to_be_visible()
        assert await page.title() == "Survei kepuasan (IKM) · hadir"
        await expect(page.locator("#ikm-gerai")).to_have_value(GERAI)
        await expect(page.locator("#ikm-value")).not_to_be_empty()

        start = await page.locator("#ikm-from").input_value()
        end = await page.locator("#ikm-to").input_value()
        assert start.endswith("-01-01") and start[:4] == end[:4]
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            response = await client.get(
                "/api/v1/ratings/ikm",
                params={"gerai": GERAI, "from": start, "to": end},
                headers=await bearer(base_url, HEAD.nip),
            )
        assert response.status_code == 200, response.text
        figures = response.json()
        assert figures["respondents"] == 2 and figures["ikm"] is not None
        await expect(page.locator("#ikm-value")).to_have_text(str(figures["ikm"]).replace(".", ","))
        await expect(page.locator("#ikm-grade")).to_have_text(
            f"{figures['grade']} · {figures['label']}"
        )
        await expect(page.locator("#ikm-respondents")).to_have_text(
            f"2 dari minimal {figures['min_sample']}"
        )
        rows = page.locator("#ikm-elements tbody tr")
        await expect(rows).to_have_count(9)
        u1 = figures["elements"]["U1"]
        await expect(page.locator("#ikm-elements tr[data-code=U1] td").nth(1)).to_have_text(
            str(u1["nrr"]).replace(".", ",")
        )
        await expect(page.locator("#ikm-elements tr[data-code=U1] td").nth(2)).to_have_text(
            f"{u1['sum']} / {u1['count']}"
        )

        # The comment, literally: its markup is text, nothing made of it, nothing run.
        comment = page.locator("#ikm-comment-list .comment-text")
        await expect(comment).to_have_count(1)
        await expect(comment).to_have_text(HOSTILE)
        assert await page.locator("#ikm-comments b").count() == 0
        assert await page.locator("#ikm-comments script").count() == 0
        assert await page.locator("#ikm-more").count() == 0  # one page only

        # The report: fetched with the token, saved from a Blob URL.
        async with page.expect_download() as info:
            await page.locator("#ikm-report").click()
        download = await info.value
        assert download.suggested_filename == f"ikm-{GERAI}-{start}-{end}.xlsx"
        data = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert data[:2] == b"PK"  # a zip: the XLSX
        await expect(page.locator("#ikm-report-link")).to_have_attribute(
            "href", re.compile(r"^blob:")
        )

        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await screenshot(page, "ikm-01-mpp-head")
        assert dialogs == []
        assert await page.evaluate("window.__csp") == []
        assert_no_errors(page)
    finally:
        await context.close()


async def test_comments_come_page_by_page(browser: Browser, base_url: str, clean):
    for n in range(22):  # the screen asks for 20 a page
        await rate(base_url, {f"U{i}": 3 for i in range(1, 10)}, f"komentar {n:02d}")
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, by_role("bkd").nip)
        await page.goto("/#/ikm")
        await page.locator("#ikm-gerai").select_option(GERAI)
        await page.get_by_role("button", name="Tampilkan").click()
        comments = page.locator("#ikm-comment-list .comment-text")
        await expect(comments).to_have_count(20)
        await page.get_by_role("button", name="Muat lagi").click()
        await expect(comments).to_have_count(22)
        await expect(comments.nth(21)).to_have_text("komentar 21")
        await expect(page.locator("#ikm-more")).to_have_count(0)
        assert_no_errors(page)
    finally:
        await context.close()
