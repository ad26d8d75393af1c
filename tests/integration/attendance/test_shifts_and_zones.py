"""Night shifts, time zones and "today" against real PostgreSQL, Redis and S3.

Units in Asia/Jakarta (WIB), Asia/Makassar (WITA) and Asia/Jayapura (WIT) and a 22:00-06:00
night shift are created for each test and removed after it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import msgspec
import pytest

from backend.attendance.tables import CheckIn, DayRecord
from backend.core.auth import Principal
from backend.org.tables import Unit
from backend.services import Services, open_services
from tests.support.factories import by_role, checkin_files, login, meta
from tests.support.staff import NIGHTS, OFFICE, Staff, extra_staff

WIB = ZoneInfo("Asia/Jakarta")


def monday_weeks_ago(weeks: int, zone: ZoneInfo = WIB) -> dt.date:
    today = dt.datetime.now(zone).date()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks)


@pytest.fixture
async def staff(db) -> AsyncIterator[Staff]:
    async with extra_staff() as created:
        yield created


@pytest.fixture
async def services(db) -> AsyncIterator[Services]:
    async with open_services(db, face_executor=lambda: None) as opened:
        yield opened


async def accept_all(employee_id: int) -> None:
    """Settle the employee's records as accepted. Verification flags these (synced days late,
    no enrolled face, no fence in a test unit); which day they count for is what is tested."""
    await CheckIn.update({CheckIn.status: "accepted"}).where(CheckIn.employee == employee_id)


async def test_a_night_worker_on_time_all_week_has_a_clean_week(client, staff, services):
    monday = monday_weeks_ago(2)
    unit = await staff.unit("Asia/Jakarta")
    night = await staff.schedule(NIGHTS)
    worker = await staff.employee(
        unit, night, since=dt.datetime.combine(monday - dt.timedelta(days=30), dt.time(), WIB)
    )
    headers = await login(client, await staff.nip_of(worker))
    now = dt.datetime.now(dt.UTC).isoformat()
    for i in range(5):
        day = monday + dt.timedelta(days=i)
        arrive = dt.datetime.combine(day, dt.time(21, 50), WIB)
        leave = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6, 5), WIB)
        for kind, at in (("in", arrive), ("out", leave)):
            body = meta(kind=kind, captured_at=at.isoformat(), sent_at=now)
            response = await client.post(
                "/api/v1/checkins", files=checkin_files(body), headers=headers
            )
            assert response.status_code == 201, response.text
            # Stored on the shift it opens or closes, not on its calendar date.
            assert response.json()["work_date"] == day.isoformat(), (kind, at)
    await accept_all(worker)

    week = await services.days.days_of(worker, monday, monday + dt.timedelta(days=6))
    assert [(d.status, d.tl, d.psw, d.deduction_pct) for d in week[:5]] == [
        ("present", None, None, 0.0)
    ] * 5
    assert [d.status for d in week[5:]] == ["off", "off"]


async def test_night_shift_late_and_early_are_judged_on_the_shift_day(client, staff, services):
    monday = monday_weeks_ago(2)
    unit = await staff.unit("Asia/Jakarta")
    worker = await staff.employee(
        unit,
        await staff.schedule(NIGHTS),
        since=dt.datetime.combine(monday - dt.timedelta(days=30), dt.time(), WIB),
    )
    headers = await login(client, await staff.nip_of(worker))
    now = dt.datetime.now(dt.UTC).isoformat()
    tuesday = monday + dt.timedelta(days=1)
    records = [
        ("in", dt.datetime.combine(monday, dt.time(22, 40), WIB)),  # 40 minutes late: TL2
        ("out", dt.datetime.combine(tuesday, dt.time(5, 40), WIB)),  # 20 minutes early: PSW1
    ]
    for kind, at in records:
        body = meta(kind=kind, captured_at=at.isoformat(), sent_at=now)
        await client.post("/api/v1/checkins", files=checkin_files(body), headers=headers)
    await accept_all(worker)
    monday_status, tuesday_status = await services.days.recompute_range(worker, monday, tuesday)
    assert (monday_status.tl, monday_status.late_minutes) == ("TL2", 40)
    assert (monday_status.psw, monday_status.early_minutes) == ("PSW1", 20)
    assert tuesday_status.status == "absent"  # Tuesday's own shift had no record at all
    stored = await DayRecord.select(DayRecord.day, DayRecord.tl, DayRecord.psw).where(
        DayRecord.employee == worker
    )
    assert {r["day"]: (r["tl"], r["psw"]) for r in stored}[monday] == ("TL2", "PSW1")


async def test_a_provisional_day_record_is_not_what_the_recap_shows(client, staff, services):
    day = monday_weeks_ago(1)
    unit = await staff.unit("Asia/Jakarta")
    worker = await staff.employee(
        unit,
        await staff.schedule(OFFICE),
        since=dt.datetime.combine(day - dt.timedelta(days=40), dt.time(), WIB),
    )
    headers = await login(client, await staff.nip_of(worker))
    arrived = dt.datetime.combine(day, dt.time(7, 20), WIB)
    body = meta(captured_at=arrived.isoformat(), sent_at=dt.datetime.now(dt.UTC).isoformat())
    await client.post("/api/v1/checkins", files=checkin_files(body), headers=headers)
    await accept_all(worker)
    # Recomputed at 10:00 that day (the check-in settled): the day is still open, so no PSW.
    [provisional] = await services.days.recompute_range(
        worker, day, day, now=dt.datetime.combine(day, dt.time(10), WIB)
    )
    assert (provisional.status, provisional.psw) == ("present", None)
    assert "Belum presensi pulang" in provisional.reasons

    bkd = await login(client, by_role("bkd").nip)
    unit_code = (await Unit.select(Unit.code).where(Unit.id == unit).first())["code"]
    recap = await client.get(
        "/api/v1/recap", params={"unit": unit_code, "month": day.strftime("%Y-%m")}, headers=bkd
    )
    [row] = recap.json()["employees"]
    # The day ended without a check-out: PSW4, as a recomputation after the day says.
    assert row["days"]["present"] >= 1 and row["days"]["PSW4"] == 1
    [stored] = await DayRecord.select(DayRecord.psw).where(
        (DayRecord.employee == worker) & (DayRecord.day == day)
    )
    assert stored["psw"] == "PSW4"


async def test_the_settle_job_closes_each_zones_days_when_their_shifts_end(client, staff, services):
    """Hourly, per time zone: a day is settled once its working hours have ended where the
    unit is (WIT before WITA before WIB), a night shift the next morning; idempotent."""
    monday = monday_weeks_ago(1)
    sunday = monday - dt.timedelta(days=1)
    office = await staff.schedule(OFFICE)
    people = {}
    for zone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"):
        since = dt.datetime.combine(sunday, dt.time(), ZoneInfo(zone))
        people[zone] = await staff.employee(await staff.unit(zone), office, since=since)
    night = await staff.employee(
        await staff.unit("Asia/Jakarta"),
        await staff.schedule(NIGHTS),
        since=dt.datetime.combine(sunday, dt.time(), WIB),
    )
    headers = await login(client, await staff.nip_of(night))
    for kind, at in (
        ("in", dt.datetime.combine(monday, dt.time(21, 55), WIB)),
        ("out", dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(6, 2), WIB)),
    ):
        body = meta(
            kind=kind, captured_at=at.isoformat(), sent_at=dt.datetime.now(dt.UTC).isoformat()
        )
        await client.post("/api/v1/checkins", files=checkin_files(body), headers=headers)
    await accept_all(night)

    async def monday_of(employee_id: int) -> str | None:
        row = (
            await DayRecord.select(DayRecord.status, DayRecord.psw)
            .where((DayRecord.employee == employee_id) & (DayRecord.day == monday))
            .first()
        )
        return row and f"{row['status']}/{row['psw']}"

    def utc(hour: int, minute: int = 0, plus_days: int = 0) -> dt.datetime:
        day = monday + dt.timedelta(days=plus_days)
        return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)

    # 08:00 UTC: 15:00 WIB, 16:00 WITA, 17:00 WIT. The 07:30-16:00 day is over in WITA and WIT.
    await services.days.settle_ended(utc(8))
    assert await monday_of(people["Asia/Jayapura"]) == "absent/None"
    assert await monday_of(people["Asia/Makassar"]) == "absent/None"
    assert await monday_of(people["Asia/Jakarta"]) is None
    # Sunday (no shift) is settled too, once the calendar day ended where the unit is.
    assert await DayRecord.count().where(DayRecord.day == sunday) == 4

    # 09:30 UTC: 16:30 WIB. The night shift started Monday 22:00 is still ahead.
    await services.days.settle_ended(utc(9, 30))
    assert await monday_of(people["Asia/Jakarta"]) == "absent/None"
    assert await monday_of(night) is None

    # A recompute at 03:00 WIB while the night shift runs stores a provisional record...
    await services.days.recompute_range(night, monday, monday, now=utc(20))
    assert await monday_of(night) == "present/None"
    # ...and at 06:30 WIB the ended shift is settled: on time both ways.
    settled = await services.days.settle_ended(utc(23, 30))
    assert settled >= 1
    [record] = await DayRecord.select(DayRecord.tl, DayRecord.psw, DayRecord.computed_at).where(
        (DayRecord.employee == night) & (DayRecord.day == monday)
    )
    assert (record["tl"], record["psw"], record["computed_at"]) == (None, None, utc(23, 30))
    # Nothing left to settle at the same moment: running again changes nothing.
    assert await services.days.settle_ended(utc(23, 30)) == 0


async def test_the_hourly_job_is_scheduled_every_hour() -> None:
    from backend.attendance.jobs import recompute_yesterday
    from backend.worker import PERIODIC

    [(minutes, hours)] = [(m, h) for job, m, h in PERIODIC if job is recompute_yesterday]
    assert len(minutes) >= 1 and hours is None


async def test_today_is_the_units_today_near_midnight(client, staff, services):
    """At 15:30 UTC it is 22:30 in Jakarta and already 00:30 tomorrow in Jayapura."""
    wib_unit = await staff.unit("Asia/Jakarta")
    wit_unit = await staff.unit("Asia/Jayapura")
    day = dt.date(2026, 11, 30)
    now = dt.datetime.combine(day, dt.time(15, 30), dt.UTC)
    assert await services.units.today(wib_unit, now) == day
    assert await services.units.today(wit_unit, now) == day + dt.timedelta(days=1)

    since = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(), dt.UTC)
    for unit, expected in ((wib_unit, day), (wit_unit, day + dt.timedelta(days=1))):
        employee = await staff.employee(unit, None, since=since)
        who = Principal(employee_id=employee, nip="-", name="-", roles=("asn",), unit_id=unit)
        listed = await services.checkins.list_day(who, None, now=now)
        assert listed.date == expected


async def test_a_permit_is_dated_by_the_units_today(client, staff, services):
    """The backdating limit counts from the unit's today, not the server's."""
    wit_unit = await staff.unit("Asia/Jayapura")
    employee = await staff.employee(
        wit_unit,
        await staff.schedule(OFFICE),
        since=dt.datetime.now(dt.UTC) - dt.timedelta(days=60),
    )
    headers = await login(client, await staff.nip_of(employee))
    wit_today = await services.units.today(wit_unit)
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "sakit",
        "start_date": (wit_today - dt.timedelta(days=31)).isoformat(),
        "end_date": (wit_today - dt.timedelta(days=25)).isoformat(),
        "reason": "Sakit",
    }
    files = {"meta": ("m.json", msgspec.json.encode(body), "application/json")}
    assert (await client.post("/api/v1/permits", files=files, headers=headers)).status_code == 201
    too_old = {
        **body,
        "client_id": str(uuid.uuid4()),
        "start_date": (wit_today - dt.timedelta(days=32)).isoformat(),
    }
    files = {"meta": ("m.json", msgspec.json.encode(too_old), "application/json")}
    assert (await client.post("/api/v1/permits", files=files, headers=headers)).status_code == 422
