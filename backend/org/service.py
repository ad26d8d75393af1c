"""Employees, units, schedules and holidays: who someone is, where they belong, when they work."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from msgspec import UNSET
from piccolo.columns.combination import WhereRaw

from backend.core import audit
from backend.core.auth import ROLES, PasswordChecker, Principal, hash_initial, initial_password
from backend.core.cache import Snapshot
from backend.core.db import contains
from backend.core.errors import Forbidden, Invalid, NotFound, Unauthenticated
from backend.core.ratelimit import LoginLimiter
from backend.org.schemas import (
    AuditItem,
    AuditPage,
    EmployeeAccount,
    EmployeeListed,
    EmployeePage,
    EmployeePatch,
    LoginHelp,
    NipParts,
    PasswordReset,
    ScheduledGroup,
    ScheduleToday,
    StaffRef,
    UnitNode,
    UnitRef,
    User,
)
from backend.org.tables import Employee, Holiday, Schedule, Unit

PPPK_MONTH = 21

# --- NIP --------------------------------------------------------------------------------------


def parse_nip(nip: str) -> NipParts:
    """Split an 18-digit NIP into its parts, saying exactly which part is wrong."""
    nip = nip.strip()
    if not nip.isdigit() or not nip.isascii():
        raise Invalid("NIP hanya boleh berisi angka")
    if len(nip) != 18:
        raise Invalid(f"NIP harus 18 angka, bukan {len(nip)}")
    try:
        birth = dt.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise Invalid(
            f"Tanggal lahir pada NIP (angka ke-1 s.d. 8: {nip[:8]}) bukan tanggal yang sah"
        ) from None
    if birth.year < 1940:
        raise Invalid(f"Tahun lahir pada NIP ({birth.year}) tidak masuk akal")
    year, month = int(nip[8:12]), int(nip[12:14])
    # A PPPK's number (NI PPPK) carries 21 where a PNS's NIP carries the month of appointment.
    pppk = month == PPPK_MONTH
    if not (1 <= month <= 12 or pppk):
        raise Invalid(
            f"Bulan pengangkatan pada NIP (angka ke-13 s.d. 14: {nip[12:14]}) harus 01 s.d. 12 "
            "(atau 21 untuk PPPK)"
        )
    # The year has begun for this check once it has anywhere in Indonesia (WIT, UTC+9).
    if year > dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).year:
        raise Invalid(f"Tahun pengangkatan pada NIP ({year}) belum terjadi")
    if year < birth.year + 15:
        raise Invalid(
            f"Tahun pengangkatan pada NIP ({year}) terlalu dekat dengan tahun lahir ({birth.year})"
        )
    if nip[14] not in "12":
        raise Invalid(f"Kode jenis kelamin pada NIP (angka ke-15: {nip[14]}) harus 1 atau 2")
    if nip[15:] == "000":
        raise Invalid("Nomor urut pada NIP (angka ke-16 s.d. 18) tidak boleh 000")
    return NipParts(
        birth_date=birth,
        appointed=f"{year:04d}" if pppk else f"{year:04d}-{month:02d}",
        pppk=pppk,
        sex="L" if nip[14] == "1" else "P",
        sequence=int(nip[15:]),
    )


# --- login --------------------------------------------------------------------------------------

WRONG_CREDENTIALS = "NIP atau kata sandi salah"


async def authenticate(
    nip: str, password: str, passwords: PasswordChecker
) -> tuple[Principal, User]:
    parse_nip(nip)
    async with passwords.admit():
        row = (
            await Employee.select(
                Employee.all_columns(), Employee.unit.all_columns(exclude=[Unit.parent])
            )
            .where(Employee.nip == nip.strip())
            .first()
            .output(nested=True)
        )
        if row is None or not row["active"]:
            # Spend the hashing time anyway, so a wrong NIP is not faster than a wrong password.
            await passwords.check(_DUMMY_HASH, password)
            raise Unauthenticated(WRONG_CREDENTIALS)
        if not await passwords.check(row["password_hash"], password):
            raise Unauthenticated(WRONG_CREDENTIALS)
    unit = msgspec.convert(row["unit"], UnitRef)
    principal = Principal(
        employee_id=row["id"],
        nip=row["nip"],
        name=row["name"],
        roles=tuple(row["roles"]),
        unit_id=unit.id,
        token_version=row["token_version"],
    )
    return principal, _user(row, unit)


def login_help(contact: str) -> LoginHelp:
    return LoginHelp(contact=contact.strip())


async def login(
    nip: str, password: str, passwords: PasswordChecker, limiter: LoginLimiter, address: str
) -> tuple[Principal, User]:
    """`authenticate`, limited per NIP and per address (core.ratelimit): a refusal comes before
    any hashing; a wrong NIP or password counts, a success resets the NIP's count."""
    nip = nip.strip()
    parse_nip(nip)
    await limiter.check(nip, address)
    try:
        result = await authenticate(nip, password, passwords)
    except Unauthenticated:
        await limiter.failed(nip, address)
        raise
    await limiter.succeeded(nip)
    return result


