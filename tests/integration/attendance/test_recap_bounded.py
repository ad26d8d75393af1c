"""The recap reads one month of one unit's stored day records and counts the year from stored
records in one grouped query. On the demo it must say exactly what the previous way said: every
employee's whole year computed from the check-ins and permits themselves."""

from __future__ import annotations

import datetime as dt
import uuid

from backend.attendance.tables import CheckIn, DayRecord
from backend.org.tables import Employee, Unit
from backend.permits.tables import Permit as PermitTable
from backend.services import open_services
from tests.support.factories import TEACHER, by_role, login
from tests.support.recap import reference_recap

WIB = dt.timezone(dt.timedelta(hours=7))


async def test_the_bounded_recap_equals_the_year_computed_per_employee(client, clean) -> None:
    today = dt.datetime.now(WIB).date()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    since = (last_month - dt.timedelta(days=1)).replace(day=1)  # two months back
    unit = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
    staff = await Employee.select(Employee.id, Employee.created_at).where(
        Employee.unit == unit["id"]
    )
    registered = dt.datetime.combine(since, dt.time(), WIB)
    await Employee.update({Employee.created_at: registered}).where(Employee.unit == unit["id"])
    try:
        async with open_services(clean, face_executor=lambda: None) as services:
            # Some days present (one late), one sick week approved, the rest absent.
            teacher = next(s for s in staff if s["id"] == min(x["id"] for x in staff))
            day = since
            while day < today:
                if day.isoweekday() in (1, 3) and day.day % 2:
                    for kind, at in (("in", dt.time(7, 40)), ("out", dt.time(14, 0))):
                        when = dt.datetime.combine(day, at, WIB)
                        await CheckIn.insert(
                            CheckIn(
                                client_id=uuid.uuid4(),
                                employee=teacher["id"],
                                kind=kind,
                                captured_at=when,
                                sent_at=when,
                                received_at=when,
                                corrected_captured_at=when,
                                work_date=day,
                                status="accepted",
                                reasons=[],
                                content_hash="0" * 64,
                            )
                        )
                day += dt.timedelta(days=1)
            await PermitTable.insert(
                PermitTable(
                    client_id=uuid.uuid4(),
                    employee=staff[-1]["id"],
                    kind="sakit",
                    start_date=last_month + dt.timedelta(days=3),
                    end_date=last_month + dt.timedelta(days=9),
                    reason="Dirawat di puskesmas",
                    status="approved",
                    created_at=registered,
                )
            )
            # The nightly job stored every day so far, except that it missed a few nights.
            yesterday = today - dt.timedelta(days=1)
            for person in staff:
                await services.days.recompute_range(person["id"], since, yesterday)
            await DayRecord.delete().where(
                (DayRecord.day >= last_month + dt.timedelta(days=10))
                & (DayRecord.day <= last_month + dt.timedelta(days=12))
            )

            bkd = await login(client, by_role("bkd").nip)
            by_month = {}
            for month in (since, last_month, this_month):
                key = month.strftime("%Y-%m")
                expected = await reference_recap(services, TEACHER.unit_code, key, today)
                response = await client.get(
                    "/api/v1/recap", params={"unit": TEACHER.unit_code, "month": key}, headers=bkd
                )
                assert response.status_code == 200, response.text
                answered = [
                    {k: v for k, v in e.items() if k not in ("unit", "unit_name")}
                    for e in response.json()["employees"]
                ]
                assert answered == expected, key
                by_month[month] = expected
                assert {e["unit"] for e in response.json()["employees"]} == {TEACHER.unit_code}
            # Checked on last month, whole whatever the date (on the 1st, this month has no
            # day behind it yet).
            full = by_month[last_month]
            assert any(e["absent_days_year"] > e["days"]["absent"] for e in full) or (
                last_month.year != today.year
            )
            assert any(e["days"]["present"] for e in full)
    finally:
        for person in staff:
            await Employee.update({Employee.created_at: person["created_at"]}).where(
                Employee.id == person["id"]
            )
