"""A first login with a one-time password in the browser: the app asks for a new password
before anything else and continues with the fresh token; later, when the session is ended
elsewhere, the queued check-in stays on the phone and the login screen says why."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import httpx
from playwright.async_api import Browser, expect

from backend.core.auth import ENDED, hash_initial, initial_password
from tests.browser.conftest import (
    assert_no_errors,
    check_in,
    context_options,
    outbox,
    screenshot,
    watch_errors,
)
from tests.support.factories import TEACHER

expect.set_options(timeout=10_000)
NIP = "199203042019031888"
CHOSEN = "sawah-hijau-2031"


async def newcomer(database_url: str) -> str:
    """An employee as an import leaves them: a one-time password, to be replaced."""
    password = initial_password()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM org_employee WHERE nip = $1", NIP)
        await conn.execute(
            "INSERT INTO org_employee (nip, name, unit, roles, position, password_hash, active, "
            "created_at, must_change_password, token_version) SELECT $1, 'Dewi Pegawai Baru', id, "
            "ARRAY['asn'], 'Guru', $2, true, $3, true, 0 FROM org_unit WHERE code = $4",
            NIP,
            hash_initial(password),
            dt.datetime.now(dt.UTC),
            TEACHER.unit_code,
        )
    finally:
        await conn.close()
    return password


async def remove(database_url: str) -> None:
    """The newcomer leaves with the test (their records with them): the school's staff is the
    demo's again for whoever counts it next."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM org_employee WHERE nip = $1", NIP)
    finally:
        await conn.close()


async def test_first_login_asks_for_a_new_password_then_an_ended_session_keeps_records(
    browser: Browser, base_url: str, database_url: str, clean
):
    one_time = await newcomer(database_url)
    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await page.locator("#nip").fill(NIP)
        await page.locator("#password").fill(one_time)
        await page.get_by_role("button", name="Masuk", exact=True).click()

        # Nothing but the new password until one is chosen: no tabs, no way around it.
        await expect(page.locator("#password-forced")).to_be_visible()
        await expect(page.locator("#tabs")).to_be_hidden()
        await page.goto("/#/presensi")
        await expect(page.locator("#password-forced")).to_be_visible()
        assert await page.title() == "Ganti kata sandi · hadir"
        await page.locator("#old-password").fill(one_time)
        await page.locator("#new-password").fill(CHOSEN)
        await page.locator("#new-password-again").fill("sawah-hijau-2032")
        await page.get_by_role("button", name="Simpan kata sandi").click()
        await expect(page.locator("#password-error")).to_have_text(
            "Kedua isian kata sandi baru tidak sama."
        )
        await page.locator("#new-password").fill(NIP + "x")
        await page.locator("#new-password-again").fill(NIP + "x")
        await page.get_by_role("button", name="Simpan kata sandi").click()
        await expect(page.locator("#password-error")).to_have_text(
            "Kata sandi baru tidak boleh memuat NIP"
        )
        await page.locator("#new-password").fill(CHOSEN)
        await page.locator("#new-password-again").fill(CHOSEN)
        await screenshot(page, "30-first-login-new-password")
        await page.get_by_role("button", name="Simpan kata sandi").click()

        # The app goes on with the fresh token the server handed back.
        await expect(page.locator("#check-in")).to_be_visible()
        await expect(page.locator("#tabs")).to_be_visible()
        async with httpx.AsyncClient(base_url=base_url) as client:
            old = await client.post("/api/v1/auth/login", json={"nip": NIP, "password": one_time})
            new = await client.post("/api/v1/auth/login", json={"nip": NIP, "password": CHOSEN})
        assert old.status_code == 401
        assert new.status_code == 201 and new.json()["user"]["must_change_password"] is False

        # Reachable any time from the account screen, without the first-login notice.
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await page.locator("#change-password").click()
        await expect(page.locator("#password-title")).to_be_visible()
        await expect(page.locator("#password-forced")).to_have_count(0)
        await screenshot(page, "31-account-change-password")
        await page.locator("#tabs").get_by_role("link", name="Presensi").click()

        # A check-in made without signal waits in the outbox ...
        await context.set_offline(True)
        await check_in(page, "in")
        await expect(page.locator("#sync")).to_have_text("1 menunggu dikirim")
        # ... while the password is changed on another device: this session ends.
        async with httpx.AsyncClient(base_url=base_url) as client:
            headers = {"Authorization": f"Bearer {new.json()['access_token']}"}
            changed = await client.post(
                "/api/v1/me/password",
                json={"old_password": CHOSEN, "new_password": "sawah-kuning-2031"},
                headers=headers,
            )
        assert changed.status_code == 200, changed.text
        await asyncio.sleep(5.5)  # HADIR_TOKEN_CHECK_TTL_S: every process sees it by then
        await context.set_offline(False)

        # The sync's 401 ends the session with the server's reason; the record stays.
        notice = page.locator("#login-notice")
        await expect(notice).to_contain_text(ENDED, timeout=30_000)
        await expect(notice).to_contain_text("1 presensi tersimpan di ponsel")
        queued = await outbox(page)
        assert [(item["meta"]["kind"], item["state"]) for item in queued] == [("in", "queued")]
        await screenshot(page, "32-session-ended-records-kept")
        assert_no_errors(page)
    finally:
        await context.close()
        await remove(database_url)
