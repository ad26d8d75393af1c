"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's async API against
the real server (granian) on the test PostgreSQL database and S3 server.

One browser for the browser tests (this package: its server stops before the integration tests
start, so that it never works their outbox), launched with a fake camera that shows a real face photo, and a
fresh context per test at 360 px, the width of a low-end Android phone. Tests that must
survive a browser restart launch their own persistent context with `launch_persistent()`.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from minio import Minio
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from tests.support import photos
from tests.support.factories import PASSWORD, TEACHER, by_role, school_point
from tests.support.services import REPO, live_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
BKD = by_role("bkd")
FACE = "obama.jpg"  # the fake camera's face, and the teacher's enrolled reference
HELP_CONTACT = "Helpdesk BKD Blora, WA 0812-3456-7890"  # HADIR_HELP_CONTACT of the test server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def face_y4m(path: Path, name: str = FACE) -> Path:
    """One 640x480 4:2:0 frame of a head-and-shoulders photo, for Chromium's fake camera.

    The portrait sits in the centre, so the PWA's 3:4 crop (the face guide) is exactly the
    photo; Chromium loops the single frame.
    """
    face = Image.open(io.BytesIO(photos.selfie(name))).convert("RGB")
    face = face.resize((round(face.width * 480 / face.height), 480), Image.Resampling.LANCZOS)
    frame = Image.new("RGB", (640, 480), (128, 128, 128))
    frame.paste(face, ((640 - face.width) // 2, 0))
    y, cb, cr = frame.convert("YCbCr").split()
    chroma = [plane.resize((320, 240), Image.Resampling.BILINEAR).tobytes() for plane in (cb, cr)]
    header = b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\nFRAME\n"
    path.write_bytes(header + y.tobytes() + b"".join(chroma))
    return path


@pytest.fixture(scope="package")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    return face_y4m(tmp_path_factory.mktemp("camera") / "face.y4m")


@pytest.fixture(scope="package")
def base_url(server_env: dict[str, str]) -> Iterator[str]:
    with live_server({**server_env, "HADIR_HELP_CONTACT": HELP_CONTACT}) as url:
        yield url


@pytest.fixture(scope="package")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as p:
        yield p


def launch_args(camera_file: Path) -> list[str]:
    return [*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera_file}"]


@pytest.fixture(scope="package")
async def browser(playwright: Playwright, camera_file: Path) -> AsyncIterator[Browser]:
    browser = await playwright.chromium.launch(
        executable_path=CHROMIUM, args=launch_args(camera_file)
    )
    yield browser
    await browser.close()


def context_options(base_url: str, *, inside: bool = True) -> dict[str, Any]:
    lon, lat = school_point()
    return {
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        "base_url": base_url,
        "permissions": ["geolocation", "camera"],
        "geolocation": {"latitude": lat, "longitude": lon, "accuracy": 12} if inside else None,
    }


@pytest.fixture
async def context(browser: Browser, base_url: str) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(**context_options(base_url))
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    page = await context.new_page()
    watch_errors(page)
    return page


async def launch_persistent(
    playwright: Playwright, user_data_dir: Path, camera_file: Path, base_url: str, **extra: Any
) -> BrowserContext:
    """A browser profile on disk: IndexedDB and the service worker survive closing it."""
    return await playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        args=launch_args(camera_file),
        **context_options(base_url),
        **extra,
    )


def watch_errors(page: Page) -> list[str]:
    """Uncaught page errors fail the test at the next `assert_no_errors`."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page._hadir_errors = errors  # type: ignore[attr-defined]
    return errors


def assert_no_errors(page: Page) -> None:
    errors = getattr(page, "_hadir_errors", [])
    assert not errors, f"uncaught errors in the page: {errors}"


# --- the app, as a user drives it --------------------------------------------------------------


async def log_in(page: Page, nip: str = TEACHER.nip, password: str = PASSWORD) -> None:
    if page.url == "about:blank":
        await page.goto("/")
    await page.locator("#nip").fill(nip)
    await page.locator("#password").fill(password)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await page.locator("#check-in").wait_for()


async def service_worker_ready(page: Page) -> None:
    """Waits until the service worker controls the page, i.e. the shell is cached."""
    await eventually(
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"), within=30
    )


async def check_in(page: Page, kind: str = "in") -> None:
    """Opens the camera, waits for a real frame, takes the selfie; the record is queued."""
    await page.locator("#check-in" if kind == "in" else "#check-out").click()
    await camera_ready(page)
    await page.locator("#shoot").click()
    await page.locator("#result").wait_for()


async def check_in_without_challenge(page: Page, kind: str = "in") -> None:
    """Checks in through "Pakai kamera ponsel" (a picked photo of the enrolled face): no head-turn
    challenge, so no liveness verdict. The fake camera's still picture fails the challenge as
    a flat replay would; tests about what follows an accepted record use this."""
    from tests.support import photos

    await page.locator("#check-in" if kind == "in" else "#check-out").click()
    await page.locator("#selfie-file").set_input_files(
        files=[{"name": "selfie.jpg", "mimeType": "image/jpeg", "buffer": photos.selfie(FACE)}]
    )
    await page.locator("#result").wait_for()


async def camera_ready(page: Page) -> None:
    # Polled from here, not with wait_for_function, whose predicate runs through eval(),
    # which the strict CSP blocks.
    await eventually(lambda: page.evaluate("document.querySelector('video.video').videoWidth"))


async def badge(page: Page) -> dict[str, int]:
    sync = page.locator("#sync")
    return {
        "pending": int(await sync.get_attribute("data-pending") or 0),
        "failed": int(await sync.get_attribute("data-failed") or 0),
    }


async def outbox(page: Page) -> list[dict[str, Any]]:
    """The outbox as stored in IndexedDB (without the selfie blobs)."""
    return await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('hadir');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('outbox').objectStore('outbox').getAll();
              get.onsuccess = () => {
                resolve(get.result.map(({body, ...rest}) => ({
                  ...rest, meta: body.meta, selfieBytes: body.selfie.size})));
                open.result.close();
              };
            };
        })"""
    )