async def token_state(employee_id: int) -> tuple[int, bool] | None:
    """(token_version, active) of an employee, for core.auth.TokenVersions."""
    row = (
        await Employee.select(Employee.token_version, Employee.active)
        .where(Employee.id == employee_id)
        .first()
    )
    return (row["token_version"], row["active"]) if row else None


PASSWORD_MIN = 8


def password_rule(nip: str, new: str, old: str) -> None:
    """A chosen password: long enough, not the NIP, not the one it replaces."""
    if len(new) < PASSWORD_MIN:
        raise Invalid(f"Kata sandi baru minimal {PASSWORD_MIN} karakter")
    if nip in new:
        raise Invalid("Kata sandi baru tidak boleh memuat NIP")
    if new == old:
        raise Invalid("Kata sandi baru harus berbeda dari yang lama")


async def change_password(
    who: Principal, old: str, new: str, passwords: PasswordChecker
) -> tuple[Principal, User]:
    """Replace one's own password: every other session of the account ends (the token version
    is raised); the caller gets a fresh token."""
    password_rule(who.nip, new, old)
    row = (
        await Employee.select(Employee.password_hash).where(Employee.id == who.employee_id).first()
    )
    if row is None or not await passwords.verify(row["password_hash"], old):
        # 400, not 401: the session is valid, and a client drops its session on a 401.
        raise Invalid("Kata sandi lama salah")
    await Employee.update(
        {
            Employee.password_hash: await passwords.hash(new),
            Employee.must_change_password: False,
            Employee.token_version: Employee.token_version + 1,
        }
    ).where(Employee.id == who.employee_id)
    return await authenticate(who.nip, new, passwords)


def _user(row: dict, unit: UnitRef) -> User:
    return User(
        nip=row["nip"],
        name=row["name"],
        roles=list(row["roles"]),
        unit=unit,
        position=row["position"],
        must_change_password=row["must_change_password"],
    )


# A real hash of a random string: verifying against it costs what a real check costs.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$hYG8hp794BBCbarPPYT98w$h8BtPjedDvZH8r0Ci+3ystFHDHMxAXnvU24PH9GHsOY"


async def get_user(employee_id: int) -> User:
    row = (
        await Employee.select(
            Employee.all_columns(), Employee.unit.all_columns(exclude=[Unit.parent])
        )
        .where(Employee.id == employee_id)
        .first()
        .output(nested=True)
    )
    if row is None:
        raise Unauthenticated("Akun tidak ditemukan; silakan masuk lagi")
    return _user(row, msgspec.convert(row["unit"], UnitRef))


# --- units and time -------------------------------------------------------------------------------


