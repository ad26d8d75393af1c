"""The ASN's app as a teacher tries it (issue 13, "without rough edges"): the day card follows
each settled record, a second "Masuk" asks first, outside the fence is said before the selfie,
face distances are words, a notification opens its record, a refused permit is told where the
user looks, and the login screen says whom to ask."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, expect

from tests.browser.conftest import (
    FACE,
    HELP_CONTACT,
    PHONE,
    assert_no_errors,
    badge,
    bearer,
    camera_ready,
    check_in,
    check_in_without_challenge,
    context_options,
    enrol_face,
    log_in,
    screenshot,
    watch_errors,
)
from tests.browser.test_checkin import east_of_school, is_checkin_post
from tests.browser.test_permits import PRINCIPAL, my_permits, permit_outbox, school_day
from tests.support import photos
from tests.support.factories import PASSWORD, TEACHER, by_role

expect.set_options(timeout=10_000)

ALL_DAY = {str(d): ["00:00", "23:59"] for d in range(1, 8)}  # every day a working day, all day
NIP = "199001012015011777"
MONTH = r"(Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember)"


async def all_day_employee(database_url: str) -> int:
    """A teacher at the demo school whose working day is the whole day, every day: whatever the
    hour the test runs, a check-in counts for today and the day is not over."""
    conn = await asyncpg.connect(database_url)
    try:
        await remove_employee(conn)
        schedule = await conn.fetchval(
            "INSERT INTO org_schedule (code, name, kind, days) VALUES ($1, 'Sepanjang hari', "
            "'shift', $2) RETURNING id",
            f"T-{uuid.uuid4().hex[:10]}",
            json.dumps(ALL_DAY),
        )
        return await conn.fetchval(
            "INSERT INTO org_employee (nip, name, unit, schedule, roles, position, password_hash, "
            "active, created_at, must_change_password, token_version) SELECT $1, 'Guru Uji', "
            "e.unit, $2, ARRAY['asn'], 'Guru', e.password_hash, true, $3, false, 0 "
            "FROM org_employee e WHERE e.nip = $4 RETURNING id",
            NIP,
            schedule,
            dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
            TEACHER.nip,
        )
    finally:
        await conn.close()


async def remove_employee(conn: asyncpg.Connection) -> None:
    """The test employee and everything that refers to them, found through the foreign keys."""
    employee = await conn.fetchval("SELECT id FROM org_employee WHERE nip = $1", NIP)
    if employee is None:
        return
    refs = await conn.fetch(
        "SELECT c.conrelid::regclass::text AS tab, a.attname AS col FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
        "WHERE c.contype = 'f' AND c.confrelid = 'org_employee'::regclass"
    )
    checkins = await conn.fetch("SELECT id FROM attendance_checkin WHERE employee = $1", employee)
    ids = [row["id"] for row in checkins]
    inner = await conn.fetch(
        "SELECT c.conrelid::regclass::text AS tab, a.attname AS col FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
        "WHERE c.contype = 'f' AND c.confrelid = 'attendance_checkin'::regclass"
    )
    for ref in inner:
        await conn.execute(f'DELETE FROM {ref["tab"]} WHERE "{ref["col"]}" = ANY($1::int[])', ids)
    for ref in refs:
        if ref["tab"] != "org_employee":
            await conn.execute(f'DELETE FROM {ref["tab"]} WHERE "{ref["col"]}" = $1', employee)
    schedule = await conn.fetchval("SELECT schedule FROM org_employee WHERE id = $1", employee)
    await conn.execute("DELETE FROM org_employee WHERE id = $1", employee)
    if schedule is not None:
        await conn.execute("DELETE FROM org_schedule WHERE id = $1 AND code LIKE 'T-%'", schedule)


@pytest.fixture
async def all_day(database_url: str, base_url: str, clean) -> AsyncIterator[str]:
    await all_day_employee(database_url)
    await enrol_face(base_url, NIP, photos.photo(FACE))
    yield NIP
    conn = await asyncpg.connect(database_url)
    try:
        await remove_employee(conn)
    finally:
        await conn.close()


def answer_dialogs(page: Page, accept: list[bool]) -> list[str]:
    """Answers the page's confirm() dialogs in turn (True: OK); returns what they asked."""
    asked: list[str] = []
    answers: set[asyncio.Future[None]] = set()

    def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        yes = accept.pop(0) if accept else False
        answer = asyncio.ensure_future(dialog.accept() if yes else dialog.dismiss())
        answers.add(answer)
        answer.add_done_callback(answers.discard)

    page.on("dialog", on_dialog)
    return asked