async def screenshot(page: Page, name: str, *, whole: bool = True) -> Path:
    """Saves the screen for review in test-artifacts/screenshots/: the whole page, or with
    whole=False just what the phone shows now.

    For the whole page the viewport is stretched to the page's height (Playwright's full_page
    would leave the sticky action bar and the fixed tabs in mid-page).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if not whole:
        await page.screenshot(path=path)
        return path
    size = page.viewport_size or PHONE
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=path)
    finally:
        await page.set_viewport_size(size)
    return path


async def eventually(
    check: Callable[[], Awaitable[Any]], *, within: float = 30, every: float = 0.25
) -> Any:
    """Polls `check` until it returns something truthy; returns that."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {within} s")
        await asyncio.sleep(every)


# --- the server side, checked directly ---------------------------------------------------------


@pytest.fixture(scope="package")
def database_url(server_env: dict[str, str]) -> str:
    return server_env["HADIR_DATABASE_URL"]


async def stored_checkins(database_url: str, client_ids: list[str]) -> list[dict[str, Any]]:
    """Rows in the database for these client_ids (at most one each: client_id is unique)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT client_id::text AS client_id, kind, status, lat, lon, accuracy_m, sent_at, "
            "captured_at, received_at, reasons FROM attendance_checkin "
            "WHERE client_id::text = ANY($1::text[]) ORDER BY received_at",
            client_ids,
        )
    finally:
        await conn.close()
    result = []
    for row in rows:
        item = dict(row)
        if isinstance(item["reasons"], str):
            item["reasons"] = json.loads(item["reasons"])
        result.append(item)
    return result


async def bearer(base_url: str, nip: str, password: str = PASSWORD) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post("/api/v1/auth/login", json={"nip": nip, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def enrol_face(base_url: str, nip: str, photo: bytes) -> None:
    """Registers a reference photo as BKD would, through the API."""
    headers = await bearer(base_url, BKD.nip)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        response = await client.post(
            f"/api/v1/faces/{nip}/references",
            files={"photo": ("reference.jpg", photo, "image/jpeg")},
            headers=headers,
        )
    assert response.status_code == 201, response.text


def stored_selfie(server_env: dict[str, str], checkin: dict[str, Any], nip: str) -> bytes:
    """The selfie as the server stored it in S3."""
    client = Minio(server_env["HADIR_MINIO_ENDPOINT"], access_key="x", secret_key="y", secure=False)
    key = f"selfies/{checkin['work_date'].replace('-', '/')}/{nip}/{checkin['client_id']}.jpg"
    response = client.get_object(server_env["HADIR_MINIO_BUCKET"], key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()