class UnitDirectory:
    """Units by id, for the time zone and tree lookups every check-in needs."""

    # How long a process trusts an employee's working hours it read (the check-in assigns each
    # record to its shift with them): a schedule change reaches every process within this.
    SCHEDULE_TTL_S = 60.0

    def __init__(self) -> None:
        self.snapshot: Snapshot[dict[int, UnitRef]] = Snapshot(self._load)
        self.tree = TREE
        self._schedules: dict[int, tuple[float, dict[str, list[str]]]] = {}

    @staticmethod
    async def _load() -> dict[int, UnitRef]:
        rows = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.timezone)
        return {row["id"]: msgspec.convert(row, UnitRef) for row in rows}

    async def timezone(self, unit_id: int) -> ZoneInfo:
        units = await self.snapshot.get()
        unit = units.get(unit_id)
        return ZoneInfo(unit.timezone if unit else "Asia/Jakarta")

    async def schedule_days(self, employee_id: int) -> dict[str, list[str]]:
        """`schedule_days`, remembered per process for SCHEDULE_TTL_S: one query less on every
        check-in of the morning peak."""
        now = time.monotonic()
        cached = self._schedules.get(employee_id)
        if cached is not None and now - cached[0] < self.SCHEDULE_TTL_S:
            return cached[1]
        days = await schedule_days(employee_id)
        if len(self._schedules) > 100_000:  # a bound, not an eviction policy: start afresh
            self._schedules.clear()
        self._schedules[employee_id] = (now, days)
        return days

    async def today(self, unit_id: int, now: dt.datetime | None = None) -> dt.date:
        """The unit's date at `now` (default: the clock): at 00:30 WIT it is already tomorrow
        in Jayapura while still today in Jakarta. Never the server's own date."""
        return (now or dt.datetime.now(dt.UTC)).astimezone(await self.timezone(unit_id)).date()


async def schedule_today(employee_id: int, zone: ZoneInfo, now: dt.datetime) -> ScheduleToday:
    today = now.astimezone(zone).date()
    row = (
        await Employee.select(Employee.schedule.name, Employee.schedule.days)
        .where(Employee.id == employee_id)
        .first()
        .output(load_json=True)
    )
    holiday = await Holiday.select(Holiday.name).where(Holiday.date == today).first()
    days = (row or {}).get("schedule.days") or {}
    window = days.get(str(today.isoweekday()))
    working = window is not None and holiday is None
    return ScheduleToday(
        date=today,
        timezone=zone.key,
        working_day=working,
        start=window[0] if working else None,
        end=window[1] if working else None,
        schedule=(row or {}).get("schedule.name"),
        holiday=holiday["name"] if holiday else None,
    )


# The unit tree is walked in the database with recursive CTEs (the same SQL on PostgreSQL and
# SQLite): each query reads the units on one path or under one unit, never the whole table.
# The depth guard stops a cycle in bad data from recursing forever; real trees are 3–5 deep.
MAX_UNIT_DEPTH = 32

_UP_FROM_UNIT = f"""
WITH RECURSIVE up(id, parent, depth) AS (
    SELECT id, parent, 0 FROM org_unit WHERE id = {{}}
    UNION ALL
    SELECT u.id, u.parent, up.depth + 1 FROM org_unit u JOIN up ON u.id = up.parent
    WHERE up.depth < {MAX_UNIT_DEPTH}
)"""

_UP_FROM_EMPLOYEE = f"""
WITH RECURSIVE up(id, parent, depth) AS (
    SELECT u.id, u.parent, 0 FROM org_unit u JOIN org_employee e ON e.unit = u.id
    WHERE e.id = {{}}
    UNION ALL
    SELECT u.id, u.parent, up.depth + 1 FROM org_unit u JOIN up ON u.id = up.parent
    WHERE up.depth < {MAX_UNIT_DEPTH}
)"""

# The units under one unit, itself included; usable as a subquery (`unit IN (...)`).
UNITS_UNDER_SQL = f"""
WITH RECURSIVE down(id, depth) AS (
    SELECT id, 0 FROM org_unit WHERE id = {{}}
    UNION ALL
    SELECT u.id, down.depth + 1 FROM org_unit u JOIN down ON u.parent = down.id
    WHERE down.depth < {MAX_UNIT_DEPTH}
)
SELECT id FROM down"""


def staff_under(column: str, unit_id: int) -> WhereRaw:
    """A WHERE condition: `column` (an employee id, e.g. "permits_permit.employee") is one of
    the staff of `unit_id` or of a unit below it.

    On PostgreSQL the ids are gathered first (ARRAY(...) runs once) so the planner drives the
    outer query from that unit's staff through indexes; `IN (subquery)` was planned as a scan
    of every employee and every pending row of the Pemda. SQLite plans IN well."""
    if Employee._meta.db.engine_type == "postgres":
        return WhereRaw(
            f"{column} = ANY(ARRAY(SELECT e.id FROM org_employee e"
            f" WHERE e.unit = ANY(ARRAY({UNITS_UNDER_SQL}))))",
            unit_id,
        )
    return WhereRaw(
        f"{column} IN (SELECT e.id FROM org_employee e WHERE e.unit IN ({UNITS_UNDER_SQL}))",
        unit_id,
    )


