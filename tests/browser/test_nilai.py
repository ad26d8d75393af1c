"""The citizens' rating page (/nilai/<code>) in real Chromium at 360 px: rated without signal,
sent once when the signal returns, a second rating from the same phone refused in words; the
page opens without signal after a first visit (its own service worker, scope /nilai/). And the
static checks of that worker: it keeps exactly the page's files, its version follows them."""

from __future__ import annotations

import hashlib
import re
import uuid

import asyncpg
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import assert_no_errors, eventually, screenshot
from tests.support.services import REPO

expect.set_options(timeout=10_000)

PWA = REPO / "pwa"
NILAI_SW = (PWA / "nilai-sw.js").read_text()
GERAI = "MPP-G01"
SERVICE = "Perekaman KTP-el"


# --- the worker's files and version (no browser) -------------------------------------------------


def worker_files() -> list[str]:
    listed = re.search(r"const FILES = \[(.*?)\];", NILAI_SW, re.S)
    assert listed, "nilai-sw.js must declare const FILES = [...];"
    return re.findall(r"'([^']+)'", listed.group(1))


def worker_version() -> str:
    digest = hashlib.sha256()
    for url in worker_files():
        digest.update(url.encode() + b"\0" + (PWA / url.lstrip("/")).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def test_the_rating_worker_keeps_exactly_what_the_page_loads():
    page = (PWA / "nilai.html").read_text()
    loaded = set(re.findall(r'(?:href|src)="(/[^"]+)"', page))
    assert set(worker_files()) == {"/nilai.html"} | loaded
    assert "import " not in (PWA / "src" / "nilai.js").read_text()  # nothing loaded later


def test_the_rating_worker_version_follows_its_files():
    version = re.search(r"const VERSION = '([0-9a-f]{12})';", NILAI_SW)
    assert version, "nilai-sw.js must declare const VERSION = '<12 hex digits>';"
    assert version.group(1) == worker_version(), (
        f"the rating page changed: set const VERSION = '{worker_version()}'; in pwa/nilai-sw.js"
    )


def test_the_rating_worker_leaves_the_app_alone():
    """Its cache names and its cleanup never reach the app's hadir-shell-* caches."""
    assert "hadir-shell-" not in NILAI_SW
    assert "name.startsWith('hadir-nilai-')" in NILAI_SW


# --- in the browser ------------------------------------------------------------------------------


async def stored_ratings(database_url: str, client_ids: list[str]) -> list[dict]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT client_id::text AS client_id, service, answers, comment FROM ratings_rating "
            "WHERE client_id::text = ANY($1::text[])",
            client_ids,
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def pending(page: Page) -> list[dict]:
    """The page's queue in IndexedDB."""
    return await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('hadir-nilai');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('pending').objectStore('pending').getAll();
              get.onsuccess = () => { resolve(get.result); open.result.close(); };
            };
        })"""
    )


async def answer_all(page: Page, comment: str) -> None:
    """The service, the nine questions (each a different answer), a comment, two profile fields."""
    await page.locator("select[name=service]").select_option(SERVICE)
    for index in range(1, 10):
        # Tapping the label, as a thumb would: the radio itself is small inside it.
        await page.locator(f"input[name=U{index}]").nth(index % 4).locator("xpath=..").click()
    await page.locator("textarea[name=comment]").fill(comment)
    await page.locator("select[name=profile_sex]").select_option("P")
    await page.locator("select[name=profile_age]").select_option("30-39")


async def test_rated_offline_sent_once_online_and_a_second_rating_refused_politely(
    context: BrowserContext, page: Page, database_url: str
):
    posts: list[int] = []
    context.on(
        "response",
        lambda r: (
            posts.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/api/v1/public/ratings")
            else None
        ),
    )
    # First visit, with signal: the page installs its worker and keeps the gerai's questions.
    await page.goto(f"/nilai/{GERAI}")
    await expect(page.locator("h1")).to_have_text("Gerai Disdukcapil")
    await eventually(
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"), within=30
    )
    assert await page.evaluate(
        "navigator.serviceWorker.controller.scriptURL.endsWith('/nilai-sw.js')"
    )
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways

    # In the basement: no signal. The page still opens (worker + kept questions).
    await context.set_offline(True)
    await page.reload()
    await expect(page.locator("h1")).to_have_text("Gerai Disdukcapil")
    await expect(page.locator("fieldset legend").nth(1)).to_contain_text("1. ")
    await answer_all(page, "Petugas ramah, <b>antre</b> agak lama")
    await screenshot(page, "nilai-01-answered")
    await page.get_by_role("button", name="Kirim penilaian").click()
    await expect(page.locator("#status")).to_contain_text("Tidak ada sinyal")
    await expect(page.locator("#done")).to_contain_text("sudah disimpan dan akan dikirim")
    queued = await pending(page)
    assert len(queued) == 1
    client_id = queued[0]["client_id"]
    assert queued[0]["body"]["answers"] == {f"U{i}": 1 + i % 4 for i in range(1, 10)}
    assert await stored_ratings(database_url, [client_id]) == []
    assert posts == []  # nothing reached the server
    await screenshot(page, "nilai-02-offline-kept", whole=False)

    # The signal returns: sent once, at once (the 'online' event), and never again.
    await context.set_offline(False)
    await expect(page.locator("#done")).to_contain_text("sudah terkirim", timeout=20_000)
    await expect(page.locator("#status")).to_be_hidden()  # the panel says it, once
    assert await pending(page) == []
    rows = await stored_ratings(database_url, [client_id])
    assert len(rows) == 1 and rows[0]["service"] == SERVICE
    assert rows[0]["comment"] == "Petugas ramah, <b>antre</b> agak lama"  # kept as text
    await page.evaluate("window.dispatchEvent(new Event('online'))")  # a flapping signal
    await page.wait_for_timeout(1000)
    assert posts == [201]
    assert len(await stored_ratings(database_url, [client_id])) == 1
    await screenshot(page, "nilai-03-sent", whole=False)

    # The same phone rates the same gerai again within the window: refused, in words.
    await page.goto(f"/nilai/{GERAI}")
    await answer_all(page, "lagi")
    await page.get_by_role("button", name="Kirim penilaian").click()
    done = page.locator("#done")
    await expect(done.locator("h1")).to_have_text("Sudah dinilai")
    await expect(done).to_contain_text("penilaian Anda untuk Gerai Disdukcapil sudah kami terima")
    await expect(done).to_contain_text("Satu perangkat dapat menilai satu gerai sekali")
    await expect(done).to_have_class(re.compile(r"\bwarn\b"))
    await expect(page.locator("#status")).to_be_hidden()
    assert posts == [201, 409]
    assert await pending(page) == []  # a refusal is not retried
    await screenshot(page, "nilai-04-second-refused", whole=False)
    assert_no_errors(page)


async def test_an_unknown_gerai_says_so(page: Page):
    await page.goto(f"/nilai/NOPE-{uuid.uuid4().hex[:6]}")
    await expect(page.locator("#nilai")).to_contain_text("Gerai tidak dikenal")
    assert_no_errors(page)
