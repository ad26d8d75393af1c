"""Signed records in real Chromium: the device key is made at login, non-extractable, and
registered; a check-in made offline and synced arrives signed and verified; a record tampered
with in IndexedDB before sync arrives flagged."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Page, expect

from tests.browser.conftest import (
    assert_no_errors,
    bearer,
    check_in,
    eventually,
    log_in,
    outbox,
    service_worker_ready,
)
from tests.support.factories import TEACHER

expect.set_options(timeout=10_000)

KEY = """(owner) => new Promise((resolve, reject) => {
    const open = indexedDB.open('hadir-keys');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('keys').objectStore('keys').get(owner);
      get.onsuccess = () => {
        const key = get.result;
        open.result.close();
        resolve(key ? {
          extractable: key.privateKey.extractable,
          usages: key.privateKey.usages,
          algorithm: key.privateKey.algorithm.namedCurve,
          fingerprint: key.fingerprint || null,
          deviceId: key.deviceId || null,
        } : null);
      };
    };
})"""

# Moves the capture time of the outbox's newest item a minute back, as someone with the
# phone's developer tools might, after it was signed.
TAMPER = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('hadir');
    open.onsuccess = () => {
      const store = open.result.transaction('outbox', 'readwrite').objectStore('outbox');
      const all = store.getAll();
      all.onsuccess = () => {
        const item = all.result[all.result.length - 1];
        const earlier = new Date(Date.parse(item.body.meta.captured_at) - 60_000);
        item.body.meta.captured_at = earlier.toISOString();
        store.put(item).onsuccess = () => { open.result.close(); resolve(item.body.meta.client_id); };
      };
    };
    open.onerror = () => reject(open.error);
})"""


async def stored(database_url: str, client_ids: list[str]) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT client_id::text AS client_id, device_id, device_seq, reasons "
            "FROM attendance_checkin WHERE client_id::text = ANY($1::text[]) "
            "ORDER BY device_seq",
            client_ids,
        )
    finally:
        await conn.close()
    return [
        {
            **dict(r),
            "reasons": json.loads(r["reasons"]) if isinstance(r["reasons"], str) else r["reasons"],
        }
        for r in rows
    ]


async def test_the_key_is_made_at_login_and_records_arrive_signed_or_flagged(
    page: Page, context, base_url: str, database_url: str
):
    # An earlier browser test may have left the teacher a check-out today: "Masuk" then asks.
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto("/")
    await log_in(page)
    key = await eventually(lambda: registered(page))
    assert key["extractable"] is False  # the private half can sign, never be read out
    assert key["usages"] == ["sign"] and key["algorithm"] == "P-256"
    async with httpx.AsyncClient(base_url=base_url) as client:
        mine = await client.get("/api/v1/devices", headers=await bearer(base_url, TEACHER.nip))
    devices = {d["id"]: d for d in mine.json()["items"]}
    assert devices[key["deviceId"]]["fingerprint"] == key["fingerprint"]
    await service_worker_ready(page)

    # Two check-ins without signal; the second is edited in IndexedDB before it is sent.
    await context.set_offline(True)
    await check_in(page, "in")
    # "in" again, not "out": an "out" today would make the next browser test's "Masuk" ask
    # first (a rough edge of issue 13) and leave its camera closed.
    await check_in(page, "in")
    await expect(page.locator("#sync")).to_have_text("2 menunggu dikirim")
    queued = await outbox(page)
    assert [item["chain"]["seq"] for item in queued] == [1, 2]
    assert queued[1]["chain"]["prev"] == queued[0]["chain"]["hash"]
    tampered = await page.evaluate(f"({TAMPER})()")
    await context.set_offline(False)
    await expect(page.locator("#sync")).to_have_text("Semua terkirim", timeout=30_000)

    good, bad = await stored(database_url, [item["meta"]["client_id"] for item in queued])
    assert bad["client_id"] == tampered
    codes = {"device_unregistered", "signature_invalid", "chain_broken"}
    assert (good["device_id"], good["device_seq"]) == (key["deviceId"], 1)
    assert [r["code"] for r in good["reasons"] if r["code"] in codes] == []
    assert (bad["device_id"], bad["device_seq"]) == (key["deviceId"], 2)
    assert [r["code"] for r in bad["reasons"] if r["code"] in codes] == ["signature_invalid"]
    assert_no_errors(page)


async def registered(page: Page) -> dict[str, Any] | None:
    key = await page.evaluate(f"({KEY})('{TEACHER.nip}')")
    return key if key and key["deviceId"] else None
