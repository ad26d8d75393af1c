"""The API docs render in a browser under the server's own CSP, with every file from this origin
(a Pemda intranet reaches no CDN)."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Browser, expect

from tests.browser.conftest import context_options

REPORT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`));
"""


async def test_swagger_renders_under_the_csp_from_this_origin_only(
    browser: Browser, base_url: str
) -> None:
    context = await browser.new_context(**context_options(base_url))
    requested: list[str] = []
    try:
        await context.add_init_script(REPORT)
        page = await context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        await page.goto("/schema/swagger")
        await expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
        await expect(page.get_by_text("/api/v1/checkins").first).to_be_attached()
        assert await page.evaluate("window.__csp") == []
    finally:
        await context.close()
    origin = urlsplit(base_url).netloc
    assert requested and {urlsplit(url).netloc for url in requested} == {origin}, requested