async def shoot(page: Page) -> None:
    await camera_ready(page)
    await page.locator("#shoot").click()
    await page.locator("#result").wait_for()


async def test_the_day_card_follows_each_record_and_a_second_masuk_asks_first(
    page: Page, all_day: str
):
    await page.goto("/")
    await log_in(page, all_day)
    status = page.locator("#day-status")
    await expect(status).to_contain_text("Belum selesai")

    # A picked photo: the fake camera's still picture would fail the head-turn challenge.
    await check_in_without_challenge(page, "in")
    result = page.locator("#result")
    await expect(result.locator(".chip")).to_have_text("Diterima", timeout=60_000)
    # Without a reload: the accepted check-in makes the day "Hadir", still open for "pulang".
    await expect(status).to_contain_text("Hadir")
    await expect(status).to_contain_text("Belum presensi pulang")
    # Face distances are the model's numbers: the employee reads words.
    await expect(result).to_contain_text("Wajah cocok dengan foto referensi")
    await expect(result).not_to_contain_text("jarak")

    await check_in_without_challenge(page, "out")
    await expect(result.locator(".chip")).to_have_text("Diterima", timeout=60_000)
    await expect(status).to_contain_text("Pulang cepat")
    await expect(status).not_to_contain_text("Belum presensi pulang")

    # A second "Masuk" after "Pulang" asks first; "no" opens no camera.
    asked = answer_dialogs(page, [False, True])
    await page.locator("#check-in").click()
    await expect(page.locator("#shoot")).to_be_hidden()
    assert asked and "pulang" in asked[0].lower(), asked
    await page.locator("#check-in").click()
    await shoot(page)
    assert len(asked) == 2
    # Every record of the day is on the home screen, the second "Masuk" too.
    rows = page.locator("#today-records li")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(2)).to_contain_text("Masuk")
    await expect(rows.nth(1)).to_contain_text("Pulang")
    await screenshot(page, "30-day-follows-records")

    await page.get_by_role("link", name="Riwayat").click()
    listed = page.locator("#day-list li")
    await expect(listed.filter(has_text="Wajah cocok").first).to_be_visible(timeout=60_000)
    await expect(page.locator("#day-list")).not_to_contain_text("jarak")
    assert_no_errors(page)


async def test_outside_the_fence_is_said_before_the_selfie(page: Page, context: BrowserContext):
    lon, lat = east_of_school(400)
    await context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 10})
    await page.goto("/")
    await log_in(page)
    await expect(page.locator("#where")).to_contain_text("di luar area")

    asked = answer_dialogs(page, [False, True])
    await page.locator("#check-in").click()
    await expect(page.locator("#shoot")).to_be_hidden()
    assert asked and "di luar area" in asked[0] and "dinas luar" in asked[0], asked
    # Sent on purpose all the same (a dinas luar the phone does not know of).
    await page.locator("#check-in").click()
    await shoot(page)
    await expect(page.locator("#result .chip")).to_have_text("Ditolak", timeout=30_000)
    assert_no_errors(page)