async def schedule_days(employee_id: int) -> dict[str, list[str]]:
    """The employee's working hours per ISO weekday (`{"1": ["22:00", "06:00"]}`); {} if none."""
    row = (
        await Employee.select(Employee.schedule.days.as_alias("days"))
        .where(Employee.id == employee_id)
        .first()
        .output(load_json=True)
    )
    return (row or {}).get("days") or {}


async def unit_ids_under(unit_id: int) -> set[int]:
    """The unit and every unit below it (a kepala_unit sees these): reads that subtree only."""
    return {row["id"] for row in await Unit.raw(UNITS_UNDER_SQL, unit_id)}


async def unit_within(unit_id: int, ancestor_id: int) -> bool:
    """Whether `unit_id` is `ancestor_id` or below it: walks up one path of the tree."""
    rows = await Unit.raw(
        f"{_UP_FROM_UNIT} SELECT 1 AS hit FROM up WHERE id = {{}}", unit_id, ancestor_id
    )
    return bool(rows)


async def employee_within(employee_id: int, ancestor_id: int) -> bool:
    """Whether the employee's unit is `ancestor_id` or below it (one query, one path)."""
    rows = await Unit.raw(
        f"{_UP_FROM_EMPLOYEE} SELECT 1 AS hit FROM up WHERE id = {{}}", employee_id, ancestor_id
    )
    return bool(rows)


class UnitTreeQueries:
    """The unit tree as the access policy's `unit` scope needs it (core.policy.UnitTree)."""

    async def employee_within(self, employee_id: int, ancestor_id: int) -> bool:
        return await employee_within(employee_id, ancestor_id)

    async def unit_within(self, unit_id: int, ancestor_id: int) -> bool:
        return await unit_within(unit_id, ancestor_id)


TREE = UnitTreeQueries()


async def approver_for(employee_id: int) -> int | None:
    """The head of the employee's unit; for a head (or a unit without one), the nearest head
    above. Among several heads of one unit, the lowest id. One query along one path."""
    is_head = (
        "'kepala_unit' = ANY(e.roles)"
        if Employee._meta.db.engine_type == "postgres"
        # Piccolo keeps an Array as a JSON list on SQLite.
        else "e.roles LIKE '%\"kepala_unit\"%'"
    )
    # A subquery per unit on the path (rather than a join) keeps the planner on the unit index:
    # a join over the CTE's few rows was planned as a scan of every employee.
    rows = await Unit.raw(
        f"""{_UP_FROM_EMPLOYEE}
        SELECT head FROM (
            SELECT up.depth, (
                SELECT e.id FROM org_employee e
                WHERE e.unit = up.id AND e.active AND e.id <> {{}} AND {is_head}
                ORDER BY e.id LIMIT 1
            ) AS head FROM up
        ) AS heads WHERE head IS NOT NULL ORDER BY depth LIMIT 1""",
        employee_id,
        employee_id,
    )
    return rows[0]["head"] if rows else None


async def employee_id_by_nip(nip: str) -> int | None:
    row = await Employee.select(Employee.id).where(Employee.nip == nip).first()
    return row["id"] if row else None


