"""A recap recomputed the long way, to compare the served one with: every employee's whole year
of day statuses computed from the check-ins and permits themselves; and a seeded month."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from backend.attendance import day_status as rules
from backend.attendance.tables import CheckIn
from backend.org.tables import Employee, Unit
from backend.permits.tables import Permit as PermitTable

WIB = dt.timezone(dt.timedelta(hours=7))


async def reference_recap(services: Any, unit_code: str, month: str, today: dt.date) -> list:
    """The first implementation: a year of day statuses per employee, inside the request."""
    first = dt.date.fromisoformat(f"{month}-01")
    unit = await Unit.select(Unit.id).where(Unit.code == unit_code).first()
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    until = min(last, today - dt.timedelta(days=1))
    people = (
        await Employee.select(Employee.id, Employee.nip, Employee.name)
        .where((Employee.unit == unit["id"]) & Employee.active.eq(True))
        .order_by(Employee.name)
    )
    months = []
    for person in people:
        year_days = await services.days.compute_range(
            person["id"], first.replace(month=1, day=1), until
        )
        before = [s for s in year_days if s.day < first]
        carried = (
            rules.longest_absent_run(before[-31:])
            if before and before[-1].status == "absent"
            else 0
        )
        months.append(
            rules.month_recap(
                person["nip"],
                person["name"],
                [s for s in year_days if s.day >= first],
                sum(1 for s in year_days if s.status == "absent"),
                services.settings.tpp_rules,
                carried_absent_run=carried,
            )
        )
    # The unit of each row is the recap's to fill in, not the rules'.
    return [
        {k: v for k, v in row.items() if k not in ("unit", "unit_name")}
        for row in msgspec.to_builtins(months)
    ]


def without_units(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("unit", "unit_name")} for e in rows]


async def seed_month(employee_ids: list[int], since: dt.date, today: dt.date) -> None:
    """Check-ins for the first employee on odd Mondays and Wednesdays (in 07:40, out 14:00: late
    at a school), a week of approved sick leave for the last, nothing for the rest (absent)."""
    first, last = employee_ids[0], employee_ids[-1]
    day = since
    while day < today:
        if day.isoweekday() in (1, 3) and day.day % 2:
            for kind, at in (("in", dt.time(7, 40)), ("out", dt.time(14, 0))):
                when = dt.datetime.combine(day, at, WIB)
                await CheckIn.insert(
                    CheckIn(
                        client_id=uuid.uuid4(),
                        employee=first,
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
    start = since + dt.timedelta(days=33)
    await PermitTable.insert(
        PermitTable(
            client_id=uuid.uuid4(),
            employee=last,
            kind="sakit",
            start_date=start,
            end_date=start + dt.timedelta(days=6),
            reason="Dirawat di puskesmas",
            status="approved",
            created_at=dt.datetime.combine(since, dt.time(), WIB),
        )
    )
