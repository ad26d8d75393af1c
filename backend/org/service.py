"""Employees, units, schedules and holidays: who someone is, where they belong, when they work."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from backend.core.auth import PasswordChecker, Principal
from backend.core.cache import Snapshot
from backend.core.errors import Invalid, Unauthenticated
from backend.org.schemas import NipParts, ScheduleToday, UnitRef, User
from backend.org.tables import Employee, Holiday, Unit

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
    if year > dt.date.today().year:
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
    )
    return principal, _user(row, unit)


def _user(row: dict, unit: UnitRef) -> User:
    return User(
        nip=row["nip"],
        name=row["name"],
        roles=list(row["roles"]),
        unit=unit,
        position=row["position"],
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

    def __init__(self) -> None:
        self.snapshot: Snapshot[dict[int, UnitRef]] = Snapshot(self._load)

    @staticmethod
    async def _load() -> dict[int, UnitRef]:
        rows = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.timezone)
        return {row["id"]: msgspec.convert(row, UnitRef) for row in rows}

    async def timezone(self, unit_id: int) -> ZoneInfo:
        units = await self.snapshot.get()
        unit = units.get(unit_id)
        return ZoneInfo(unit.timezone if unit else "Asia/Jakarta")


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


async def unit_ids_under(unit_id: int) -> set[int]:
    """The unit and every unit below it (a kepala_unit sees these)."""
    rows = await Unit.select(Unit.id, Unit.parent)
    children: dict[int | None, list[int]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row["id"])
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


async def employee_unit(employee_id: int) -> int | None:
    row = await Employee.select(Employee.unit).where(Employee.id == employee_id).first()
    return row["unit"] if row else None
