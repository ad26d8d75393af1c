"""The PWA keeps a bearer token, so the server sends a strict Content-Security-Policy. The app
must work under it: no inline script or style, nothing from another origin."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Route, expect

from tests.browser.conftest import check_in, context_options, log_in, screenshot

# The policy of issue 4, as the server must send it (backend/core/app.py may add to it).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
REPORT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`));
"""


async def test_every_screen_works_under_the_strict_csp(browser: Browser, base_url: str):
    # The policy is put on every non-API response here, whatever the server sends, and the
    # service worker is kept out so that every response passes through this route.
    context = await browser.new_context(**context_options(base_url), service_workers="block")
    console: list[str] = []

    async def with_policy(route: Route) -> None:
        if "/api/" in route.request.url:
            await route.continue_()
            return
        response = await route.fetch()
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-encoding", "content-length", "content-security-policy")
        }
        await route.fulfill(response=response, headers={**headers, "content-security-policy": CSP})

    try:
        await context.route("**/*", with_policy)
        await context.add_init_script(REPORT)
        page = await context.new_page()
        page.on(
            "console", lambda m: console.append(m.text) if "Content Security" in m.text else None
        )
        await page.goto("/")
        await log_in(page)
        await check_in(page)
        await expect(page.locator("#result .chip")).not_to_have_text("Menunggu dikirim")
        await expect(page.locator("svg.map")).to_be_visible()
        await expect(page.locator("#result img.thumb")).to_have_js_property("complete", True)
        for tab in ("Riwayat", "Akun", "Presensi"):
            await page.get_by_role("link", name=tab).click()
            await page.wait_for_load_state("networkidle")
        assert await page.evaluate("window.__csp") == []
        assert console == []
        await screenshot(page, "10-under-csp")
    finally:
        await context.close()


def test_the_shell_is_served_with_the_strict_csp(base_url: str):
    for path in ("/", "/sw.js", "/src/main.js"):
        policy = httpx.get(f"{base_url}{path}").headers.get("content-security-policy", "")
        for directive in CSP.split("; "):
            assert directive in policy, (path, directive)