async def test_a_notification_opens_its_record(page: Page, base_url: str, clean):
    headers = await bearer(base_url, TEACHER.nip)
    day = school_day(10)
    meta = {
        "client_id": str(uuid.uuid4()),
        "kind": "izin",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "reason": "Menghadiri wisuda anak",
    }
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/api/v1/permits", files={"meta": (None, json.dumps(meta))}, headers=headers
        )
    assert response.status_code == 201, response.text
    permit = response.json()

    # Opened while logged out: the record after the login.
    await page.goto(f"/#/izin/{permit['id']}")
    await page.locator("#nip").fill(TEACHER.nip)
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    target = page.locator(f"#permit-list [data-permit-id='{permit['id']}']")
    await expect(target).to_have_class(re.compile(r"\btarget\b"))
    await expect(target).to_be_focused()
    # The link as the server writes it, and the older form of earlier notifications.
    for link in (f"/#/izin/{permit['id']}", f"/#izin/{permit['id']}"):
        await page.goto("/#/presensi")
        await page.locator("#check-in").wait_for()
        await page.goto(link)
        target = page.locator(f"#permit-list [data-permit-id='{permit['id']}']")
        await expect(target).to_have_class(re.compile(r"\btarget\b"))
        await expect(target).to_be_focused()
    assert_no_errors(page)


async def test_a_check_in_notification_opens_riwayat_on_that_record(page: Page, clean):
    await page.goto("/")
    await log_in(page)
    async with page.expect_response(is_checkin_post) as sent:
        await check_in(page)
    checkin = await (await sent.value).json()
    await page.goto(f"/#/presensi/{checkin['id']}")
    target = page.locator(f"#day-list [data-checkin-id='{checkin['id']}']")
    await expect(target).to_have_class(re.compile(r"\btarget\b"))
    await expect(page.locator("#view")).to_have_attribute("data-route", "riwayat")
    assert_no_errors(page)


async def test_an_outbox_item_of_an_unknown_shape_is_refused_with_words(page: Page, clean):
    await page.goto("/")
    await log_in(page)
    # An item as a newer version of the app would have queued it (then rolled back).
    await page.evaluate(
        """(nip) => new Promise((resolve, reject) => {
            const open = indexedDB.open('hadir');
            open.onsuccess = () => {
              const tx = open.result.transaction('outbox', 'readwrite');
              tx.objectStore('outbox').add({kind: 'checkin', schemaVersion: 99,
                body: {meta: {client_id: crypto.randomUUID(), kind: 'in',
                              captured_at: new Date().toISOString()}, photo: 'x'},
                capturedAt: new Date().toISOString(), owner: nip, state: 'queued',
                attempts: 0, nextTryAt: 0, error: null});
              tx.oncomplete = () => { open.result.close(); resolve(); };
              tx.onerror = () => reject(tx.error);
            };
        })""",
        TEACHER.nip,
    )
    await page.reload()
    await page.locator("#check-in").wait_for()
    await expect(page.locator("#sync")).to_have_attribute("data-failed", "1", timeout=20_000)
    await page.get_by_role("link", name="Riwayat").click()
    await expect(page.locator("#queue")).to_contain_text("versi aplikasi")
    assert_no_errors(page)


# --- izin ----------------------------------------------------------------------------------


async def open_izin(page: Page, nip: str = TEACHER.nip) -> None:
    await page.goto("/")
    await log_in(page, nip)
    await page.get_by_role("link", name="Izin", exact=True).click()
    await page.locator("#permit-form").wait_for()


async def fill_permit(page: Page, kind: str, start: dt.date, end: dt.date, reason: str) -> None:
    await page.locator("#permit-kind").select_option(kind)
    await page.locator("#permit-start").fill(start.isoformat())
    await page.locator("#permit-end").fill(end.isoformat())
    await page.locator("#permit-reason").fill(reason)


