"""Day records and the monthly recap: the I/O around the pure rules in day_status.py.

A day record is recomputed when one of its inputs changes (a check-in settles or is reviewed, a
permit is decided) and hourly once each day's working hours have ended where the unit is
(`settle_ended`); the recap fills in any day not yet computed and recomputes any computed
while its day was still open (provisional).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from piccolo.query.functions.aggregate import Count

from backend.attendance import day_status as rules
from backend.attendance.tables import CheckIn, DayRecord
from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import Forbidden, Invalid, NotFound
from backend.core.outbox import Outbox
from backend.core.settings import TppRules
from backend.org import service as org
from backend.org.schemas import UnitNode
from backend.org.tables import Employee, Holiday
from backend.permits.schemas import SHORT_LEAVE
from backend.permits.service import Permits

# Day -> the reason of a head's attestation covering it (attestations' service; attendance does
# not import that domain).
AttestedDays = Callable[[int, dt.date, dt.date], Awaitable[dict[dt.date, str]]]

# The hourly settle job (jobs.recompute_yesterday): how far back a missed run is caught up,
# employees read per page, and employee-days settled per run at most (the rest next hour).
SETTLE_LOOKBACK_DAYS = 3
SETTLE_BATCH = 500
SETTLE_LIMIT = 20_000


class DayView(msgspec.Struct, frozen=True):
    day: dt.date
    status: str
    permit: str | None
    tl: str | None
    psw: str | None
    late_minutes: int
    early_minutes: int
    deduction_pct: float
    reasons: list[str]
    attested: bool = False  # present on a head of unit's attestation (no signal for days)


class RecapUnit(msgspec.Struct, frozen=True):
    """A unit a recap covers, with its active staff."""

    code: str
    name: str
    staff: int


class Recap(msgspec.Struct, frozen=True):
    unit: str
    unit_name: str
    month: str  # YYYY-MM
    employees: list[rules.EmployeeMonth]
    subtree: bool = False  # the unit with everything under it
    units: list[RecapUnit] = []  # with `subtree`: the units covered, parents first


def _view(status: rules.DayStatus) -> DayView:
    return DayView(**{f: getattr(status, f) for f in DayView.__struct_fields__})


class DayRecords:
    def __init__(
        self,
        *,
        rules_table: TppRules,
        permits: Permits,
        outbox: Outbox,
        attested: AttestedDays | None = None,
    ) -> None:
        self.rules = rules_table
        self.permits = permits
        self.outbox = outbox
        self.attested = attested

    async def compute_range(
        self, employee_id: int, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
    ) -> list[rules.DayStatus]:
        """Day statuses for [start, end] as of `now` (default: the clock), from one read of each
        input. Days before the employee was registered in hadir are left out: there is nothing
        to judge them by."""
        row = await _employee(employee_id)
        zone = ZoneInfo(row["tz"] or "Asia/Jakarta")
        start = max(start, row["created_at"].astimezone(zone).date())
        if end < start:
            return []
        holidays = {
            h["date"]: h["name"]
            for h in await Holiday.select(Holiday.date, Holiday.name).where(
                (Holiday.date >= start) & (Holiday.date <= end)
            )
        }
        records = await CheckIn.select(
            CheckIn.kind, CheckIn.work_date, CheckIn.corrected_captured_at
        ).where(
            (CheckIn.employee == employee_id)
            & (CheckIn.work_date >= start)
            & (CheckIn.work_date <= end)
            & (CheckIn.status == "accepted")
        )
        # work_date is the day of the shift a record opens or closes (see work_date_for); the
        # local date and time place it exactly, also on the next morning of a night shift.
        by_day: dict[dt.date, list[tuple[str, dt.datetime]]] = {}
        for r in records:
            by_day.setdefault(r["work_date"], []).append(
                (r["kind"], r["corrected_captured_at"].astimezone(zone).replace(tzinfo=None))
            )
        permits = await self.permits.approved_between(employee_id, start, end)
        attested = await self.attested(employee_id, start, end) if self.attested else {}
        local_now = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
        result = []
        for day in _dates(start, end):
            local = by_day.get(day, [])
            window = rules.window_for(row["days"] or {}, day)
            result.append(
                rules.day_status(
                    rules.DayInput(
                        day=day,
                        window=window,
                        holiday=holidays.get(day),
                        check_ins=[t for kind, t in local if kind == "in"],
                        check_outs=[t for kind, t in local if kind == "out"],
                        permit=permits.get(day),
                        attested=attested.get(day),
                        day_over=rules.day_over(day, window, local_now),
                    ),
                    self.rules,
                )
            )
        return result

    async def recompute(self, employee_id: int, day: dt.date) -> rules.DayStatus | None:
        statuses = await self.recompute_range(employee_id, day, day)
        return statuses[0] if statuses else None

    async def recompute_range(
        self, employee_id: int, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
    ) -> list[rules.DayStatus]:
        """Compute and store; `computed_at` is the `now` the days were judged at, so that a
        record judged while its day was still open is known to be provisional."""
        now = now or dt.datetime.now(dt.UTC)
        statuses = await self.compute_range(employee_id, start, end, now=now)
        if not statuses:
            return statuses
        unit_id = await org.employee_unit(employee_id)
        # What the board counts of each stored day: a change of it is told to the board in the
        # transaction that stores the day (an unchanged recompute tells nothing).
        counted = {
            row["day"]: (_board_status(row["status"], row["attested"]), *_rest(row))
            for row in await DayRecord.select(
                DayRecord.day,
                DayRecord.status,
                DayRecord.permit,
                DayRecord.tl,
                DayRecord.psw,
                DayRecord.attested,
            ).where(
                (DayRecord.employee == employee_id)
                & (DayRecord.day >= statuses[0].day)
                & (DayRecord.day <= statuses[-1].day)
            )
        }
        for status in statuses:
            values = {
                "status": status.status,
                "permit": status.permit,
                "tl": status.tl,
                "psw": status.psw,
                "late_minutes": status.late_minutes,
                "early_minutes": status.early_minutes,
                "deduction_pct": status.deduction_pct,
                "reasons": list(status.reasons),
                "computed_at": now,
                "attested": status.attested,
            }
            board_status = _board_status(status.status, status.attested)
            board_view = (board_status, status.permit, status.tl, status.psw)
            async with self.outbox.transaction():
                await DayRecord.insert(
                    DayRecord(employee=employee_id, day=status.day, **values)
                ).on_conflict(
                    target=(DayRecord.employee, DayRecord.day),
                    action="DO UPDATE",
                    values=[getattr(DayRecord, name) for name in values],
                )
                if unit_id is not None and counted.get(status.day) != board_view:
                    await self.outbox.add(
                        events.day_recorded(
                            employee_id,
                            unit_id,
                            status.day,
                            status=board_status,
                            permit=status.permit,
                            tl=status.tl,
                            psw=status.psw,
                            computed_at=now,
                        )
                    )
        return statuses

    async def settle_ended(
        self,
        now: dt.datetime,
        *,
        lookback_days: int = SETTLE_LOOKBACK_DAYS,
        batch: int = SETTLE_BATCH,
        limit: int = SETTLE_LIMIT,
    ) -> int:
        """Store the final record of every day whose working hours have ended by `now`, in
        each unit's own time zone (WIB, WITA, WIT), and that has no final record yet.

        A night shift's day is settled the next morning, when the shift ends. What is already
        final (computed after its day ended) is left alone, so running again changes nothing
        and a missed run is caught up by the next one within `lookback_days`. Employees are
        read in pages of `batch`; at most `limit` employee-days are settled per call, the rest
        by the next. Returns how many employee-days were settled.
        """
        earliest = now.astimezone(dt.UTC).date() - dt.timedelta(days=lookback_days + 1)
        settled = 0
        last_id = 0
        while settled < limit:
            people = (
                await Employee.select(
                    Employee.id,
                    Employee.created_at,
                    Employee.schedule.days.as_alias("days"),
                    Employee.unit.timezone.as_alias("tz"),
                )
                .where(Employee.active.eq(True) & (Employee.id > last_id))
                .order_by(Employee.id)
                .limit(batch)
                .output(load_json=True)
            )
            if not people:
                break
            last_id = people[-1]["id"]
            by_id = {person["id"]: person for person in people}
            final = {
                (row["employee"], row["day"])
                for row in await DayRecord.select(
                    DayRecord.employee, DayRecord.day, DayRecord.computed_at
                ).where(DayRecord.employee.is_in(list(by_id)) & (DayRecord.day >= earliest))
                if _final(by_id[row["employee"]], row["day"], row["computed_at"])
            }
            for person in people:
                due = _due_days(person, now, lookback_days)
                due = [day for day in due if (person["id"], day) not in final]
                if not due or settled >= limit:
                    continue
                await self.recompute_range(person["id"], due[0], due[-1], now=now)
                settled += len(due)
        return settled

    async def standing(
        self, employee_ids: list[int], until: dt.date
    ) -> dict[int, tuple[int, rules.Discipline]]:
        """Employee -> (days absent without reason this year up to `until`, where that stands on
        the PP 94/2021 scale), from the stored day records of these employees in one grouped
        query (the board's watch list: a few dozen people)."""
        if not employee_ids:
            return {}
        rows = (
            await DayRecord.select(DayRecord.employee, Count(DayRecord.id, alias="absent"))
            .where(
                DayRecord.employee.is_in(employee_ids)
                & (DayRecord.day >= until.replace(month=1, day=1))
                & (DayRecord.day <= until)
                & (DayRecord.status == "absent")
            )
            .group_by(DayRecord.employee)
        )
        counted = {row["employee"]: row["absent"] for row in rows}
        return {
            employee: (counted.get(employee, 0), rules.discipline_for(counted.get(employee, 0)))
            for employee in employee_ids
        }

    async def stored_states(
        self, start: dt.date, end: dt.date, *, after_id: int = 0, limit: int = 5000
    ) -> list[tuple[int, int, int, dt.date, str, str | None, str | None, str | None, dt.datetime]]:
        """A page of the stored day records of [start, end], by record id: (id, employee, unit,
        day, status, permit, tl, psw, computed_at). For rebuilding the board's counts
        (`hadir board-rebuild`), read in pages so no read holds the whole window."""
        rows = (
            await DayRecord.select(
                DayRecord.id,
                DayRecord.employee,
                DayRecord.employee.unit.as_alias("unit"),
                DayRecord.day,
                DayRecord.status,
                DayRecord.permit,
                DayRecord.tl,
                DayRecord.psw,
                DayRecord.computed_at,
                DayRecord.attested,
            )
            .where((DayRecord.day >= start) & (DayRecord.day <= end) & (DayRecord.id > after_id))
            .order_by(DayRecord.id)
            .limit(limit)
        )
        return [
            (
                r["id"],
                r["employee"],
                r["unit"],
                r["day"],
                _board_status(r["status"], r["attested"]),
                r["permit"],
                r["tl"],
                r["psw"],
                r["computed_at"],
            )
            for r in rows
        ]

    async def days_of(self, employee_id: int, start: dt.date, end: dt.date) -> list[DayView]:
        return [_view(status) for status in await self.compute_range(employee_id, start, end)]

    # --- the monthly recap --------------------------------------------------------------------

    async def recap_unit(self, who: Principal, unit_code: str) -> UnitNode:
        """The unit of a recap, once the caller may read its recap (a head: their own units)."""
        unit = await org.unit_by_code(unit_code)
        if unit is None:
            raise NotFound(f"Unit {unit_code} tidak ditemukan")
        await policy.ensure(
            who,
            "recap.read",
            Forbidden("Rekap hanya untuk unit Anda sendiri"),
            org.TREE,
            unit_id=unit.id,
        )
        return unit

    async def recap(
        self,
        who: Principal,
        unit_code: str,
        month: str,
        *,
        now: dt.datetime,
        subtree: bool = False,
        direct_max: int | None = None,
    ) -> Recap:
        """One unit's month (with `subtree`, the unit and everything under it) as of `now`,
        answered in the request. A subtree of more than `direct_max` employees is refused: it
        is built by a job instead (`POST /api/v1/recap/exports`)."""
        month_start(month)
        unit = await self.recap_unit(who, unit_code)
        if subtree and direct_max is not None:
            plan = await recap_plan(unit, subtree=True)
            staff = sum(count for _, count in plan)
            if staff > direct_max:
                raise Invalid(
                    f"Rekap ini mencakup {staff} pegawai, lebih dari {direct_max} yang dijawab "
                    "langsung: unduh sebagai berkas (POST /api/v1/recap/exports)"
                )
        return await self.build(unit, month, now=now, subtree=subtree)

    async def build(
        self,
        unit: UnitNode,
        month: str,
        *,
        now: dt.datetime,
        subtree: bool = False,
        chunk: int = 500,
        progress: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> Recap:
        """The recap of `unit` (and, with `subtree`, of every unit under it, parents first,
        each unit's staff by name), judged `chunk` employees at a time whatever units they are
        in (a regency's schools have a dozen staff each: a step per school would be thousands
        of small queries); `progress(done, total)` is awaited after each step (the export job
        stores it)."""
        first = month_start(month)
        plan = await recap_plan(unit, subtree=subtree)
        order = {node.id: at for at, (node, _) in enumerate(plan)}
        nodes = {node.id: node for node, _ in plan}
        people = await _staff_of_units([node.id for node, count in plan if count])
        people.sort(key=lambda p: (order[p["unit"]], p["name"], p["id"]))
        total = len(people)
        if progress is not None:
            await progress(0, total)
        months: list[rules.EmployeeMonth] = []
        step = max(1, chunk)
        for at in range(0, total, step):
            part = people[at : at + step]
            judged = await self._months(part, first, now=now)
            for person in part:
                node = nodes[person["unit"]]
                months.append(
                    msgspec.structs.replace(
                        judged[person["id"]], unit=node.code, unit_name=node.name
                    )
                )
            if progress is not None:
                await progress(at + len(part), total)
        return Recap(
            unit=unit.code,
            unit_name=unit.name,
            month=month,
            employees=months,
            subtree=subtree,
            units=[RecapUnit(code=n.code, name=n.name, staff=c) for n, c in plan]
            if subtree
            else [],
        )

    async def _months(
        self,
        people: list[dict[str, Any]],
        first: dt.date,
        *,
        now: dt.datetime,
    ) -> dict[int, rules.EmployeeMonth]:
        """Employee id -> the month of these staff, bounded by them: their stored day records
        of the month (and the 31 days before, for an absence run across the month boundary) in
        one query, the days missing or provisional recomputed for that window only, and the
        year-to-date absent count (PP 94/2021) from the stored day records in one grouped
        query. Days count once their working hours have ended in the unit's own time zone (a
        WIT unit's day ends two hours before a WIB unit's)."""
        by_zone: dict[str, list[dict[str, Any]]] = {}
        for person in people:
            by_zone.setdefault(person["tz"] or "Asia/Jakarta", []).append(person)
        months: dict[int, rules.EmployeeMonth] = {}
        for zone_name, staff in by_zone.items():
            zone = ZoneInfo(zone_name)
            today = now.astimezone(zone).date()
            last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
                days=1
            )
            until = min(last, today - dt.timedelta(days=1))  # today is not over yet
            year_start = first.replace(month=1, day=1)
            # Days of the year before this month count towards the PP 94/2021 scale: the window
            # read day by day is this month and the 31 days before it; earlier days are counted.
            before_end = min(first - dt.timedelta(days=1), until)
            window_start = max(year_start, before_end - dt.timedelta(days=30))
            ids = [person["id"] for person in staff]
            statuses = await self._unit_window(staff, window_start, until, now=now)
            counted = await _absent_counts(ids, year_start, window_start - dt.timedelta(days=1))
            # Short leaves (izin keluar kantor) leave the day present; the recap counts them
            # apart.
            short_leaves = await self.permits.short_leave_counts(ids, first, until)
            for person in staff:
                window = statuses.get(person["id"], [])
                before = [s for s in window if s.day < first]
                this_month = [s for s in window if s.day >= first]
                absent_year = counted.get(person["id"], 0) + sum(
                    1 for s in window if s.status == "absent"
                )
                carried = (
                    rules.longest_absent_run(before[-31:])
                    if before and before[-1].status == "absent"
                    else 0
                )
                months[person["id"]] = rules.month_recap(
                    person["nip"],
                    person["name"],
                    this_month,
                    absent_year,
                    self.rules,
                    carried_absent_run=carried,
                )
                months[person["id"]].days[f"permit:{SHORT_LEAVE}"] = short_leaves.get(
                    person["id"], 0
                )
        return months

    async def _unit_window(
        self,
        people: list[dict[str, Any]],
        start: dt.date,
        end: dt.date,
        *,
        now: dt.datetime,
    ) -> dict[int, list[rules.DayStatus]]:
        """Employee id -> day statuses of [start, end] whose working hours have ended by `now`,
        in day order: the stored day records of these staff in one query where they are
        final; the days missing or provisional (computed while the day was still open, e.g. a
        check-in settling at 10:00 stored "no check-out yet") recomputed and stored, per
        employee, for this window only."""
        if end < start or not people:
            return {}
        dates = _dates(start, end)
        # When each day's working hours end (naive local time), per employee: a stored record
        # computed before that was judged while its day was still open.
        ends: dict[int, dict[dt.date, dt.datetime]] = {}
        zones: dict[int, ZoneInfo] = {}
        for person in people:
            zones[person["id"]] = ZoneInfo(person["tz"] or "Asia/Jakarta")
            ends[person["id"]] = _day_ends(person["days"] or {}, dates)
        stored: dict[int, dict[dt.date, rules.DayStatus]] = {}
        rows = await DayRecord.select(
            DayRecord.employee,
            DayRecord.day,
            DayRecord.status,
            DayRecord.permit,
            DayRecord.tl,
            DayRecord.psw,
            DayRecord.late_minutes,
            DayRecord.early_minutes,
            DayRecord.deduction_pct,
            DayRecord.computed_at,
            DayRecord.attested,
        ).where(
            DayRecord.employee.is_in(list(ends)) & (DayRecord.day >= start) & (DayRecord.day <= end)
        )
        for row in rows:
            employee = row["employee"]
            over_at = ends[employee].get(row["day"])
            computed = row["computed_at"].astimezone(zones[employee]).replace(tzinfo=None)
            if over_at is None or computed < over_at:
                continue  # provisional: judged while its day was still open
            # The stored reasons are not read: a recap counts, it does not explain.
            stored.setdefault(employee, {})[row["day"]] = rules.DayStatus(
                day=row["day"],
                status=row["status"],
                permit=row["permit"],
                tl=row["tl"],
                psw=row["psw"],
                late_minutes=row["late_minutes"],
                early_minutes=row["early_minutes"],
                deduction_pct=row["deduction_pct"],
                attested=row["attested"],
            )
        result: dict[int, list[rules.DayStatus]] = {}
        for person in people:
            zone = zones[person["id"]]
            local_now = now.astimezone(zone).replace(tzinfo=None)
            days = stored.get(person["id"], {})
            since = max(start, person["created_at"].astimezone(zone).date())
            over = {
                day for day, at in ends[person["id"]].items() if day >= since and at <= local_now
            }
            due = sorted(day for day in over if day not in days)
            if due:
                for status in await self.recompute_range(person["id"], due[0], due[-1], now=now):
                    if status.day in over:
                        days.setdefault(status.day, status)
            result[person["id"]] = [days[day] for day in sorted(days)]
        return result


def _board_status(status: str, attested: bool) -> str:
    """The status the board is told: an attested present day is `attested` there (counted
    present, and apart as attested: backend/board/counts.py)."""
    return "attested" if attested and status == "present" else status


def _rest(row: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    return row["permit"], row["tl"], row["psw"]


def month_start(month: str) -> dt.date:
    """The first day of a `YYYY-MM` month, or a 422 in words."""
    try:
        if len(month) != 7:
            raise ValueError(month)
        return dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise Invalid("month: gunakan format YYYY-MM, misalnya 2026-11") from None


async def recap_plan(unit: UnitNode, *, subtree: bool) -> list[tuple[UnitNode, int]]:
    """The units a recap covers, parents first and siblings by name, each with its active
    staff count (one grouped query): the unit alone, or with everything under it."""
    if not subtree:
        nodes = [unit]
    else:
        under = await org.unit_ids_under(unit.id)
        children: dict[int | None, list[UnitNode]] = {}
        for node in await org.unit_nodes():
            if node.id in under:
                children.setdefault(node.parent, []).append(node)
        nodes = []
        stack = [unit]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(sorted(children.get(node.id, []), key=lambda n: n.name, reverse=True))
    ids = [node.id for node in nodes]
    rows = await Employee.raw(
        "SELECT e.unit AS unit, COUNT(*) AS staff FROM org_employee e"
        " WHERE e.active AND e.unit IN (" + ", ".join("{}" for _ in ids) + ") GROUP BY e.unit",
        *ids,
    )
    counts = {row["unit"]: row["staff"] for row in rows}
    return [(node, counts.get(node.id, 0)) for node in nodes]


async def _staff_of_units(unit_ids: list[int]) -> list[dict[str, Any]]:
    """What judging these units' active staff needs (a regency: 20,000 small rows)."""
    if not unit_ids:
        return []
    return await (
        Employee.select(
            Employee.id,
            Employee.nip,
            Employee.name,
            Employee.unit,
            Employee.created_at,
            Employee.schedule.days.as_alias("days"),
            Employee.unit.timezone.as_alias("tz"),
        )
        .where(Employee.unit.is_in(unit_ids) & Employee.active.eq(True))
        .output(load_json=True)
    )


def _day_ends(schedule: dict[str, list[str]], dates: list[dt.date]) -> dict[dt.date, dt.datetime]:
    """Day -> when its working hours end (naive local time; a night shift's the next morning,
    a day off's at midnight): the schedule read once per weekday, not once per day."""
    windows = {
        weekday: rules.window_for(schedule, dt.date(2024, 1, weekday)) for weekday in range(1, 8)
    }
    ends = {}
    for day in dates:
        window = windows[day.isoweekday()]
        ends[day] = (
            rules.shift_bounds(day, window)[1]
            if window is not None
            else dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
        )
    return ends


async def _absent_counts(employee_ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """Employee id -> stored days absent without reason in [start, end], for these staff, in
    one grouped query (the PP 94/2021 count is cumulative over the year)."""
    if end < start or not employee_ids:
        return {}
    rows = (
        await DayRecord.select(DayRecord.employee, Count(DayRecord.id, alias="absent"))
        .where(
            DayRecord.employee.is_in(employee_ids)
            & (DayRecord.day >= start)
            & (DayRecord.day <= end)
            & (DayRecord.status == "absent")
        )
        .group_by(DayRecord.employee)
    )
    return {row["employee"]: row["absent"] for row in rows}


def _due_days(person: dict[str, Any], now: dt.datetime, lookback_days: int) -> list[dt.date]:
    """The days of the last `lookback_days` (local) whose working hours have ended by `now`."""
    zone = ZoneInfo(person["tz"] or "Asia/Jakarta")
    local_now = now.astimezone(zone)
    first = max(
        local_now.date() - dt.timedelta(days=lookback_days),
        person["created_at"].astimezone(zone).date(),
    )
    schedule = person["days"] or {}
    return [
        day
        for day in _dates(first, local_now.date())
        if rules.day_over(day, rules.window_for(schedule, day), local_now)
    ]


def _final(person: dict[str, Any], day: dt.date, computed_at: dt.datetime) -> bool:
    """Whether a stored record was computed after its day's working hours ended (else it is
    provisional: judged while the day was still open)."""
    zone = ZoneInfo(person["tz"] or "Asia/Jakarta")
    window = rules.window_for(person["days"] or {}, day)
    return rules.day_over(day, window, computed_at.astimezone(zone))


async def _employee(employee_id: int) -> dict[str, Any]:
    """What judging an employee's days needs: since when, the schedule, the unit's zone."""
    row = (
        await Employee.select(
            Employee.created_at,
            Employee.schedule.days.as_alias("days"),
            Employee.unit.timezone.as_alias("tz"),
        )
        .where(Employee.id == employee_id)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound("Pegawai tidak ditemukan")
    return row


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# --- exports -------------------------------------------------------------------------------------

COLUMNS: list[tuple[str, str]] = [
    ("present", "Hadir"),
    *[(f"TL{i}", f"TL{i}") for i in range(1, 5)],
    *[(f"PSW{i}", f"PSW{i}") for i in range(1, 5)],
    *[(f"permit:{kind}", label) for kind, label in rules.PERMIT_LABELS.items()],
    ("absent", "Tanpa keterangan"),
    ("holiday", "Libur"),
]


def recap_rows(recap: Recap) -> list[list[Any]]:
    header = [
        "NIP",
        "Nama",
        *[label for _, label in COLUMNS],
        "Menit terlambat",
        "Menit pulang cepat",
        "Potongan TPP (%)",
        "Alpa tahun ini (hari)",
        "Tingkat disiplin (PP 94/2021)",
        # Added later, at the end, so that the earlier columns keep their places.
        "Jumlah TL",
        "Jumlah PSW",
        "Kode unit",
        "Unit kerja",
        "Hadir (atestasi)",  # of Hadir: days a head of unit attested (no signal for days)
    ]
    rows: list[list[Any]] = [header]
    for person in recap.employees:
        rows.append(
            [
                person.nip,
                person.name,
                *[person.days.get(key, 0) for key, _ in COLUMNS],
                person.late_minutes,
                person.early_minutes,
                round(person.deduction_pct, 2),
                person.absent_days_year,
                person.discipline.description,
                _count(person, "TL"),
                _count(person, "PSW"),
                person.unit or recap.unit,
                person.unit_name or recap.unit_name,
                person.days.get("attested", 0),
            ]
        )
    return rows


def _count(person: rules.EmployeeMonth, prefix: str) -> int:
    return sum(n for key, n in person.days.items() if key[:-1] == prefix and key[-1].isdigit())


def tpp_rows(recap: Recap) -> list[list[Any]]:
    """The TPP deduction sheet: per employee what the deduction is made of and the total."""
    rows: list[list[Any]] = [
        [
            "NIP",
            "Nama",
            "Unit kerja",
            "Hadir (hari)",
            "Terlambat (kali)",
            "Menit terlambat",
            "Pulang cepat (kali)",
            "Menit pulang cepat",
            "Tanpa keterangan (hari)",
            "Izin/cuti (hari)",
            "Potongan TPP (%)",
            "TPP dibayarkan (%)",
        ]
    ]
    for person in recap.employees:
        permits = sum(n for key, n in person.days.items() if key.startswith("permit:"))
        deduction = round(person.deduction_pct, 2)
        rows.append(
            [
                person.nip,
                person.name,
                person.unit_name or recap.unit_name,
                person.days.get("present", 0),
                _count(person, "TL"),
                person.late_minutes,
                _count(person, "PSW"),
                person.early_minutes,
                person.days.get("absent", 0),
                permits,
                deduction,
                round(100.0 - deduction, 2),
            ]
        )
    return rows


def standing_rows(recap: Recap) -> list[list[Any]]:
    """The PP 94/2021 sheet: where each employee stands on the scale of days absent without
    reason this year (up to the month's end), and how far the next step is."""
    rows: list[list[Any]] = [
        [
            "NIP",
            "Nama",
            "Unit kerja",
            "Alpa tahun ini (hari)",
            "Alpa beruntun terpanjang bulan ini (hari)",
            "Tingkat disiplin",
            "Kategori",
            "Hari alpa lagi sampai tingkat berikutnya",
        ]
    ]
    for person in recap.employees:
        rows.append(
            [
                person.nip,
                person.name,
                person.unit_name or recap.unit_name,
                person.absent_days_year,
                person.longest_absent_run,
                person.discipline.description,
                person.discipline.category or "-",
                person.discipline.next_threshold
                if person.discipline.next_threshold is not None
                else "-",
            ]
        )
    return rows


def to_csv(recap: Recap) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(recap_rows(recap))
    # A BOM so Excel, which BKD staff open CSVs with, reads the names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()


def _sheet(book: Workbook, title: str, heading: str, rows: list[list[Any]], widths: dict) -> None:
    """A write-only sheet: a bold heading line, a bold header row, then the rows (streamed:
    20,000 employees take seconds, not a minute)."""
    sheet = book.create_sheet(title)
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    first = WriteOnlyCell(sheet, value=heading)
    first.font = bold
    sheet.append([first])
    header = []
    for value in rows[0]:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows[1:]:
        sheet.append(row)


def to_xlsx(recap: Recap) -> bytes:
    """Three sheets: the recap (the first, as before), the TPP deductions and the PP 94/2021
    standing, then the scale itself for reference."""
    book = Workbook(write_only=True)
    scope = " beserta unit di bawahnya" if recap.subtree else ""
    where = f"{recap.unit_name}{scope}, bulan {recap.month}"
    _sheet(
        book,
        f"Rekap {recap.month}",
        f"Rekap presensi {where}",
        recap_rows(recap),
        {"A": 22, "B": 34},
    )
    _sheet(
        book, "Potongan TPP", f"Potongan TPP {where}", tpp_rows(recap), {"A": 22, "B": 34, "C": 34}
    )
    _sheet(
        book,
        "Disiplin PP 94-2021",
        f"Tingkat hukuman disiplin (PP 94/2021) {where}",
        standing_rows(recap),
        {"A": 22, "B": 34, "C": 34, "F": 44},
    )
    _sheet(
        book,
        "Skala PP 94-2021",
        "Hari tidak masuk kerja tanpa alasan yang sah dalam satu tahun (PP 94/2021)",
        [
            ["Mulai (hari alpa)", "Tingkat", "Kategori"],
            *[
                [step.from_days, step.description, step.category or "-"]
                for step in rules.DISCIPLINE_SCALE
            ],
        ],
        {"B": 60},
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
