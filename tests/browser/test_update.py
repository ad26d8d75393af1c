"""A new service-worker version: a broken one never replaces the working shell, a good one
takes over only when the user agrees, and neither touches the records waiting in the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from http import HTTPStatus

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import (
    assert_no_errors,
    check_in,
    context_options,
    eventually,
    log_in,
    outbox,
    service_worker_ready,
    stored_checkins,
    watch_errors,
)
from tests.support.services import REPO

expect.set_options(timeout=10_000)

SW = (REPO / "pwa" / "sw.js").read_text()
VERSION = re.compile(r"const VERSION = '([^']+)';")


def deployed(version: str, *, extra_file: str | None = None) -> str:
    """sw.js as a later deployment would serve it."""
    script = VERSION.sub(f"const VERSION = '{version}';", SW)
    if extra_file:
        script = script.replace("const SHELL = [\n", f"const SHELL = [\n  '{extra_file}',\n")
    return script


class Deployment:
    """A reverse proxy in front of the live server that can serve another sw.js, as a later
    deployment would. (Playwright's routes do not see the browser's own fetch of a service
    worker script, and the tests must not rewrite the repository's files.)"""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.sw_script: str | None = None
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                method, target, _ = line.decode().split(" ", 2)
                headers = []
                while (raw := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = raw.decode().partition(":")
                    headers.append((name.strip(), value.strip()))
                length = int(next((v for n, v in headers if n.lower() == "content-length"), 0))
                body = await reader.readexactly(length) if length else b""
                if self.sw_script is not None and target.split("?")[0] == "/sw.js":
                    status, out, data = 200, [("content-type", "text/javascript")], b""
                    data = self.sw_script.encode()
                else:
                    hop = {"host", "connection", "content-length"}
                    request = self.client.build_request(
                        method,
                        target,
                        headers=[(n, v) for n, v in headers if n.lower() not in hop],
                        content=body,
                    )
                    response = await self.client.send(request, stream=True)
                    data = b"".join([chunk async for chunk in response.aiter_raw()])
                    await response.aclose()
                    status = response.status_code
                    skip = {"content-length", "transfer-encoding", "connection"}
                    out = [(n, v) for n, v in response.headers.multi_items() if n not in skip]
                head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
                head += [f"{n}: {v}" for n, v in out] + [f"content-length: {len(data)}", "", ""]
                writer.write("\r\n".join(head).encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Deployment]:
        async with httpx.AsyncClient(base_url=self.upstream, timeout=60) as self.client:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            try:
                yield self
            finally:
                server.close()
                await server.wait_closed()


async def cache_names(page: Page) -> list[str]:
    return await page.evaluate("caches.keys()")


async def check_for_update(page: Page) -> None:
    await page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")


async def test_new_versions_never_strand_the_user_or_touch_the_queue(
    browser: Browser, base_url: str, database_url: str
):
    async with (
        Deployment(base_url).running() as deployment,
        await browser.new_context(**context_options(deployment.url)) as context,
    ):
        page = await context.new_page()
        watch_errors(page)
        await updates_keep_the_queue(page, context, deployment, database_url)


async def updates_keep_the_queue(page: Page, context, deployment: Deployment, database_url: str):
    # An earlier browser test may have left the teacher a check-out today: "Masuk" then asks.
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto("/")
    await log_in(page)
    await service_worker_ready(page)
    (current,) = await cache_names(page)
    assert current == f"hadir-shell-{VERSION.search(SW).group(1)}"

    # A record the server cannot take yet.
    await context.route("**/api/v1/checkins", lambda route: route.abort())
    await check_in(page)
    await expect(page.locator("#sync")).to_have_text("1 menunggu dikirim")
    (queued,) = await outbox(page)

    # A deployment with a file missing: its install fails, the working version stays.
    deployment.sw_script = deployed("broken", extra_file="/src/missing.js")
    await check_for_update(page)
    await eventually(
        lambda: page.evaluate(
            "navigator.serviceWorker.getRegistration().then((r) => !r.installing && !r.waiting)"
        )
    )
    assert await cache_names(page) == [current]
    await expect(page.locator("#update")).to_be_hidden()

    # A good deployment: it installs beside the old one and waits for the user.
    deployment.sw_script = deployed("next")
    await check_for_update(page)
    update = page.locator("#update")
    await expect(update).to_contain_text("Versi baru tersedia")
    assert sorted(await cache_names(page)) == sorted([current, "hadir-shell-next"])
    async with page.expect_navigation():
        await update.get_by_role("button", name="Muat ulang").click()
    await expect(page.locator("#check-in")).to_be_visible()
    assert await cache_names(page) == ["hadir-shell-next"]
    assert await page.evaluate("navigator.serviceWorker.controller.state") == "activated"
    assert [item["id"] for item in await outbox(page)] == [queued["id"]]

    # The record still goes out, once.
    await context.unroute("**/api/v1/checkins")
    await context.set_offline(True)
    await context.set_offline(False)
    await expect(page.locator("#sync")).to_have_text("Semua terkirim", timeout=20_000)
    rows = await stored_checkins(database_url, [queued["meta"]["client_id"]])
    assert len(rows) == 1
    assert_no_errors(page)