async def post_permit(base_url: str, nip: str, **meta: Any) -> dict[str, Any]:
    body = {"client_id": str(uuid.uuid4()), "reason": "Urusan keluarga di luar kota", **meta}
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/api/v1/permits",
            files={"meta": (None, json.dumps(body))},
            headers=await bearer(base_url, nip),
        )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_refused_permit_is_said_at_the_form_and_cancelling_asks(
    page: Page, base_url: str, clean
):
    day = school_day(21)
    known = await post_permit(
        base_url,
        TEACHER.nip,
        kind="cuti_tahunan",
        start_date=day.isoformat(),
        end_date=(day + dt.timedelta(days=2)).isoformat(),
    )
    await open_izin(page)
    listed = page.locator(f"#permit-list [data-client-id='{known['client_id']}']")
    await expect(listed).to_contain_text("Menunggu keputusan")
    # One date style everywhere: "30 November 2026".
    await expect(listed).to_contain_text(re.compile(rf"\d{{1,2}} {MONTH}( \d{{4}})? – "))

    posts: list[str] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/v1/permits")
            else None
        ),
    )
    # An overlap with a request the phone knows: said at once, nothing sent.
    await fill_permit(page, "izin", day, day, "Mengantar anak ke rumah sakit")
    await page.locator("#permit-submit").click()
    problem = page.locator("#permit-error")
    await expect(problem).to_contain_text("Bertumpuk")
    await expect(problem).to_be_in_viewport()
    assert posts == []

    # An overlap the phone could not know of (made elsewhere a moment ago): the server's
    # reason, at the form, and nothing left failed in the outbox.
    later = school_day(35)
    await post_permit(
        base_url,
        TEACHER.nip,
        kind="izin",
        start_date=later.isoformat(),
        end_date=later.isoformat(),
    )
    await fill_permit(page, "sakit", later, later, "Demam tinggi sejak pagi")
    await page.locator("#permit-submit").click()
    await expect(problem).to_contain_text("Bertumpuk", timeout=20_000)
    await expect(problem).to_contain_text(re.compile(rf"\d{{1,2}} {MONTH} \d{{4}}"))
    await expect(problem).to_be_in_viewport()
    await expect(page.locator("#permit-reason")).to_have_value("Demam tinggi sejak pagi")
    await expect(page.get_by_text("Gagal dikirim")).to_have_count(0)
    assert await permit_outbox(page) == []
    assert await badge(page) == {"pending": 0, "failed": 0}
    await screenshot(page, "31-izin-refused-inline")

    # Cancelling asks first.
    asked = answer_dialogs(page, [False, True])
    await listed.get_by_role("button", name="Batalkan").click()
    await asyncio.sleep(0.5)
    assert asked and "Batalkan" in asked[0], asked
    await expect(listed).to_contain_text("Menunggu keputusan")
    await listed.get_by_role("button", name="Batalkan").click()
    await expect(listed).to_contain_text("Dibatalkan")
    assert_no_errors(page)


async def test_dinas_luar_picks_its_destination(page: Page, base_url: str, clean):
    day = school_day(7)
    await open_izin(page)
    destination = page.locator("#permit-destination")
    await expect(destination).to_be_hidden()
    await fill_permit(page, "dinas_luar", day, day, "Rapat koordinasi guru di BKD")
    await expect(destination).to_be_visible()
    await page.locator("#permit-destination-search").fill("badan kepeg")
    await expect(destination.locator("option:not([value=''])")).to_have_count(1)
    await destination.select_option(label="Kantor Badan Kepegawaian Daerah")
    await page.locator("#permit-submit").click()
    await expect(page.locator("#permit-list")).to_contain_text(
        "Tujuan: Kantor Badan Kepegawaian Daerah", timeout=20_000
    )
    (mine,) = await my_permits(base_url, await bearer(base_url, TEACHER.nip))
    assert mine["kind"] == "dinas_luar"
    assert mine["destination_name"] == "Kantor Badan Kepegawaian Daerah"
    await screenshot(page, "32-dinas-luar-destination")
    assert_no_errors(page)


