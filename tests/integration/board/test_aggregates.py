"""The board's counts, kept current through the outbox as day records change, equal a recount
from the day records after a random (seeded) sequence of check-ins, reviews and permits."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import msgspec
import pytest

from backend.attendance.tables import DayRecord
from backend.board import counts
from backend.board.tables import BoardCount, BoardDay
from backend.org import demo_data
from backend.org.tables import Employee
from tests.support.factories import by_role, checkin_files, jpeg, login, meta
from tests.support.jobs import drain

REVIEWER = next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "bkd"))


async def recount_from_day_records() -> dict[tuple[int, dt.date], dict[str, int]]:
    rows = await DayRecord.select(
        DayRecord.employee.unit.as_alias("unit"),
        DayRecord.day,
        DayRecord.status,
        DayRecord.permit,
        DayRecord.tl,
        DayRecord.psw,
    )
    states: dict[tuple[int, dt.date], list[counts.DayState]] = {}
    for r in rows:
        states.setdefault((r["unit"], r["day"]), []).append(
            (r["status"], r["permit"], r["tl"], r["psw"])
        )
    result = {key: counts.recount(s) for key, s in states.items()}
    return {key: c for key, c in result.items() if c}


async def kept_counts() -> dict[tuple[int, dt.date], dict[str, int]]:
    result: dict[tuple[int, dt.date], dict[str, int]] = {}
    for r in await BoardCount.select().where(BoardCount.n != 0):
        result.setdefault((r["unit"], r["day"]), {})[r["key"]] = r["n"]
    return result


def unlocated(captured: dt.datetime, kind: str) -> dict:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    body = meta(kind=kind, lat=None, lon=None, accuracy_m=None, captured_at=captured.isoformat())
    body["sent_at"] = now.isoformat()
    return checkin_files(body)


def permit_files(day: dt.date, kind: str) -> dict:
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": kind,
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "reason": "Keperluan keluarga",
    }
    return {
        "meta": ("m.json", msgspec.json.encode(body), "application/json"),
        "attachment": ("surat.jpg", jpeg(32, 32), "image/jpeg"),
    }


@pytest.fixture
async def registered_last_week(client, clean):
    """The demo staff on the books a week ago: the morning below may be before the test
    database was seeded (run at 00:30 WIB, it is yesterday's), and no day is kept before an
    employee's registration."""
    rows = await Employee.select(Employee.id, Employee.created_at)
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    await Employee.update({Employee.created_at: week_ago}, force=True)
    yield
    for row in rows:
        await Employee.update({Employee.created_at: row["created_at"]}).where(
            Employee.id == row["id"]
        )


async def test_kept_counts_equal_a_recount_after_random_changes(
    client, clean, registered_last_week
) -> None:
    rng = random.Random(1130)
    people = [e for e in demo_data.EMPLOYEES if e.nip != REVIEWER.nip]
    chosen = rng.sample(people, 14)
    headers = {e.nip: await login(client, e.nip) for e in chosen}
    bkd = await login(client, REVIEWER.nip)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    wib = dt.timezone(dt.timedelta(hours=7))
    # Records of a working morning whatever the hour the test runs (at 00:30 WIB the last three
    # hours are nobody's shift): the latest weekday whose 07:00-10:00 WIB is behind us.
    morning = dt.datetime.combine(now.astimezone(wib).date(), dt.time(7), wib)
    while morning + dt.timedelta(hours=3) > now or morning.isoweekday() > 5:
        morning -= dt.timedelta(days=1)
    today = morning.date()
    checkins: list[int] = []
    permits: list[int] = []
    for round_ in range(2):
        for person in chosen:
            action = rng.choice(["in", "in", "out", "permit", "nothing"])
            if action in ("in", "out"):
                at = morning + dt.timedelta(minutes=rng.randint(0, 180))
                response = await client.post(
                    "/api/v1/checkins", files=unlocated(at, action), headers=headers[person.nip]
                )
                assert response.status_code == 201, response.text
                checkins.append(response.json()["id"])
            elif action == "permit" and round_ == 0:
                kind = rng.choice(["izin", "sakit", "dinas_luar"])
                response = await client.post(
                    "/api/v1/permits", files=permit_files(today, kind), headers=headers[person.nip]
                )
                if response.status_code == 201:
                    permits.append(response.json()["id"])
        await drain(clean)  # verification flags every one: no location, no enrolled face
        for checkin_id in rng.sample(checkins, len(checkins) // 2):
            await client.post(
                f"/api/v1/reviews/{checkin_id}",
                json={"decision": rng.choice(["accept", "accept", "reject"]), "note": "uji"},
                headers=bkd,
            )
        for permit_id in rng.sample(permits, len(permits) // 2):
            await client.post(
                f"/api/v1/permits/{permit_id}/decision",
                json={"decision": rng.choice(["approve", "approve", "reject"]), "note": "uji"},
                headers=bkd,
            )
        await drain(clean)

    kept = await kept_counts()
    assert kept == await recount_from_day_records()
    # The sequence reached the board: people in, late, and on permit.
    assert sum(c.get("present", 0) for c in kept.values()) > 0, kept
    assert sum(c.get("late", 0) for c in kept.values()) > 0
    # The board's own copy of each day is the day record as stored.
    stored = {
        (r["employee"], r["day"]): (r["status"], r["permit"], r["tl"], r["psw"])
        for r in await DayRecord.select()
    }
    mirrored = {
        (r["employee"], r["day"]): (r["status"], r["permit"], r["tl"], r["psw"])
        for r in await BoardDay.select()
    }
    assert {k: v for k, v in stored.items() if counts.contribution(v)} == {
        k: v for k, v in mirrored.items() if counts.contribution(v)
    }


async def test_apply_day_is_idempotent_and_ordered(db) -> None:
    from backend.services import open_services

    async with open_services(db) as services:
        board = services.board
        [teacher] = await Employee.select(Employee.id, Employee.unit).where(
            Employee.nip == demo_data.EMPLOYEES[0].nip
        )
        [other] = await Employee.select(Employee.unit).where(Employee.nip == by_role("bkd").nip)
        day = dt.date(2026, 11, 30)
        t0 = dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC)
        late = ("present", None, "TL2", None)
        kwargs = {"employee_id": teacher["id"], "day": day}
        assert await board.apply_day(unit_id=teacher["unit"], state=late, computed_at=t0, **kwargs)
        # Delivered twice: counted once.
        assert not await board.apply_day(
            unit_id=teacher["unit"], state=late, computed_at=t0, **kwargs
        )
        # An older state arriving after a newer one is ignored.
        older = t0 - dt.timedelta(minutes=5)
        assert not await board.apply_day(
            unit_id=teacher["unit"], state=("absent", None, None, None), computed_at=older, **kwargs
        )
        assert await kept_counts() == {(teacher["unit"], day): {"present": 1, "late": 1}}
        # The employee moved to another unit: the day's count moves with them.
        later = t0 + dt.timedelta(minutes=5)
        assert await board.apply_day(
            unit_id=other["unit"], state=("present", None, None, None), computed_at=later, **kwargs
        )
        assert await kept_counts() == {(other["unit"], day): {"present": 1}}


async def test_rebuild_counts_days_stored_before_the_board_existed(db) -> None:
    from backend.services import open_services

    people = await Employee.select(Employee.id).limit(6)
    today = dt.date.today()
    states = [
        ("present", None, "TL1", None),
        ("absent", None, None, None),
        ("permit", "sakit", None, None),
        ("present", None, None, "PSW2"),
        ("open", None, None, None),
        ("off", None, None, None),
    ]
    await DayRecord.insert(
        *[
            DayRecord(
                employee=person["id"],
                day=today - dt.timedelta(days=back),
                status=state[0],
                permit=state[1],
                tl=state[2],
                psw=state[3],
                reasons=[],
                computed_at=dt.datetime.now(dt.UTC),
            )
            for back in range(3)
            for person, state in zip(people, states, strict=True)
        ]
    )
    assert await kept_counts() == {}  # stored without telling the board
    async with open_services(db) as services:
        read = await services.board.rebuild(today - dt.timedelta(days=2), today)
        assert read == 18
        assert await kept_counts() == await recount_from_day_records()
        # Counting twice changes nothing.
        await services.board.rebuild(today - dt.timedelta(days=2), today)
        assert await kept_counts() == await recount_from_day_records()
