"""Izin in the browser: a teacher requests a permit without signal, it goes through the outbox
exactly once when the link is back, the principal approves it in Persetujuan and the teacher
sees the decision; a request made offline that the server refuses (overlap, only days off) is
kept as failed with the server's reason and never retried on its own. (Online, a refusal is
said at the form: tests/browser/test_rough_edges.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from backend.org import demo_data
from tests.browser.conftest import (
    assert_no_errors,
    badge,
    bearer,
    context_options,
    eventually,
    log_in,
    screenshot,
    service_worker_ready,
    watch_errors,
)
from tests.support.factories import TEACHER, by_role

expect.set_options(timeout=10_000)

PRINCIPAL = by_role("kepala_unit", unit_code="SDN-BLEBOH-1")
HOLIDAYS = {holiday.date for holiday in demo_data.HOLIDAYS}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # a doctor's letter, in spirit


def school_day(after: int) -> dt.date:
    """The first working day of the six-day school (Mon-Sat, no holiday) `after` days ahead."""
    day = dt.date.today() + dt.timedelta(days=after)
    while day.weekday() == 6 or day in HOLIDAYS:
        day += dt.timedelta(days=1)
    return day


def sunday(after: int) -> dt.date:
    day = dt.date.today() + dt.timedelta(days=after)
    return day + dt.timedelta(days=(6 - day.weekday()) % 7)


async def phone(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(**context_options(base_url))
    page = await context.new_page()
    watch_errors(page)
    await page.goto("/")
    return context, page


async def permit_outbox(page: Page) -> list[dict[str, Any]]:
    """The outbox's permit items as stored in IndexedDB (without attachment blobs)."""
    items = await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('hadir');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('outbox').objectStore('outbox').getAll();
              get.onsuccess = () => {
                resolve(get.result.map(({body, ...rest}) => ({...rest, meta: body.meta})));
                open.result.close();
              };
            };
        })"""
    )
    return [item for item in items if item["kind"] == "permit"]


async def my_permits(base_url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.get("/api/v1/permits", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def request_permit(
    page: Page,
    kind: str,
    start: dt.date,
    end: dt.date,
    reason: str,
    attachment: dict[str, Any] | None = None,
) -> None:
    await page.locator("#permit-kind").select_option(kind)
    if attachment:
        await page.locator("#permit-file").set_input_files(attachment)
    await page.locator("#permit-start").fill(start.isoformat())
    await page.locator("#permit-end").fill(end.isoformat())
    await page.locator("#permit-reason").fill(reason)
    await page.locator("#permit-submit").click()


async def test_permit_made_offline_lands_once_and_the_principal_approves_it(
    browser: Browser, base_url: str, clean
):
    day = school_day(14)
    teacher_context, teacher = await phone(browser, base_url)
    head_context = None
    try:
        await log_in(teacher)
        # The home screen says how the server counts today (hadir, libur, izin...).
        await expect(teacher.locator("#day-status")).to_contain_text("Status hari ini")
        await teacher.get_by_role("link", name="Izin", exact=True).click()
        await teacher.locator("#permit-form").wait_for()

        await teacher_context.set_offline(True)
        letter = {"name": "surat-dokter.pdf", "mimeType": "application/pdf", "buffer": PDF}
        await request_permit(teacher, "sakit", day, day, "Demam tinggi, surat dokter", letter)
        queue = teacher.locator("#permit-queue")
        await expect(queue).to_contain_text("Menunggu dikirim")
        await expect(queue).to_contain_text("Sakit")
        (item,) = await permit_outbox(teacher)
        assert item["schemaVersion"] == 1 and item["state"] == "queued"
        assert item["meta"]["start_date"] == day.isoformat()
        assert (await badge(teacher))["pending"] == 1

        await teacher_context.set_offline(False)
        await expect(queue).to_be_hidden(timeout=20_000)
        listed = teacher.locator(f"#permit-list [data-client-id='{item['meta']['client_id']}']")
        await expect(listed).to_contain_text("Menunggu keputusan")
        assert await permit_outbox(teacher) == []
        mine = await my_permits(base_url, await bearer(base_url, TEACHER.nip))
        assert [p["client_id"] for p in mine].count(item["meta"]["client_id"]) == 1
        assert len(mine) == 1 and mine[0]["status"] == "pending"
        assert mine[0]["has_attachment"]

        head_context, head = await phone(browser, base_url)
        await log_in(head, PRINCIPAL.nip)
        await head.get_by_role("link", name="Persetujuan").click()
        card = head.locator(f"#inbox [data-permit-id='{mine[0]['id']}']")
        await expect(card).to_contain_text(TEACHER.name)
        await expect(card).to_contain_text("Demam tinggi")
        await expect(card.get_by_role("button", name="Lihat lampiran")).to_be_visible()
        await card.get_by_label("Catatan").fill("Semoga lekas sembuh")
        await screenshot(head, "13-persetujuan")
        await card.get_by_role("button", name="Setujui").click()
        await expect(head.locator("#inbox-status")).to_contain_text("Tidak ada permohonan")
        assert_no_errors(head)

        await teacher.reload()
        await expect(listed).to_contain_text("Disetujui")
        await expect(listed).to_contain_text("Semoga lekas sembuh")
        await expect(listed.get_by_role("button", name="Batalkan")).to_have_count(0)
        (decided,) = await my_permits(base_url, await bearer(base_url, TEACHER.nip))
        assert decided["status"] == "approved"
        assert_no_errors(teacher)
    finally:
        await teacher_context.close()
        if head_context:
            await head_context.close()


async def test_refused_permits_fail_with_the_reason_and_are_not_retried(
    browser: Browser, base_url: str, clean
):
    day = school_day(21)
    headers = await bearer(base_url, TEACHER.nip)

    async def elsewhere(start: dt.date, end: dt.date) -> dict[str, Any]:
        meta = {
            "client_id": str(uuid.uuid4()),
            "kind": "cuti_tahunan",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "reason": "Urusan keluarga di luar kota",
        }
        async with httpx.AsyncClient(base_url=base_url) as client:
            response = await client.post(
                "/api/v1/permits", files={"meta": (None, json.dumps(meta))}, headers=headers
            )
        assert response.status_code == 201, response.text
        return meta

    meta = await elsewhere(day, day + dt.timedelta(days=2))
    context, page = await phone(browser, base_url)
    try:
        await log_in(page)
        await page.get_by_role("link", name="Izin", exact=True).click()
        existing = page.locator(f"#permit-list [data-client-id='{meta['client_id']}']")
        await expect(existing).to_contain_text("Menunggu keputusan")

        # Made without signal, against a request from another device the phone does not know.
        later = school_day(30)
        await context.set_offline(True)
        await elsewhere(later, later)
        await request_permit(page, "izin", later, later, "Mengantar anak ke rumah sakit")
        await request_permit(page, "izin", sunday(28), sunday(28), "Acara keluarga di desa")
        queue = page.locator("#permit-queue")
        await expect(queue.get_by_text("Menunggu dikirim")).to_have_count(2)
        await context.set_offline(False)
        await expect(queue).to_contain_text("Bertumpuk", timeout=20_000)
        await expect(queue).to_contain_text("hari libur")
        await expect(queue.get_by_text("Gagal dikirim")).to_have_count(2)
        assert await badge(page) == {"pending": 0, "failed": 2}
        await screenshot(page, "12-izin")

        first = await permit_outbox(page)
        await asyncio.sleep(2)  # a retry would have happened by now (the backoff starts at 5 s)
        await page.context.set_offline(True)
        await page.context.set_offline(False)  # a reconnect forces a sync round
        await asyncio.sleep(1)
        after = await permit_outbox(page)
        assert [(i["state"], i["failedStatus"]) for i in after] == [
            ("failed", 409),
            ("failed", 422),
        ]
        # Not tried again: as many attempts as when they failed (the offline tries before count).
        assert [i["attempts"] for i in after] == [i["attempts"] for i in first]
        assert [i["id"] for i in after] == [i["id"] for i in first]
        assert len(await my_permits(base_url, headers)) == 2

        # Cancelling a pending request is an online action on the list, asked first.
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await existing.get_by_role("button", name="Batalkan").click()
        await expect(existing).to_contain_text("Dibatalkan")
        cancelled = [
            p for p in await my_permits(base_url, headers) if p["client_id"] == meta["client_id"]
        ]
        assert cancelled[0]["status"] == "cancelled"

        # Riwayat shows the last seven days as the server counts them (since the employee was
        # registered: the test database's demo staff were created today).
        await page.get_by_role("link", name="Riwayat").click()
        week = page.locator("#week-list > li")
        await expect(week.first).to_be_visible()
        assert 1 <= await week.count() <= 7
        assert_no_errors(page)
    finally:
        await context.close()


async def test_notifications_only_on_request_and_the_worker_shows_a_push(
    browser: Browser, base_url: str, clean
):
    context, page = await phone(browser, base_url)
    try:
        await context.grant_permissions(["notifications"])
        await log_in(page)
        await service_worker_ready(page)
        # Nothing subscribes on its own: only the button on Akun does.
        assert not await page.evaluate(
            "navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription())"
        )
        await page.get_by_role("link", name="Akun").click()
        await expect(page.get_by_role("button", name="Aktifkan notifikasi")).to_be_visible()

        # A push as the browser's push service would deliver it, through DevTools.
        cdp = await context.new_cdp_session(page)
        registrations: list[str] = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(
                r["registrationId"] for r in event["registrations"] if not r["isDeleted"]
            ),
        )
        await cdp.send("ServiceWorker.enable")
        await eventually(lambda: asyncio.sleep(0, registrations))
        payload = {
            "title": "Izin disetujui",
            "body": "Sakit 7 Des 2026 disetujui",
            "url": "/#/izin",
            "kind": "permit_decision",
            "id": 41,
        }
        other = dict(payload, body="Cuti 8 Des 2026 disetujui", id=42)
        # Notice 41 arrives twice, as after a worker killed mid-send (delivery is at least
        # once): one notification per id, and two notices of one kind both stay.
        for notice in (payload, other, payload):
            await cdp.send(
                "ServiceWorker.deliverPushMessage",
                {
                    "origin": base_url.rstrip("/"),
                    "registrationId": registrations[0],
                    "data": json.dumps(notice),
                },
            )

        async def shown() -> list[dict[str, str]]:
            return await page.evaluate(
                """() => navigator.serviceWorker.ready
                    .then((r) => r.getNotifications())
                    .then((list) => list.map((n) => ({title: n.title, body: n.body,
                                                       url: n.data && n.data.url})))"""
            )

        async def both() -> bool:
            return len(await shown()) >= 2

        await eventually(both)
        await asyncio.sleep(1)  # the third push is handled by now
        assert sorted(n["body"] for n in await shown()) == [other["body"], payload["body"]]
        assert {n["url"] for n in await shown()} == {"/#/izin"}
        assert_no_errors(page)
    finally:
        await context.close()