async def test_remaining_annual_leave_is_shown(page: Page, base_url: str, clean):
    start = school_day(40)
    permit = await post_permit(
        base_url,
        TEACHER.nip,
        kind="cuti_tahunan",
        start_date=start.isoformat(),
        end_date=start.isoformat(),
    )
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            f"/api/v1/permits/{permit['id']}/decision",
            json={"decision": "approve"},
            headers=await bearer(base_url, PRINCIPAL.nip),
        )
    assert response.status_code == 200, response.text
    used = 1 if start.year == dt.date.today().year else 0
    await open_izin(page)
    leave = page.locator("#leave-balance")
    await expect(leave).to_contain_text(f"{12 - used} dari 12 hari")
    assert_no_errors(page)


# --- the shell -----------------------------------------------------------------------------


async def test_login_says_whom_to_ask_and_what_to_do_when_the_password_is_forgotten(
    page: Page,
):
    await page.goto("/")
    forgot = page.locator("#forgot-password")
    await expect(forgot).to_be_hidden()
    await page.get_by_text("Lupa kata sandi?").click()
    await expect(forgot).to_be_visible()
    await expect(forgot).to_contain_text("admin")
    await expect(forgot).to_contain_text("BKD")
    await expect(page.locator("#login-help")).to_contain_text(HELP_CONTACT)
    await screenshot(page, "33-login-help")
    # Kept: the next time the login screen shows, the contact is there without a tap.
    await page.reload()
    await expect(page.locator("#login-help")).to_contain_text(HELP_CONTACT)
    await expect(forgot).to_be_hidden()
    assert_no_errors(page)


async def test_time_zone_in_words_and_tabs_that_fit(browser: Browser, base_url: str):
    for person in (by_role("kepala_unit"), by_role("bkd"), TEACHER):
        context = await browser.new_context(**context_options(base_url))
        try:
            page = await context.new_page()
            watch_errors(page)
            await page.goto("/")
            await log_in(page, person.nip, PASSWORD)
            tabs = page.locator("#tabs .tab")
            # Whole words on every tab, and the tabs inside the screen.
            broken = await page.evaluate(
                """() => [...document.querySelectorAll('#tabs .tab')].flatMap((tab) => {
                    const out = [];
                    const walker = document.createTreeWalker(tab, NodeFilter.SHOW_TEXT);
                    const text = tab.textContent;
                    for (const m of text.matchAll(/\\S+/g)) {
                      const range = document.createRange();
                      let pos = 0, node, startSet = false;
                      walker.currentNode = tab;
                      while ((node = walker.nextNode())) {
                        const len = node.textContent.length;
                        if (!startSet && m.index < pos + len) {
                          range.setStart(node, m.index - pos); startSet = true;
                        }
                        if (m.index + m[0].length <= pos + len) {
                          range.setEnd(node, m.index + m[0].length - pos); break;
                        }
                        pos += len;
                      }
                      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                      const box = range.getBoundingClientRect();
                      const tabBox = tab.getBoundingClientRect();
                      if (lines.size > 1) out.push(`${m[0]} split over ${lines.size} lines`);
                      if (box.left < tabBox.left - 1 || box.right > tabBox.right + 1)
                        out.push(`${m[0]} wider than its tab`);
                    }
                    return out;
                })"""
            )
            assert broken == [], (person.nip, broken)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"]
            # The action buttons stay above the tabs.
            nav_top = (await page.locator("#tabs").bounding_box())["y"]
            button = await page.locator("#check-in").bounding_box()
            assert button["y"] + button["height"] <= nav_top + 1
            count = await tabs.count()
            await screenshot(page, f"34-tabs-{count}", whole=False)
            await page.get_by_role("link", name="Akun").click()
            zone = page.locator("dl.facts dd").nth(4)
            await expect(zone).to_have_text("WIB")
            assert_no_errors(page)
        finally:
            await context.close()
