"""The outbox in a real browser: records made without signal survive reloads and restarts and
land exactly once; server errors are retried, refusals are kept and shown, an expired token
asks for a new login without losing anything."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, expect

from tests.browser.conftest import (
    assert_no_errors,
    badge,
    camera_ready,
    check_in,
    eventually,
    launch_persistent,
    log_in,
    outbox,
    screenshot,
    service_worker_ready,
    stored_checkins,
    watch_errors,
)
from tests.support.services import FaultyProxy

expect.set_options(timeout=10_000)

CHECKINS = "**/api/v1/checkins"


async def first_page(context) -> Page:
    page = context.pages[0] if context.pages else await context.new_page()
    watch_errors(page)
    return page


@contextlib.asynccontextmanager
async def cuttable_link(base_url: str) -> AsyncIterator[FaultyProxy]:
    """The server behind a TCP proxy whose `broken` flag cuts every connection.

    Playwright's offline switch alone is not enough here: a service worker that starts with a
    relaunched browser can send before the emulation reaches it, which a phone without signal
    never could.
    """
    upstream = urlsplit(base_url)
    proxy = FaultyProxy(upstream.hostname or "127.0.0.1", upstream.port or 80)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


async def test_offline_records_survive_reload_and_restart_then_land_once(
    playwright, camera_file: Path, base_url: str, database_url: str, tmp_path: Path
):
    async with cuttable_link(base_url) as link:
        await offline_then_online(
            playwright, camera_file, f"http://127.0.0.1:{link.port}", link, database_url, tmp_path
        )


async def offline_then_online(
    playwright, camera_file: Path, url: str, link: FaultyProxy, database_url: str, tmp_path: Path
):
    profile = tmp_path / "profile"
    context = await launch_persistent(playwright, profile, camera_file, url)
    try:
        page = await first_page(context)
        await page.goto("/")
        await log_in(page)
        await service_worker_ready(page)

        link.broken = True
        await context.set_offline(True)
        await expect(page.locator("#net")).to_be_visible()
        await check_in(page, "in")
        await expect(page.locator("#result")).to_contain_text("Dikirim otomatis saat ada sinyal")
        await check_in(page, "out")
        await expect(page.locator("#sync")).to_have_text("2 menunggu dikirim")
        queued = await outbox(page)
        assert [item["meta"]["kind"] for item in queued] == ["in", "out"]
        for item in queued:  # {id, kind, body, capturedAt, schemaVersion}, not a Request
            assert (item["kind"], item["schemaVersion"], item["state"]) == ("checkin", 1, "queued")
            assert item["capturedAt"] == item["meta"]["captured_at"]
            assert "sent_at" not in item["meta"]  # set afresh on every try
        assert all(0 < item["selfieBytes"] < 100_000 for item in queued)
        client_ids = [item["meta"]["client_id"] for item in queued]
        await screenshot(page, "07-offline-queued")

        # Still offline: the service worker serves the shell, IndexedDB keeps the records.
        await page.reload()
        await expect(page.locator("#check-in")).to_be_visible()
        await expect(page.locator("#sync")).to_have_text("2 menunggu dikirim")
        assert_no_errors(page)
    finally:
        await context.close()

    # The phone is switched off and on again, still without signal.
    context = await launch_persistent(playwright, profile, camera_file, url, offline=True)
    try:
        page = await first_page(context)
        await page.goto("/")
        await expect(page.locator("#check-in")).to_be_visible()
        await expect(page.locator("#sync")).to_have_text("2 menunggu dikirim")
        assert [item["meta"]["client_id"] for item in await outbox(page)] == client_ids
        assert await stored_checkins(database_url, client_ids) == []

        answers: list[int] = []
        context.on(
            "response",
            lambda r: (
                answers.append(r.status)
                if r.request.method == "POST" and r.url.endswith("/api/v1/checkins")
                else None
            ),
        )
        link.broken = False
        await context.set_offline(False)
        await expect(page.locator("#sync")).to_have_text("Semua terkirim", timeout=30_000)
        assert await outbox(page) == []
        rows = await stored_checkins(database_url, client_ids)
        # Exactly once each (client_id is unique), oldest first.
        assert [row["client_id"] for row in rows] == client_ids
        assert [row["kind"] for row in rows] == ["in", "out"]
        assert all(status == 201 for status in answers), answers
        assert_no_errors(page)
    finally:
        await context.close()


async def test_a_server_error_is_retried_and_the_record_lands_once(
    page: Page, context, database_url: str, clean
):
    tries: list[str] = []

    async def fail_once(route: Route) -> None:
        tries.append(route.request.method)
        if len(tries) == 1:
            await route.fulfill(
                status=500,
                content_type="application/json",
                body=json.dumps({"detail": "Kesalahan server", "code": "error", "errors": []}),
            )
        else:
            await route.continue_()

    await page.goto("/")
    await log_in(page)
    await context.route(CHECKINS, fail_once)
    await check_in(page)
    await expect(page.locator("#result")).to_contain_text("Kesalahan server (akan dicoba lagi)")
    assert (await badge(page))["pending"] == 1
    # The first retry is due after about 5 s (with jitter).
    await expect(page.locator("#sync")).to_have_text("Semua terkirim", timeout=20_000)
    assert len(tries) == 2
    client_id = await page.locator("#result").get_attribute("data-client-id")
    rows = await stored_checkins(database_url, [client_id])
    assert len(rows) == 1
    assert_no_errors(page)


async def test_a_refused_record_is_kept_as_failed_with_the_reason_and_not_resent(
    page: Page, context, database_url: str, clean
):
    tries: list[str] = []
    refusal = "Foto selfie tidak dapat dibaca sebagai JPEG"

    async def refuse_once(route: Route) -> None:
        tries.append(route.request.method)
        if len(tries) == 1:
            await route.fulfill(
                status=422,
                content_type="application/json",
                body=json.dumps({"detail": refusal, "code": "invalid", "errors": []}),
            )
        else:
            await route.continue_()

    await page.goto("/")
    await log_in(page)
    await context.route(CHECKINS, refuse_once)
    await check_in(page)
    result = page.locator("#result")
    await expect(result.locator(".chip")).to_have_text("Gagal dikirim")
    await expect(result).to_contain_text(refusal)
    await expect(page.locator("#sync")).to_have_text("1 gagal")

    await page.get_by_role("link", name="Riwayat").click()
    queue = page.locator("#queue")
    await expect(queue).to_contain_text("Antrean di ponsel (1)")
    await expect(queue.locator(".item-failed")).to_contain_text(refusal)
    await screenshot(page, "08-queue-failed")

    # Longer than the first backoff: a refused record is not sent again by itself.
    await page.wait_for_timeout(7_000)
    assert len(tries) == 1
    (item,) = await outbox(page)
    assert item["state"] == "failed" and item["error"] == refusal

    # The user may try it again by hand; this time the server takes it.
    await queue.get_by_role("button", name="Coba lagi").click()
    await expect(page.locator("#sync")).to_have_text("Semua terkirim", timeout=20_000)
    await expect(queue).to_be_hidden()
    assert len(await stored_checkins(database_url, [item["meta"]["client_id"]])) == 1
    assert_no_errors(page)


async def test_an_expired_token_asks_for_login_and_keeps_the_queue(
    page: Page, context, database_url: str, clean
):
    tries: list[str] = []

    async def expired_once(route: Route) -> None:
        tries.append(route.request.method)
        if len(tries) == 1:
            await route.fulfill(
                status=401,
                content_type="application/json",
                body=json.dumps({"detail": "Token kedaluwarsa", "code": "unauthenticated"}),
            )
        else:
            await route.continue_()

    await page.goto("/")
    await log_in(page)
    await context.route(CHECKINS, expired_once)
    await page.locator("#check-in").click()
    await camera_ready(page)
    await page.locator("#shoot").click()

    notice = page.locator("#login-notice")
    await expect(notice).to_contain_text("Sesi Anda sudah berakhir")
    await expect(notice).to_contain_text("1 presensi tersimpan di ponsel")
    await expect(page.locator("#sync")).to_have_text("1 menunggu dikirim")
    await expect(page.locator("#nip")).not_to_have_value("")
    (item,) = await outbox(page)
    assert item["state"] == "queued"
    await screenshot(page, "09-session-expired")

    await page.locator("#password").fill("hadir2026")
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await expect(page.locator("#sync")).to_have_text("Semua terkirim", timeout=20_000)
    rows = await eventually(lambda: stored_checkins(database_url, [item["meta"]["client_id"]]))
    assert len(rows) == 1
    assert_no_errors(page)
