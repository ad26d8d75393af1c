"""The gerai registry on real PostgreSQL: the list and who sees it, open / empty / closed from
real check-ins, the empty alert through the outbox to a push notification, the CCTV load hook,
and the CSV/XLSX import with its dry run and refused rows."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator

import httpx
import openpyxl
import pytest

from backend.core.settings import Settings
from backend.core.tables import OutboxItem
from backend.gerai import demo
from backend.gerai.tables import Gerai, GeraiAlert
from backend.push.tables import PushNotification
from backend.services import Services, open_services
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import drain

BKD = by_role("bkd")
COMMAND = by_role("command")
MPP_HEAD = demo.WAHYU
ALWAYS = "Senin-Minggu 00:00-23:59"
HEADER = "Kode Gerai,Nama Gerai,Instansi,Kode Unit,Layanan,Jam Layanan,Petugas,Penyelia"


def sheet(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def gerai_row(code: str = "T-01", staff: str = demo.RIZKY, hours: str = ALWAYS) -> str:
    return f"{code},Gerai Uji,Instansi Uji,MPP,Layanan A; Layanan B,{hours},{staff},{MPP_HEAD}"


async def import_sheet(client, headers, data: bytes, *, apply: bool, name="g.csv"):
    return await client.post(
        "/api/v1/gerai/import",
        params={"apply": str(apply).lower()},
        files={"file": (name, data, "text/csv")},
        headers=headers,
    )


@pytest.fixture
async def services(clean: Settings) -> AsyncIterator[Services]:
    async with open_services(clean, face_executor=lambda: None) as opened:
        yield opened


async def test_list_shows_the_demo_mpp_to_those_allowed(client: httpx.AsyncClient) -> None:
    for nip in (BKD.nip, COMMAND.nip, MPP_HEAD, demo.NOVI):
        answer = await client.get("/api/v1/gerai", headers=await login(client, nip))
        assert answer.status_code == 200, answer.text
        codes = [g["code"] for g in answer.json()["items"]]
        assert {g.code for g in demo.GERAI} <= set(codes), nip
        first = answer.json()["items"][0]
        assert set(first) >= {"code", "name", "agency", "state", "load"}
        assert first["state"] in ("open", "empty", "closed") and first["load"] is None
    # A teacher at a school sees no gerai; a Disdukcapil officer posted at the MPP sees hers.
    teacher = await client.get("/api/v1/gerai", headers=await login(client))
    assert teacher.status_code == 200 and teacher.json()["items"] == []
    ika = await client.get("/api/v1/gerai", headers=await login(client, demo.IKA))
    assert [g["code"] for g in ika.json()["items"]] == ["MPP-G01"]


async def test_state_follows_check_in_and_out_and_the_empty_alert_reaches_the_supervisor(
    client: httpx.AsyncClient, services: Services, clean: Settings
) -> None:
    bkd = await login(client, BKD.nip)
    applied = await import_sheet(client, bkd, sheet(gerai_row()), apply=True)
    assert applied.status_code == 200 and applied.json()["refused"] == [], applied.text
    gerai = services.gerai
    now = dt.datetime.now(dt.UTC)

    async def state() -> str:
        return next(g.state for g in await gerai.board(dt.datetime.now(dt.UTC)) if g.code == "T-01")

    assert await state() == "empty"
    # Empty first seen now; past the grace period an alert opens, once, with a push notice.
    await gerai.watch(now)
    assert await GeraiAlert.count() == 0 or not await open_alert("T-01")
    assert await gerai.watch(now + dt.timedelta(minutes=14)) >= 0 and not await open_alert("T-01")
    await gerai.watch(now + dt.timedelta(minutes=15))
    alert = await open_alert("T-01")
    assert alert is not None
    await gerai.watch(now + dt.timedelta(minutes=16))
    assert await GeraiAlert.count().where(GeraiAlert.gerai == alert["gerai"]) == 1
    keys = [r["job_key"] for r in await OutboxItem.select(OutboxItem.job_key)]
    assert f"notice:gerai_empty:{alert['id']}" in keys
    board = {g.code: g for g in await gerai.board(dt.datetime.now(dt.UTC))}
    assert board["T-01"].alert is not None and board["T-01"].alert.kind == "empty"
    await drain(clean)
    notices = await PushNotification.select().where(PushNotification.kind == "gerai_empty")
    assert len([n for n in notices if "Gerai Uji" in n["title"]]) == 1

    # The officer checks in (unlocated: flagged, not rejected, so on duty): open, alert closed.
    headers = await login(client, demo.RIZKY)
    created = await client.post(
        "/api/v1/checkins",
        files=checkin_files(meta(lat=None, lon=None, accuracy_m=None)),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert await state() == "open"
    await gerai.watch(dt.datetime.now(dt.UTC))
    assert await open_alert("T-01") is None
    assert (await Gerai.select(Gerai.empty_since).where(Gerai.code == "T-01").first())[
        "empty_since"
    ] is None
    # ... and checks out: empty again.
    out = meta(lat=None, lon=None, accuracy_m=None, kind="out")
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).replace(microsecond=0)
    out["captured_at"] = out["sent_at"] = later.isoformat()
    assert (
        await client.post("/api/v1/checkins", files=checkin_files(out), headers=headers)
    ).status_code == 201
    assert await state() == "empty"


async def open_alert(code: str) -> dict | None:
    gerai = await Gerai.select(Gerai.id).where(Gerai.code == code).first()
    return (
        await GeraiAlert.select()
        .where((GeraiAlert.gerai == gerai["id"]) & GeraiAlert.closed_at.is_null())
        .first()
    )


async def test_outside_hours_is_closed_and_raises_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    bkd = await login(client, BKD.nip)
    now = dt.datetime.now(dt.UTC)
    # Hours only on the day after tomorrow: the hour watched below never reaches it, even from
    # 23:00 WIB (tomorrow's hours would have begun at 00:00 within that hour).
    later = (now + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    day = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"][later.weekday()]
    row = gerai_row("T-02", hours=f"{day} 00:00-23:59")
    assert (await import_sheet(client, bkd, sheet(row), apply=True)).status_code == 200
    for minutes in (0, 30, 60):
        await services.gerai.watch(now + dt.timedelta(minutes=minutes))
    assert await open_alert("T-02") is None
    board = {g.code: g for g in await services.gerai.board(now)}
    assert board["T-02"].state == "closed"


async def test_record_load_keeps_the_newest_count(services: Services) -> None:
    at = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
    await services.gerai.record_load("MPP-G03", 9, at)
    await services.gerai.record_load("MPP-G03", 4, at - dt.timedelta(minutes=1))  # late, older
    board = {g.code: g for g in await services.gerai.board(at)}
    assert board["MPP-G03"].load == 9 and board["MPP-G03"].load_at == at
    with pytest.raises(Exception, match="tidak dikenal"):
        await services.gerai.record_load("NOPE", 1, at)


async def test_import_dry_run_writes_nothing_and_reports_every_refused_row(
    client: httpx.AsyncClient,
) -> None:
    bkd = await login(client, BKD.nip)
    data = sheet(
        gerai_row("T-10"),
        "T-11,Gerai X,Instansi X,BKD,Layanan,Senin 08:00-12:00,,",  # not an MPP
        "T-12,Gerai Y,Instansi Y,NOWHERE,Layanan,Senin 08:00-12:00,,",
        f"T-13,Gerai Z,Instansi Z,MPP,Layanan,Senin 08:00-12:00,{TEACHER.nip[:-3]}999,",
        "T-14,Gerai W,Instansi W,MPP,Layanan,Senin pagi,,",
    )
    dry = await import_sheet(client, bkd, data, apply=False)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["applied"] is False and report["created"] == 1
    assert [r["row"] for r in report["refused"]] == [3, 4, 5, 6]
    reasons = [r["reason"] for r in report["refused"]]
    assert "bukan Mal Pelayanan Publik" in reasons[0]
    assert "tidak dikenal" in reasons[1] and "NIP" in reasons[2] and "Jam Layanan" in reasons[3]
    assert not await Gerai.exists().where(Gerai.code == "T-10")

    applied = await import_sheet(client, bkd, data, apply=True)
    assert applied.json()["created"] == 1 and len(applied.json()["refused"]) == 4
    assert await Gerai.exists().where(Gerai.code == "T-10")
    again = await import_sheet(client, bkd, data, apply=True)
    assert again.json()["created"] == 0 and again.json()["updated"] == 1


async def test_import_reads_xlsx_and_refuses_bad_files_in_words(client: httpx.AsyncClient) -> None:
    bkd = await login(client, BKD.nip)
    book = openpyxl.Workbook()
    for row in demo.demo_table():
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    answer = await import_sheet(client, bkd, buffer.getvalue(), apply=False, name="g.xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.json()["updated"] == len(demo.GERAI) and answer.json()["refused"] == []
    bad = await import_sheet(client, bkd, b"Kode Gerai\nX\n", apply=False)
    assert bad.status_code == 422 and "Kolom wajib" in bad.json()["detail"]
    missing = await client.post("/api/v1/gerai/import", headers=bkd)
    assert missing.status_code == 422 and "'file'" in missing.json()["detail"]
    teacher = await import_sheet(client, await login(client), data=sheet(), apply=False)
    assert teacher.status_code == 403
