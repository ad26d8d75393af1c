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
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from openpyxl import Workbook
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
from backend.org.tables import Employee, Holiday, Unit
from backend.permits.schemas import SHORT_LEAVE
from backend.permits.service import Permits

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


class Recap(msgspec.Struct, frozen=True):
    unit: str
    unit_name: str
    month: str  # YYYY-MM
    employees: list[rules.EmployeeMonth]


def _view(status: rules.DayStatus) -> DayView:
    return DayView(**{f: getattr(status, f) for f in DayView.__struct_fields__})


class DayRecords:
    def __init__(self, *, rules_table: TppRules, permits: Permits, outbox: Outbox) -> None:
        self.rules = rules_table
        self.permits = permits
        self.outbox = outbox

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
            row["day"]: (row["status"], row["permit"], row["tl"], row["psw"])
            for row in await DayRecord.select(
                DayRecord.day, DayRecord.status, DayRecord.permit, DayRecord.tl, DayRecord.psw
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
            }
            board_view = (status.status, status.permit, status.tl, status.psw)
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
                            status=status.status,
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
                r["status"],
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

    async def recap(self, who: Principal, unit_code: str, month: str, *, now: dt.datetime) -> Recap:
        """One unit's month as of `now`, bounded by the unit: its staff's stored day records of
        the month (and the 31 days before, for an absence run across the month boundary) in one
        query, the days missing or provisional recomputed for that window only, and the
        year-to-date absent count (PP 94/2021) from the stored day records in one grouped
        query. Days count once their working hours have ended in the unit's own time zone (a
        WIT unit's day ends two hours before a WIB unit's)."""
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise Invalid("month: gunakan format YYYY-MM, misalnya 2026-11") from None
        unit = (
            await Unit.select(Unit.id, Unit.name, Unit.timezone)
            .where(Unit.code == unit_code)
            .first()
        )
        if unit is None:
            raise NotFound(f"Unit {unit_code} tidak ditemukan")
        await policy.ensure(
            who,
            "recap.read",
            Forbidden("Rekap hanya untuk unit Anda sendiri"),
            org.TREE,
            unit_id=unit["id"],
        )
        zone = ZoneInfo(unit["timezone"] or "Asia/Jakarta")
        today = now.astimezone(zone).date()
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        until = min(last, today - dt.timedelta(days=1))  # today is not over yet
        year_start = first.replace(month=1, day=1)
        # Days of the year before this month count towards the PP 94/2021 scale: the window
        # read day by day is this month and the 31 days before it; earlier days are counted.
        before_end = min(first - dt.timedelta(days=1), until)
        window_start = max(year_start, before_end - dt.timedelta(days=30))
        people = (
            await Employee.select(
                Employee.id,
                Employee.nip,
                Employee.name,
                Employee.created_at,
                Employee.schedule.days.as_alias("days"),
                Employee.unit.timezone.as_alias("tz"),
            )
            .where((Employee.unit == unit["id"]) & Employee.active.eq(True))
            .order_by(Employee.name)
            .output(load_json=True)
        )
        statuses = await self._unit_window(unit["id"], people, window_start, until, now=now)
        counted = await _absent_counts(unit["id"], year_start, window_start - dt.timedelta(days=1))
        # Short leaves (izin keluar kantor) leave the day present; the recap counts them apart.
        short_leaves = await self.permits.short_leave_counts(
            [person["id"] for person in people], first, until
        )
        months: list[rules.EmployeeMonth] = []
        for person in people:
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
            months.append(
                rules.month_recap(
                    person["nip"],
                    person["name"],
                    this_month,
                    absent_year,
                    self.rules,
                    carried_absent_run=carried,
                )
            )
            months[-1].days[f"permit:{SHORT_LEAVE}"] = short_leaves.get(person["id"], 0)
        return Recap(unit=unit_code, unit_name=unit["name"], month=month, employees=months)

    async def _unit_window(
        self,
        unit_id: int,
        people: list[dict[str, Any]],
        start: dt.date,
        end: dt.date,
        *,
        now: dt.datetime,
    ) -> dict[int, list[rules.DayStatus]]:
        """Employee id -> day statuses of [start, end] whose working hours have ended by `now`,
        in day order: the stored day records of the unit's staff in one query where they are
        final; the days missing or provisional (computed while the day was still open, e.g. a
        check-in settling at 10:00 stored "no check-out yet") recomputed and stored, per
        employee, for this window only."""
        if end < start:
            return {}
        by_id = {person["id"]: person for person in people}
        stored: dict[int, dict[dt.date, rules.DayStatus]] = {}
        for row in (
            await DayRecord.select()
            .where(
                (DayRecord.employee.unit == unit_id)
                & (DayRecord.day >= start)
                & (DayRecord.day <= end)
            )
            .output(load_json=True)
        ):
            person = by_id.get(row["employee"])
            if person is None or not _final(person, row["day"], row["computed_at"]):
                continue
            # Extra columns (id, employee, computed_at) are ignored by the conversion.
            stored.setdefault(row["employee"], {})[row["day"]] = msgspec.convert(
                row, rules.DayStatus, from_attributes=False
            )
        result: dict[int, list[rules.DayStatus]] = {}
        for person in people:
            zone = ZoneInfo(person["tz"] or "Asia/Jakarta")
            local_now = now.astimezone(zone)
            schedule = person["days"] or {}
            days = stored.get(person["id"], {})
            since = max(start, person["created_at"].astimezone(zone).date())
            windows = {day: rules.window_for(schedule, day) for day in _dates(since, end)}
            due = [
                day
                for day, window in windows.items()
                if day not in days and rules.day_over(day, window, local_now)
            ]
            if due:
                for status in await self.recompute_range(person["id"], due[0], due[-1], now=now):
                    if status.day in windows and rules.day_over(
                        status.day, windows[status.day], local_now
                    ):
                        days.setdefault(status.day, status)
            result[person["id"]] = [days[day] for day in sorted(days)]
        return result


async def _absent_counts(unit_id: int, start: dt.date, end: dt.date) -> dict[int, int]:
    """Employee id -> stored days absent without reason in [start, end], for the staff of one
    unit, in one grouped query (the PP 94/2021 count is cumulative over the year)."""
    if end < start:
        return {}
    rows = await DayRecord.raw(
        "SELECT d.employee AS employee, COUNT(*) AS absent FROM attendance_day d"
        " JOIN org_employee e ON e.id = d.employee"
        " WHERE e.unit = {} AND d.day >= {} AND d.day <= {} AND d.status = 'absent'"
        " GROUP BY d.employee",
        unit_id,
        start,
        end,
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
            ]
        )
    return rows


def to_csv(recap: Recap) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(recap_rows(recap))
    # A BOM so Excel, which BKD staff open CSVs with, reads the names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(recap: Recap) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"Rekap {recap.month}"
    sheet.append([f"Rekap presensi {recap.unit_name}, bulan {recap.month}"])
    sheet["A1"].font = Font(bold=True)
    for row in recap_rows(recap):
        sheet.append(row)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 34
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