async def holidays_between(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The holidays and cuti bersama in [start, end]: date -> name."""
    rows = await Holiday.select(Holiday.date, Holiday.name).where(
        (Holiday.date >= start) & (Holiday.date <= end)
    )
    return {row["date"]: row["name"] for row in rows}


async def employee_unit(employee_id: int) -> int | None:
    row = await Employee.select(Employee.unit).where(Employee.id == employee_id).first()
    return row["unit"] if row else None


async def employees_by_nip(nips: list[str]) -> dict[str, int]:
    """Ids of the active employees with these NIPs (an import's staff lists); bounded by the list."""
    if not nips:
        return {}
    rows = await Employee.select(Employee.id, Employee.nip).where(
        Employee.nip.is_in(sorted(set(nips))) & (Employee.active == True)  # noqa: E712
    )
    return {row["nip"]: row["id"] for row in rows}


# --- what the board reads (backend/board): bounded by the unit count or one subtree --------------


async def unit_nodes() -> list[UnitNode]:
    """Every unit with its parent (a few hundred rows for a regency)."""
    rows = await Unit.select(
        Unit.id, Unit.code, Unit.name, Unit.kind, Unit.timezone, Unit.parent
    ).order_by(Unit.id)
    return [msgspec.convert(row, UnitNode) for row in rows]


async def scheduled_groups() -> list[ScheduledGroup]:
    """Active staff counted per unit and schedule, in one grouped query: a unit's staff
    expected on a day follow from its rows without reading any employee."""
    rows = await Employee.raw(
        "SELECT e.unit AS unit, e.schedule AS schedule, COUNT(*) AS staff FROM org_employee e"
        " WHERE e.active GROUP BY e.unit, e.schedule"
    )
    schedules = {
        row["id"]: row["days"]
        for row in await Schedule.select(Schedule.id, Schedule.days).output(load_json=True)
    }
    return [
        ScheduledGroup(
            unit=row["unit"], days=schedules.get(row["schedule"]) or {}, staff=row["staff"]
        )
        for row in rows
    ]


async def _staff(where: Any, *, by_name: bool) -> list[StaffRef]:
    """The board's view of employees: who, where, and their working hours ({} for none)."""
    query = Employee.select(
        Employee.id,
        Employee.nip,
        Employee.name,
        Employee.unit,
        Employee.position,
        Employee.schedule.days.as_alias("days"),
    ).where(where)
    if by_name:
        query = query.order_by(Employee.name)
    rows = await query.output(load_json=True)
    return [msgspec.convert({**row, "days": row["days"] or {}}, StaffRef) for row in rows]


async def staff_of(unit_ids: list[int]) -> list[StaffRef]:
    """Active staff of these units (a head's subtree), by name."""
    if not unit_ids:
        return []
    return await _staff(Employee.unit.is_in(unit_ids) & Employee.active.eq(True), by_name=True)


async def staff_by_id(employee_ids: list[int]) -> dict[int, StaffRef]:
    if not employee_ids:
        return {}
    return {s.id: s for s in await _staff(Employee.id.is_in(employee_ids), by_name=False)}


async def heads_of(unit_id: int) -> list[int]:
    """The active heads (kepala_unit) of one unit; none when it has no head of its own."""
    rows = await Employee.select(Employee.id, Employee.roles).where(
        (Employee.unit == unit_id) & Employee.active.eq(True)
    )
    return sorted(row["id"] for row in rows if "kepala_unit" in row["roles"])


async def unit_ids_by_code() -> dict[str, int]:
    """Every unit's id by its code (an import matching rows to units; a few hundred rows)."""
    return {row["code"]: row["id"] for row in await Unit.select(Unit.code, Unit.id)}


async def working_hours_of(employee_ids: list[int]) -> list[tuple[int, dict[str, list[str]], str]]:
    """(id, working hours per ISO weekday, the unit's time zone) of those active employees with
    a schedule, among `employee_ids` (the subscribed ones, for reminders)."""
    if not employee_ids:
        return []
    rows = await (
        Employee.select(Employee.id, Employee.schedule.days, Employee.unit.timezone)
        .where(
            Employee.active.eq(True)
            & Employee.schedule.is_not_null()
            & Employee.id.is_in(sorted(set(employee_ids)))
        )
        .output(load_json=True)
    )
    return [
        (row["id"], row["schedule.days"] or {}, row["unit.timezone"] or "Asia/Jakarta")
        for row in rows
    ]


async def unit_by_code(code: str) -> UnitNode | None:
    row = (
        await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.timezone, Unit.parent)
        .where(Unit.code == code)
        .first()
    )
    return msgspec.convert(row, UnitNode) if row else None


async def employees_with_role(role: str, *, limit: int = 50) -> list[int]:
    """Active employees holding `role`, fewest ids first: who is told of machine alerts (a dark
    camera) when nobody more specific is responsible. Bounded: a Pemda has a handful of admins."""
    rows = await (
        Employee.select(Employee.id)
        .where(Employee.active.eq(True) & Employee.roles.any(role))
        .order_by(Employee.id)
        .limit(limit)
    )
    return [row["id"] for row in rows]


# --- an admin's account changes -------------------------------------------------------------------


class Accounts:
    """An admin changes an employee (active, roles, unit, name, position, schedule) or resets
    their password. Each change is audited with the employee before and after, in the change's
    transaction; a change of active, roles or unit raises the token version, which ends every
    session of the employee (their tokens carry roles and unit)."""

    ENDS_SESSIONS = ("active", "roles", "unit")

    def __init__(
        self,
        transaction: Callable[[], contextlib.AbstractAsyncContextManager[None]],
        *,
        reference_keys: Callable[[str], Awaitable[list[str]]] | None = None,
    ):
        self._transaction = transaction
        self._reference_keys = reference_keys

    async def trail(self, nip: str, limit: int, cursor: str | None) -> AuditPage:
        """The employee's audit trail, their face references' entries included."""
        return await employee_trail(nip, limit, cursor, reference_keys=self._reference_keys)

    async def update(self, who: Principal, nip: str, patch: EmployeePatch) -> EmployeeAccount:
        changes = {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not UNSET}
        if not changes:
            raise Invalid("Tidak ada yang diubah: kirim minimal satu isian")
        if "roles" in changes:
            changes["roles"] = _roles(changes["roles"])
        if nip == who.nip and (
            changes.get("active") is False or "admin" not in changes.get("roles", ["admin"])
        ):
            raise Invalid(
                "Anda tidak dapat menonaktifkan akun sendiri atau mencabut peran admin sendiri"
            )
        async with self._transaction():
            before = await _account(nip, lock=True)
            values: dict[Any, Any] = {}
            if "unit" in changes:
                unit = await Unit.select(Unit.id).where(Unit.code == changes["unit"]).first()
                if unit is None:
                    raise Invalid(f"unit: kode unit '{changes['unit']}' tidak dikenal")
                values[Employee.unit] = unit["id"]
            if "schedule" in changes:
                code = changes["schedule"]
                schedule = (
                    await Schedule.select(Schedule.id).where(Schedule.code == code).first()
                    if code
                    else {"id": None}
                )
                if schedule is None:
                    raise Invalid(f"schedule: kode jadwal '{code}' tidak dikenal")
                values[Employee.schedule] = schedule["id"]
            for field in ("active", "roles", "name", "position"):
                if field in changes:
                    values[Employee._meta.get_column_by_name(field)] = changes[field]
            ends = any(
                field in changes and changes[field] != getattr(before, field)
                for field in self.ENDS_SESSIONS
            )
            if ends:
                values[Employee.token_version] = Employee.token_version + 1
            await Employee.update(values).where(Employee.nip == nip)
            after = await _account(nip)
            if after != before:
                await audit.record(
                    actor=who.nip,
                    action="employee.update",
                    target="org_employee",
                    target_key=nip,
                    before=msgspec.to_builtins(before),
                    after=msgspec.to_builtins(after),
                )
        return after

    async def reset_password(self, who: Principal, nip: str) -> PasswordReset:
        """A new one-time password, returned once; the employee's sessions end and the next
        login asks for a new password."""
        if nip == who.nip:
            raise Forbidden("Kata sandi sendiri diganti lewat 'Ganti kata sandi', bukan direset")
        password = initial_password()
        async with self._transaction():
            before = await _account(nip, lock=True)
            await Employee.update(
                {
                    Employee.password_hash: hash_initial(password),
                    Employee.must_change_password: True,
                    Employee.token_version: Employee.token_version + 1,
                }
            ).where(Employee.nip == nip)
            after = await _account(nip)
            await audit.record(
                actor=who.nip,
                action="employee.password_reset",
                target="org_employee",
                target_key=nip,
                before=msgspec.to_builtins(before),
                after=msgspec.to_builtins(after),
            )
        return PasswordReset(nip=nip, one_time_password=password)


def _roles(roles: list[str]) -> list[str]:
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise Invalid(f"roles: peran '{unknown[0]}' tidak dikenal; yang ada: {', '.join(ROLES)}")
    if "asn" not in roles:
        raise Invalid("roles: setiap pegawai berperan 'asn'")
    return [role for role in ROLES if role in roles]  # one order, no repeats


async def _account(nip: str, *, lock: bool = False) -> EmployeeAccount:
    parse_nip(nip)
    query = Employee.select(
        Employee.nip,
        Employee.name,
        Employee.unit.code.as_alias("unit"),
        Employee.schedule.code.as_alias("schedule"),
        Employee.roles,
        Employee.position,
        Employee.active,
        Employee.must_change_password,
        Employee.token_version,
    ).where(Employee.nip == nip)
    if lock and Employee._meta.db.engine_type == "postgres":
        query = query.lock_rows("NO KEY UPDATE", of=(Employee,))
    row = await query.first()
    if row is None:
        raise NotFound(f"Pegawai dengan NIP {nip} tidak ditemukan")
    return msgspec.convert(row, EmployeeAccount)


# --- finding an employee, and their audit trail -------------------------------------------------

# What an employee's trail gathers: their account and their face references (keyed by NIP).
TRAIL_TARGETS = ("org_employee", "faces_reference")


def _id_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit() or not 0 < int(cursor) < 2**31:
        raise Invalid("cursor tidak sah; mulai lagi dari halaman pertama")
    return int(cursor)


async def search_employees(q: str, limit: int, cursor: str | None) -> EmployeePage:
    """Employees whose NIP starts with `q` (digits) or whose name contains it, by id; every
    employee when `q` is empty. Inactive ones too: the screen reactivates them."""
    after = _id_cursor(cursor)
    query = Employee.select(
        Employee.id,
        Employee.nip,
        Employee.name,
        Employee.unit.code.as_alias("unit"),
        Employee.unit.name.as_alias("unit_name"),
        Employee.schedule.code.as_alias("schedule"),
        Employee.roles,
        Employee.position,
        Employee.active,
        Employee.must_change_password,
    )
    text = q.strip()
    if text.isdigit():
        query = query.where(Employee.nip.like(f"{text}%"))
    elif text:
        query = query.where(contains(Employee.name, text))
    if after is not None:
        query = query.where(Employee.id > after)
    rows = await query.order_by(Employee.id).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return EmployeePage(
        items=[msgspec.convert(row, EmployeeListed) for row in rows],
        next_cursor=str(rows[-1]["id"]) if more else None,
    )


async def employee_trail(
    nip: str,
    limit: int,
    cursor: str | None,
    *,
    reference_keys: Callable[[str], Awaitable[list[str]]] | None = None,
) -> AuditPage:
    """Who changed the employee's account or face references, when, before and after; newest
    first. 404 for an unknown NIP (a removed employee's trail is read in core_audit itself).

    `reference_keys` (the faces domain's, wired in backend/services.py) names the employee's
    reference photos whose entries are keyed by their id (the review desk's enrolments)."""
    await _account(nip)
    employee_id = await employee_id_by_nip(nip)
    # Piccolo Admin (/admin/) keys an employee's row by its id.
    also = [("org_employee", [str(employee_id)])]
    if reference_keys is not None:
        also.append(("faces_reference", await reference_keys(nip)))
    rows = await audit.trail(
        nip, TRAIL_TARGETS, limit=limit, before_id=_id_cursor(cursor), also=also
    )
    more = len(rows) > limit
    rows = rows[:limit]
    actors = {
        row["nip"]: row["name"]
        for row in await Employee.select(Employee.nip, Employee.name).where(
            Employee.nip.is_in(sorted({r["actor"] for r in rows}) or [""])
        )
    }
    return AuditPage(
        items=[
            AuditItem(
                id=row["id"],
                at=row["at"],
                actor=row["actor"],
                actor_name=actors.get(row["actor"]),
                action=row["action"],
                target=row["target"],
                target_key=row["target_key"],
                before=row["before"],
                after=row["after"],
            )
            for row in rows
        ],
        next_cursor=str(rows[-1]["id"]) if more else None,
    )
