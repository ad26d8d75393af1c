"""Bulk import of the org's master data: units, employees, schedules, holidays.

Each importer checks every row with the rules below (plain functions, unit-tested), compares the
good ones with what is stored, and on apply writes the new and changed ones with a few bulk
statements (INSERT ... ON CONFLICT DO UPDATE, 500 rows each) inside one transaction. A row equal
to what is stored is not written at all, so re-importing a file changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from piccolo.columns import Column as DbColumn
from piccolo.table import Table

from backend.core.auth import ROLES, hash_initial, initial_password
from backend.core.errors import Invalid
from backend.imports.schemas import InitialPassword, Outcome, Refusal
from backend.imports.sheets import Column, SheetRow, inexact_number, parse_date, text
from backend.org.service import MAX_UNIT_DEPTH, parse_nip
from backend.org.tables import Employee, Holiday, Schedule, Unit

# Rows per INSERT ... ON CONFLICT: 500 x 12 columns stays well under both drivers' limits.
CHUNK = 500
NAME_MAX = 200

Transaction = Callable[[], contextlib.AbstractAsyncContextManager[None]]


class RowCheck:
    """Collects every wrong column of a row, so BKD fixes a row once, not once per column."""

    def __init__(self, row: SheetRow) -> None:
        self.row = row
        self.refused: list[Refusal] = []

    def take(self, column: Column, read: Callable[[Any], Any]) -> Any:
        try:
            return read(self.row.values.get(column.key))
        except (Invalid, ValueError) as exc:
            reason = exc.detail if isinstance(exc, Invalid) else str(exc)
            self.refused.append(Refusal(self.row.number, column.label, reason))
        return None

    def refuse(self, column: Column, reason: str) -> None:
        self.refused.append(Refusal(self.row.number, column.label, reason))


def present(column: Column, rows: Sequence[SheetRow]) -> bool:
    """Whether the file has this (optional) column at all: an absent column changes nothing."""
    return bool(rows) and column.key in rows[0].values


def required_text(label: str, limit: int) -> Callable[[Any], str]:
    def read(cell: Any) -> str:
        value = text(cell)
        if not value:
            raise ValueError(f"{label} kosong")
        if len(value) > limit:
            raise ValueError(f"{label} terlalu panjang ({len(value)} huruf, paling banyak {limit})")
        return value

    return read


def optional_text(label: str, limit: int) -> Callable[[Any], str]:
    def read(cell: Any) -> str:
        value = text(cell)
        if len(value) > limit:
            raise ValueError(f"{label} terlalu panjang ({len(value)} huruf, paling banyak {limit})")
        return value

    return read


def duplicate(seen: dict[Any, int], key: Any, row: int, what: str) -> str | None:
    """The reason a row repeats an earlier one of the same file (the first one counts)."""
    first = seen.setdefault(key, row)
    return None if first == row else f"{what} sama dengan baris {first} di berkas ini"


# Rows written at once beyond which PostgreSQL's statistics are refreshed (see `upsert`).
ANALYZE_AFTER = 1_000


async def upsert(
    table: type[Table], rows: list[Table], target: DbColumn, update: Sequence[DbColumn]
) -> None:
    for start in range(0, len(rows), CHUNK):
        await table.insert(*rows[start : start + CHUNK]).on_conflict(
            target=target, action="DO UPDATE", values=list(update)
        )
    await analyze_if_grown(table, len(rows))


async def analyze_if_grown(table: type[Table], written: int) -> None:
    """After a bulk load, refresh PostgreSQL's statistics of the table at once (tens of ms):
    planned with the counts of a nearly empty table, the next lookups by NIP scanned all 20,000
    rows per chunk (a re-import took 25 s instead of 3 s) until autovacuum came round."""
    if written >= ANALYZE_AFTER and table._meta.db.engine_type == "postgres":
        await table.raw(f"ANALYZE {table._meta.tablename}")


async def rows_where_in(
    table: type[Table], column: DbColumn, values: Sequence[Any], *columns: DbColumn
) -> list[dict]:
    """The rows whose `column` is one of `values`, read in chunks (bounded by the file)."""
    found: list[dict] = []
    values = list(dict.fromkeys(values))
    for start in range(0, len(values), CHUNK):
        found += await table.select(*columns).where(column.is_in(values[start : start + CHUNK]))
    return found


# --- units ---------------------------------------------------------------------------------------

UNIT_CODE = Column(
    "code",
    "Kode Unit",
    ("kode unit", "kode unit kerja", "kode satker", "kode unor", "kode"),
    required=True,
)
UNIT_NAME = Column(
    "name",
    "Nama Unit",
    (
        "nama unit",
        "nama unit kerja",
        "unit kerja",
        "unit organisasi",
        "nama unor",
        "nama satker",
        "nama",
    ),
    required=True,
)
UNIT_KIND = Column("kind", "Jenis Unit", ("jenis unit", "jenis", "tipe unit"))
UNIT_PARENT = Column(
    "parent", "Kode Induk", ("kode induk", "kode unit induk", "induk", "unit induk", "kode atasan")
)
UNIT_TIMEZONE = Column("timezone", "Zona Waktu", ("zona waktu", "zona", "timezone"))
UNIT_REGION = Column(
    "kode_wilayah", "Kode Wilayah", ("kode wilayah", "kode kemendagri", "kode desa")
)

UNIT_KINDS = {
    "pemda": "pemda",
    "pemerintah daerah": "pemda",
    "opd": "opd",
    "dinas": "opd",
    "badan": "opd",
    "kantor": "opd",
    "sekretariat": "opd",
    "kecamatan": "opd",
    "school": "school",
    "sekolah": "school",
    "desa": "desa",
    "kelurahan": "desa",
    "mpp": "mpp",
    "mal pelayanan publik": "mpp",
}
ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}


def unit_code(cell: Any) -> str:
    value = text(cell).upper()
    if not value:
        raise ValueError("Kode unit kosong")
    if len(value) > 40:
        raise ValueError(f"Kode unit terlalu panjang ({len(value)} huruf, paling banyak 40)")
    return value


def unit_kind(cell: Any) -> str:
    value = " ".join(text(cell).lower().replace("_", " ").split())
    if not value:
        return "opd"
    if value not in UNIT_KINDS:
        raise ValueError(
            f"Jenis unit '{text(cell)}' tidak dikenal; pakai pemda, opd, sekolah, desa atau mpp"
        )
    return UNIT_KINDS[value]


def timezone(cell: Any) -> str:
    value = text(cell)
    if not value:
        return "Asia/Jakarta"
    if value.lower() in ZONES:
        return ZONES[value.lower()]
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Zona waktu '{value}' tidak dikenal; pakai WIB, WITA atau WIT") from None
    return value


class UnitImporter:
    columns = (UNIT_CODE, UNIT_NAME, UNIT_KIND, UNIT_PARENT, UNIT_TIMEZONE, UNIT_REGION)

    def __init__(self, transaction: Transaction) -> None:
        self.transaction = transaction

    async def run(self, rows: list[SheetRow], *, apply: bool) -> Outcome:
        outcome = Outcome(refused=[])
        has = {c.key: present(c, rows) for c in self.columns}
        seen: dict[str, int] = {}
        good: dict[str, tuple[int, dict[str, Any], str | None]] = {}
        for row in rows:
            check = RowCheck(row)
            code = check.take(UNIT_CODE, unit_code)
            values = {
                "name": check.take(UNIT_NAME, required_text("Nama unit", NAME_MAX)),
                "kind": check.take(UNIT_KIND, unit_kind),
                "timezone": check.take(UNIT_TIMEZONE, timezone),
                "kode_wilayah": check.take(UNIT_REGION, optional_text("Kode wilayah", 20)),
            }
            parent = text(row.values.get("parent")).upper() or None
            if code and (again := duplicate(seen, code, row.number, "Kode unit")):
                check.refuse(UNIT_CODE, again)
            if code and parent == code:
                check.refuse(UNIT_PARENT, "Unit tidak boleh menjadi induk dirinya sendiri")
            if check.refused:
                outcome.refused += check.refused
                continue
            good[code] = (row.number, values, parent)
        stored = {
            r["code"]: r
            for r in await rows_where_in(
                Unit,
                Unit.code,
                [*good, *(p for _, _, p in good.values() if p)],
                Unit.id,
                Unit.code,
                Unit.name,
                Unit.kind,
                Unit.timezone,
                Unit.kode_wilayah,
                Unit.parent.code.as_alias("parent_code"),
            )
        }
        # Parents: in the file (refused ones do not count) or already stored; no cycles.
        parents = {code: r["parent_code"] for code, r in stored.items()}
        if has["parent"]:
            parents |= {code: parent for code, (_, _, parent) in good.items()}
        for code, (number, _, parent) in list(good.items()):
            if has["parent"] and parent and parent not in good and parent not in stored:
                outcome.refused.append(
                    Refusal(number, UNIT_PARENT.label, f"Unit induk '{parent}' tidak dikenal")
                )
                del good[code]
            elif _cycles(code, parents):
                outcome.refused.append(
                    Refusal(
                        number,
                        UNIT_PARENT.label,
                        f"Induk '{parent}' membuat lingkaran: unit ini berada di bawah dirinya sendiri",
                    )
                )
                del good[code]
        writes: list[Unit] = []
        parent_of: dict[str, str | None] = {}
        for code, (_, values, parent) in good.items():
            old = stored.get(code)
            if old is not None:
                values = {k: (v if has[k] else old[k]) for k, v in values.items()}
            new_parent = parent if has["parent"] else (old or {}).get("parent_code")
            if (
                old is not None
                and all(old[k] == v for k, v in values.items())
                and (old["parent_code"] == new_parent)
            ):
                outcome.unchanged += 1
                continue
            if old is None:
                outcome.created += 1
            else:
                outcome.updated += 1
            writes.append(Unit(code=code, **values))
            parent_of[code] = new_parent
        if apply and writes:
            async with self.transaction():
                await upsert(
                    Unit,
                    writes,
                    Unit.code,
                    [Unit.name, Unit.kind, Unit.timezone, Unit.kode_wilayah],
                )
                ids = {
                    r["code"]: r["id"]
                    for r in await rows_where_in(
                        Unit,
                        Unit.code,
                        [*parent_of, *filter(None, parent_of.values())],
                        Unit.id,
                        Unit.code,
                    )
                }
                for code, parent in parent_of.items():
                    await Unit.update({Unit.parent: ids.get(parent) if parent else None}).where(
                        Unit.code == code
                    )
        return outcome


def _cycles(code: str, parents: dict[str, str | None]) -> bool:
    current: str | None = parents.get(code)
    for _ in range(MAX_UNIT_DEPTH):
        if current is None:
            return False
        if current == code:
            return True
        current = parents.get(current)
    return True


# --- employees -----------------------------------------------------------------------------------

EMP_NIP = Column(
    "nip",
    "NIP",
    (
        "nip baru",
        "nip",
        "nip 18 digit",
        "nip nippk",
        "nip nipppk",
        "nip ni pppk",
        "ni pppk",
        "nomor induk pegawai",
    ),
    required=True,
)
EMP_NAME = Column(
    "name", "Nama", ("nama lengkap", "nama pegawai", "nama", "nama asn"), required=True
)
EMP_UNIT = Column(
    "unit",
    "Unit Kerja",
    (
        "kode unit",
        "kode unit kerja",
        "unit kerja",
        "unit organisasi",
        "unor",
        "satuan kerja",
        "satker",
        "opd",
        "unit",
    ),
    required=True,
)
EMP_POSITION = Column("position", "Jabatan", ("jabatan", "nama jabatan", "jabatan terakhir"))
EMP_KIND = Column(
    "kind",
    "Jenis Pegawai",
    ("jenis pegawai", "status pegawai", "jenis asn", "status kepegawaian", "kedudukan"),
)
EMP_ROLES = Column("roles", "Peran", ("peran", "role", "roles", "hak akses"))
EMP_SCHEDULE = Column("schedule", "Jadwal", ("kode jadwal", "jadwal", "jadwal kerja"))
EMP_ACTIVE = Column("active", "Aktif", ("aktif", "status aktif"))

# Roles an import may give. `admin` is given by an admin on the account itself, never by a file
# that a bkd officer may upload.
IMPORT_ROLES = tuple(r for r in ROLES if r != "admin")
YES = {"ya", "y", "aktif", "1", "true", "benar"}
NO = {"tidak", "t", "n", "no", "nonaktif", "tidak aktif", "0", "false", "salah"}


def nip(cell: Any) -> str:
    if inexact_number(cell):
        raise ValueError(
            f"NIP tersimpan sebagai angka di Excel sehingga angka terakhirnya hilang (terbaca "
            f"{text(cell)}); ubah format kolom NIP menjadi Teks lalu isi ulang"
        )
    # Often written in groups: "19920514 201904 2 003".
    value = "".join(text(cell).split())
    if not value:
        raise ValueError("NIP kosong")
    parse_nip(value)
    return value


def employee_kind(cell: Any) -> bool | None:
    """True for PPPK, False for PNS, None when not said."""
    value = text(cell).upper().replace(" ", "")
    if not value:
        return None
    if value in ("PNS", "CPNS"):
        return False
    if value in ("PPPK", "P3K"):
        return True
    raise ValueError(f"Jenis Pegawai '{text(cell)}' harus PNS atau PPPK")


def roles(cell: Any) -> list[str] | None:
    words = [w.strip().lower().replace(" ", "_") for w in re.split(r"[,;/]", text(cell))]
    words = [w for w in words if w]
    if not words:
        return None
    if "admin" in words:
        raise ValueError("Peran admin tidak diberikan lewat impor; admin memberikannya di akun")
    unknown = [w for w in words if w not in IMPORT_ROLES]
    if unknown:
        raise ValueError(
            f"Peran '{', '.join(unknown)}' tidak dikenal; yang ada: {', '.join(IMPORT_ROLES)}"
        )
    return list(dict.fromkeys(words))


def active(cell: Any) -> bool | None:
    value = text(cell).lower()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"Aktif '{text(cell)}' harus ya atau tidak")


class Directory:
    """Units and schedules by code, and units by name (unique names only)."""

    def __init__(self, units: list[dict], schedules: list[dict]) -> None:
        self.unit_codes = {u["code"].upper(): u for u in units}
        self.unit_names: dict[str, list[dict]] = {}
        for u in units:
            self.unit_names.setdefault(u["name"].lower(), []).append(u)
        self.schedules = {s["code"].upper(): s["id"] for s in schedules}
        self.schedules |= {s["name"].lower(): s["id"] for s in schedules}

    def unit(self, cell: Any) -> dict:
        value = text(cell)
        if not value:
            raise ValueError("Unit kosong")
        if (found := self.unit_codes.get(value.upper())) is not None:
            return found
        named = self.unit_names.get(value.lower(), [])
        if len(named) > 1:
            raise ValueError(f"Nama unit '{value}' dipakai {len(named)} unit; tulis kode unitnya")
        if not named:
            raise ValueError(
                f"Unit '{value}' tidak dikenal (tidak ada kode atau nama unit itu); impor unitnya dulu"
            )
        return named[0]

    def schedule(self, cell: Any) -> int | None:
        value = text(cell)
        if not value:
            return None
        found = self.schedules.get(value.upper(), self.schedules.get(value.lower()))
        if found is None:
            raise ValueError(f"Jadwal '{value}' tidak dikenal; impor jadwalnya dulu")
        return found


EMPLOYEE_FIELDS = ("name", "unit", "position", "schedule", "roles", "active")


class EmployeeImporter:
    columns = (
        EMP_NIP,
        EMP_NAME,
        EMP_UNIT,
        EMP_POSITION,
        EMP_KIND,
        EMP_ROLES,
        EMP_SCHEDULE,
        EMP_ACTIVE,
    )

    def __init__(self, transaction: Transaction) -> None:
        self.transaction = transaction

    async def run(self, rows: list[SheetRow], *, apply: bool) -> Outcome:
        outcome = Outcome(refused=[], passwords=[])
        has = {c.key: present(c, rows) for c in self.columns}
        # Units and schedules are a few thousand rows at most in a regency: read once.
        directory = Directory(
            await Unit.select(Unit.id, Unit.code, Unit.name),
            await Schedule.select(Schedule.id, Schedule.code, Schedule.name),
        )
        seen: dict[str, int] = {}
        good: dict[str, dict[str, Any]] = {}
        unit_codes: dict[str, str] = {}
        unit_names: dict[str, str] = {}
        for row in rows:
            check = RowCheck(row)
            number = check.take(EMP_NIP, nip)
            unit = check.take(EMP_UNIT, directory.unit)
            values = {
                "name": check.take(EMP_NAME, required_text("Nama", NAME_MAX)),
                "unit": unit["id"] if unit else None,
                "position": check.take(EMP_POSITION, optional_text("Jabatan", NAME_MAX)),
                "schedule": check.take(EMP_SCHEDULE, directory.schedule),
                "roles": check.take(EMP_ROLES, roles),
                "active": check.take(EMP_ACTIVE, active),
            }
            pppk = check.take(EMP_KIND, employee_kind)
            if number:
                if again := duplicate(seen, number, row.number, "NIP"):
                    check.refuse(EMP_NIP, again)
                elif pppk is not None and pppk != parse_nip(number).pppk:
                    check.refuse(
                        EMP_KIND,
                        "Jenis Pegawai PPPK tetapi NIP berformat PNS (angka ke-13 s.d. 14 bukan 21)"
                        if pppk
                        else "Jenis Pegawai PNS tetapi NIP berformat PPPK (angka ke-13 s.d. 14 = 21)",
                    )
            if check.refused:
                outcome.refused += check.refused
                continue
            good[number] = values
            unit_codes[number] = unit["code"]
            unit_names[number] = unit["name"]
        stored = {
            r["nip"]: r
            for r in await rows_where_in(
                Employee,
                Employee.nip,
                list(good),
                Employee.nip,
                *(getattr(Employee, f) for f in EMPLOYEE_FIELDS),
            )
        }
        writes: list[Employee] = []
        revoked: list[str] = []
        now = dt.datetime.now(dt.UTC)
        for number, values in good.items():
            old = stored.get(number)
            final = {
                "name": values["name"],
                "unit": values["unit"],
                # An absent column (or an empty cell of roles/schedule/active) keeps what is stored.
                "position": values["position"]
                if has["position"]
                else (old or {}).get("position", ""),
                "schedule": _kept(values, old, "schedule", has, None),
                "roles": _kept(values, old, "roles", has, ["asn"]),
                "active": _kept(values, old, "active", has, True),
            }
            if old is not None:
                if all(old[f] == final[f] for f in EMPLOYEE_FIELDS):
                    outcome.unchanged += 1
                    continue
                outcome.updated += 1
                if old["roles"] != final["roles"] or (old["active"] and not final["active"]):
                    revoked.append(number)
                writes.append(Employee(nip=number, password_hash="", **final))
                continue
            outcome.created += 1
            password = initial_password() if apply else ""
            writes.append(
                Employee(
                    nip=number,
                    password_hash=hash_initial(password) if apply else "",
                    must_change_password=True,
                    created_at=now,
                    **final,
                )
            )
            if apply:
                outcome.passwords.append(
                    InitialPassword(
                        nip=number,
                        name=final["name"],
                        unit=unit_codes[number],
                        password=password,
                        unit_name=unit_names[number],
                    )
                )
        if apply and writes:
            async with self.transaction():
                # Only the directory's columns: a stored password, its flag and the creation
                # time are never touched by a re-import.
                await upsert(
                    Employee,
                    writes,
                    Employee.nip,
                    [getattr(Employee, f) for f in EMPLOYEE_FIELDS],
                )
                # New roles or a deactivation end the employee's sessions at once.
                for start in range(0, len(revoked), CHUNK):
                    await Employee.update(
                        {Employee.token_version: Employee.token_version + 1}
                    ).where(Employee.nip.is_in(revoked[start : start + CHUNK]))
        return outcome


def _kept(values: dict, old: dict | None, field: str, has: dict[str, bool], default: Any) -> Any:
    if has[field] and values[field] is not None:
        return values[field]
    return old[field] if old is not None else default


# --- schedules ---------------------------------------------------------------------------------

DAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")
SCHED_CODE = Column("code", "Kode Jadwal", ("kode jadwal", "kode"), required=True)
SCHED_NAME = Column("name", "Nama Jadwal", ("nama jadwal", "nama"), required=True)
SCHED_KIND = Column("kind", "Jenis Jadwal", ("jenis jadwal", "jenis"))
SCHED_DAYS = tuple(
    Column(day, day.capitalize(), (day, f"jam {day}", "jum at" if day == "jumat" else day))
    for day in DAYS
)
SCHEDULE_KINDS = {
    "five_day": "five_day",
    "5 hari": "five_day",
    "lima hari": "five_day",
    "5hk": "five_day",
    "six_day": "six_day",
    "6 hari": "six_day",
    "enam hari": "six_day",
    "6hk": "six_day",
    "shift": "shift",
}
_WINDOW = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:-|–|s/?d|sampai)\s*(\d{1,2})[:.](\d{2})")


def window(cell: Any) -> list[str] | None:
    """`07:30-16:00` (or `07.30 - 16.00`, `07:30 s/d 16:00`); empty or `libur`: no work."""
    value = text(cell).lower()
    if not value or value in ("libur", "-", "off"):
        return None
    match = _WINDOW.fullmatch(value)
    if match is None:
        raise ValueError(f"Jam '{text(cell)}' tidak terbaca; tulis seperti 07:30-16:00")
    hours = [int(match[1]), int(match[2]), int(match[3]), int(match[4])]
    if hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
        raise ValueError(f"Jam '{text(cell)}' bukan jam yang ada")
    start, end = f"{hours[0]:02d}:{hours[1]:02d}", f"{hours[2]:02d}:{hours[3]:02d}"
    if start == end:
        raise ValueError(f"Jam mulai dan selesai sama ({start})")
    return [start, end]


def schedule_kind(cell: Any) -> str:
    value = " ".join(text(cell).lower().replace("_", " ").split())
    if not value:
        return "five_day"
    kind = SCHEDULE_KINDS.get(value, SCHEDULE_KINDS.get(value.replace(" ", "_")))
    if kind is None:
        raise ValueError(
            f"Jenis jadwal '{text(cell)}' tidak dikenal; pakai 5 hari, 6 hari atau shift"
        )
    return kind


class ScheduleImporter:
    columns = (SCHED_CODE, SCHED_NAME, SCHED_KIND, *SCHED_DAYS)

    def __init__(self, transaction: Transaction) -> None:
        self.transaction = transaction

    async def run(self, rows: list[SheetRow], *, apply: bool) -> Outcome:
        outcome = Outcome(refused=[])
        seen: dict[str, int] = {}
        good: dict[str, dict[str, Any]] = {}
        for row in rows:
            check = RowCheck(row)
            code = check.take(SCHED_CODE, unit_code)
            values = {
                "name": check.take(SCHED_NAME, required_text("Nama jadwal", NAME_MAX)),
                "kind": check.take(SCHED_KIND, schedule_kind),
            }
            days = {
                str(number): hours
                for number, column in enumerate(SCHED_DAYS, start=1)
                if (hours := check.take(column, window))
            }
            if code and (again := duplicate(seen, code, row.number, "Kode jadwal")):
                check.refuse(SCHED_CODE, again)
            if not check.refused and not days:
                check.refuse(
                    SCHED_DAYS[0], "Tidak ada hari kerja: isi jam pada kolom Senin s.d. Minggu"
                )
            if check.refused:
                outcome.refused += check.refused
                continue
            good[code] = {**values, "days": days}
        stored = {
            r["code"]: r
            for r in await Schedule.select(
                Schedule.code, Schedule.name, Schedule.kind, Schedule.days
            )
            .where(Schedule.code.is_in(list(good) or [""]))
            .output(load_json=True)
        }
        writes = []
        for code, values in good.items():
            old = stored.get(code)
            if old is not None and all(old[k] == v for k, v in values.items()):
                outcome.unchanged += 1
                continue
            outcome.created += old is None
            outcome.updated += old is not None
            writes.append(Schedule(code=code, **values))
        if apply and writes:
            async with self.transaction():
                await upsert(
                    Schedule, writes, Schedule.code, [Schedule.name, Schedule.kind, Schedule.days]
                )
        return outcome


# --- holidays ----------------------------------------------------------------------------------

HOL_DATE = Column("date", "Tanggal", ("tanggal", "tgl", "tanggal libur"), required=True)
HOL_NAME = Column(
    "name",
    "Keterangan",
    ("keterangan", "nama libur", "nama", "hari libur", "uraian"),
    required=True,
)
HOL_KIND = Column("kind", "Jenis", ("jenis", "jenis libur"))
HOLIDAY_KINDS = {
    "libur nasional": "libur_nasional",
    "libur": "libur_nasional",
    "nasional": "libur_nasional",
    "libur daerah": "libur_nasional",
    "cuti bersama": "cuti_bersama",
}


def holiday_kind(cell: Any) -> str:
    value = " ".join(text(cell).lower().replace("_", " ").split())
    if not value:
        return "libur_nasional"
    if value not in HOLIDAY_KINDS:
        raise ValueError(f"Jenis '{text(cell)}' harus libur nasional atau cuti bersama")
    return HOLIDAY_KINDS[value]


class HolidayImporter:
    columns = (HOL_DATE, HOL_NAME, HOL_KIND)

    def __init__(self, transaction: Transaction) -> None:
        self.transaction = transaction

    async def run(self, rows: list[SheetRow], *, apply: bool) -> Outcome:
        outcome = Outcome(refused=[])
        seen: dict[dt.date, int] = {}
        good: dict[dt.date, dict[str, Any]] = {}
        for row in rows:
            check = RowCheck(row)
            date = check.take(HOL_DATE, parse_date)
            values = {
                "name": check.take(HOL_NAME, required_text("Keterangan", NAME_MAX)),
                "kind": check.take(HOL_KIND, holiday_kind),
            }
            if date and (again := duplicate(seen, date, row.number, "Tanggal")):
                check.refuse(HOL_DATE, again)
            if check.refused:
                outcome.refused += check.refused
                continue
            good[date] = values
        stored = {
            r["date"]: r
            for r in await rows_where_in(
                Holiday, Holiday.date, list(good), Holiday.date, Holiday.name, Holiday.kind
            )
        }
        writes = []
        for date, values in good.items():
            old = stored.get(date)
            if old is not None and all(old[k] == v for k, v in values.items()):
                outcome.unchanged += 1
                continue
            outcome.created += old is None
            outcome.updated += old is not None
            writes.append(Holiday(date=date, **values))
        if apply and writes:
            async with self.transaction():
                await upsert(Holiday, writes, Holiday.date, [Holiday.name, Holiday.kind])
        return outcome


def importers(transaction: Transaction) -> dict[str, Any]:
    """The org's import kinds, for the imports service."""
    return {
        "units": UnitImporter(transaction),
        "employees": EmployeeImporter(transaction),
        "schedules": ScheduleImporter(transaction),
        "holidays": HolidayImporter(transaction),
    }
