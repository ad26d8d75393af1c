"""Day status from accepted check-ins and approved permits, recomputed by jobs; the monthly
recap as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import msgspec
import pytest
from openpyxl import load_workbook

from backend.attendance.tables import DayRecord
from backend.org import demo_data
from backend.org.tables import Employee
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import drain

WIB = dt.timezone(dt.timedelta(hours=7))


def last_monday() -> dt.date:
    day = dt.datetime.now(WIB).date() - dt.timedelta(days=1)
    holidays = {h.date for h in demo_data.HOLIDAYS}
    while day.isoweekday() != 1 or day in holidays:
        day -= dt.timedelta(days=1)
    return day


@pytest.fixture
async def tracked_since_last_month(clean):
    """The demo staff were registered when the test database was seeded (today); days before
    that are not judged. Move the teacher's registration back so last Monday counts."""
    [row] = await Employee.select(Employee.id, Employee.created_at).where(
        Employee.nip == TEACHER.nip
    )
    since = dt.datetime.combine(last_monday().replace(day=1) - dt.timedelta(days=1), dt.time(), WIB)
    await Employee.update({Employee.created_at: since}).where(Employee.id == row["id"])
    yield clean
    await Employee.update({Employee.created_at: row["created_at"]}).where(Employee.id == row["id"])


async def run_jobs(settings) -> None:
    await drain(settings)


async def test_accepted_records_make_the_day_and_the_recap(
    client, teacher, tracked_since_last_month
):
    clean = tracked_since_last_month
    monday = last_monday()
    arrived = dt.datetime.combine(monday, dt.time(7, 45), WIB)  # the school starts at 07:00
    left = dt.datetime.combine(monday, dt.time(13, 30), WIB)  # and ends at 13:30 on Mondays
    now = dt.datetime.now(dt.UTC).isoformat()
    ids = []
    for kind, at in (("in", arrived), ("out", left)):
        body = meta(kind=kind, captured_at=at.isoformat(), sent_at=now)
        ids.append(
            (
                await client.post("/api/v1/checkins", files=checkin_files(body), headers=teacher)
            ).json()["id"]
        )
    await run_jobs(clean)  # verification: flagged (synced late, no reference photo)
    bkd = await login(client, by_role("bkd").nip)
    for checkin_id in ids:
        decided = await client.post(
            f"/api/v1/reviews/{checkin_id}",
            json={"decision": "accept", "note": "Sinyal buruk"},
            headers=bkd,
        )
        assert decided.json()["status"] == "accepted"
    await run_jobs(clean)  # the review queued the day's recompute

    [stored] = await DayRecord.select().where(DayRecord.day == monday).output(load_json=True)
    assert (stored["status"], stored["tl"], stored["psw"], stored["late_minutes"]) == (
        "present",
        "TL2",
        None,
        45,
    )
    assert stored["deduction_pct"] == 1.0

    days = (
        await client.get("/api/v1/days", params={"start": monday.isoformat()}, headers=teacher)
    ).json()
    assert days[0]["status"] == "present" and days[0]["tl"] == "TL2"
    assert "Terlambat 45 menit (TL2)" in days[0]["reasons"][0]

    month = monday.strftime("%Y-%m")
    params = {"unit": TEACHER.unit_code, "month": month}
    recap = (await client.get("/api/v1/recap", params=params, headers=bkd)).json()
    [row] = [e for e in recap["employees"] if e["nip"] == TEACHER.nip]
    assert row["days"]["TL2"] == 1
    assert row["days"]["present"] == 1
    assert row["late_minutes"] == 45
    # Every other past working day since registration had no record: absent without reason.
    holidays = {h.date for h in demo_data.HOLIDAYS}
    yesterday = dt.datetime.now(WIB).date() - dt.timedelta(days=1)
    month_end = (monday.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1
    )
    day, school_days = monday.replace(day=1), 0
    while day <= min(yesterday, month_end):
        school_days += day.isoweekday() != 7 and day not in holidays
        day += dt.timedelta(days=1)
    absent = row["days"]["absent"]
    assert absent == school_days - 1
    assert row["deduction_pct"] == min(100.0, 1.0 + 5.0 * absent)
    assert row["absent_days_year"] >= absent
    assert row["discipline"]["level"]

    csv_response = await client.get(
        "/api/v1/recap", params={**params, "format": "csv"}, headers=bkd
    )
    assert csv_response.headers["content-disposition"].endswith(
        f'rekap-{TEACHER.unit_code}-{month}.csv"'
    )
    table = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["NIP", "Nama", "Hadir"]
    teacher_row = next(r for r in table if r[0] == TEACHER.nip)
    assert teacher_row[table[0].index("TL2")] == "1"

    xlsx = await client.get("/api/v1/recap", params={**params, "format": "xlsx"}, headers=bkd)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][0].startswith("Rekap presensi SD Negeri 1 Bleboh")
    assert any(r[0] == TEACHER.nip and r[values[1].index("TL2")] == 1 for r in values[2:])


async def test_an_approved_permit_makes_its_days_permit_days(
    client, teacher, tracked_since_last_month
):
    clean = tracked_since_last_month
    monday = last_monday()
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "sakit",
        "start_date": monday.isoformat(),
        "end_date": monday.isoformat(),
        "reason": "Sakit, surat dokter terlampir",
    }
    files = {"meta": ("m.json", msgspec.json.encode(body), "application/json")}
    permit = (await client.post("/api/v1/permits", files=files, headers=teacher)).json()
    principal = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    await client.post(
        f"/api/v1/permits/{permit['id']}/decision", json={"decision": "approve"}, headers=principal
    )
    await run_jobs(clean)
    [stored] = await DayRecord.select().where(DayRecord.day == monday)
    assert (stored["status"], stored["permit"], stored["deduction_pct"]) == ("permit", "sakit", 0.0)


async def test_the_recap_is_for_bkd_and_the_units_own_heads(client, teacher, clean):
    month = dt.date.today().strftime("%Y-%m")
    params = {"unit": TEACHER.unit_code, "month": month}
    assert (await client.get("/api/v1/recap", params=params, headers=teacher)).status_code == 403
    other_head = await login(client, by_role("kepala_unit", unit_code="DISDUKCAPIL").nip)
    assert (await client.get("/api/v1/recap", params=params, headers=other_head)).status_code == 403
    principal = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    assert (await client.get("/api/v1/recap", params=params, headers=principal)).status_code == 200
    bad = await client.get(
        "/api/v1/recap", params={**params, "month": "11-2026"}, headers=principal
    )
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]
