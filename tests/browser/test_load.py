"""The shell over a slow link: a cold load on Chrome's "Regular 2G" preset (250 kbit/s down,
50 kbit/s up, 300 ms latency, emulated through the DevTools protocol) must show the login
screen within 5 s and transfer under 150 KB in all, service worker's precache included; every
later load comes from the service worker's cache."""

from __future__ import annotations

import time

from playwright.async_api import Browser, Request, expect

from tests.browser.conftest import PHONE, assert_no_errors, service_worker_ready, watch_errors

REGULAR_2G = {
    "offline": False,
    "latency": 300,  # ms
    "downloadThroughput": 250_000 / 8,  # bytes/s
    "uploadThroughput": 50_000 / 8,
    "connectionType": "cellular2g",
}
LOGIN_VISIBLE_S = 5.0
FIRST_LOAD_BYTES = 150 * 1024


async def test_cold_load_on_regular_2g_then_from_the_service_worker(
    browser: Browser, base_url: str
):
    context = await browser.new_context(viewport=PHONE, base_url=base_url, locale="id-ID")
    try:
        page = await context.new_page()
        watch_errors(page)
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", REGULAR_2G)
        page_bytes: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: page_bytes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )
        # What the service worker downloads for its cache runs outside the page's emulation;
        # it is counted all the same.
        worker_requests: list[Request] = []
        context.on(
            "requestfinished", lambda r: worker_requests.append(r) if r.service_worker else None
        )

        started = time.perf_counter()
        await page.goto("/", wait_until="commit")
        await expect(page.locator("#nip")).to_be_visible(timeout=15_000)
        login_s = time.perf_counter() - started

        await service_worker_ready(page)
        await page.wait_for_load_state("networkidle")
        worker_bytes = 0
        for request in worker_requests:
            sizes = await request.sizes()
            worker_bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        shell_bytes = sum(page_bytes.values())
        total = shell_bytes + worker_bytes
        print(
            f"\n2G cold load: login screen visible after {login_s:.2f} s; "
            f"page transferred {shell_bytes} B in {len(page_bytes)} responses, "
            f"service worker precache {worker_bytes} B in {len(worker_requests)} responses, "
            f"total {total} B ({total / 1024:.1f} KiB)"
        )
        for request_id, size in sorted(page_bytes.items(), key=lambda kv: -kv[1]):
            print(f"  {size:6d} B  {urls.get(request_id, request_id)}")
        assert login_s < LOGIN_VISIBLE_S
        assert total < FIRST_LOAD_BYTES

        # The next load: the document and every file of the shell from the service worker.
        responses = []
        page.on("response", lambda r: responses.append(r))
        started = time.perf_counter()
        await page.reload(wait_until="commit")
        await expect(page.locator("#nip")).to_be_visible()
        again_s = time.perf_counter() - started
        await page.wait_for_load_state("networkidle")
        shell = [r for r in responses if "/api/" not in r.url]
        assert shell, "no responses seen"
        from_network = [r.url for r in shell if not r.from_service_worker]
        print(
            f"2G second load: login screen after {again_s:.2f} s; {len(shell)} responses, "
            f"{len(shell) - len(from_network)} from the service worker"
        )
        assert from_network == []
        assert_no_errors(page)
    finally:
        await context.close()
