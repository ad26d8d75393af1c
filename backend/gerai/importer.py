"""Gerai and their services from a CSV or XLSX sheet, as the MPP's manager keeps it.

Columns are found by their header, in any order and case: `Kode Gerai`, `Nama Gerai`,
`Instansi`, `Kode Unit`, `Layanan` (services separated by ';' or new lines), `Jam Layanan`
('Senin-Kamis 08:00-15:00; Jumat 08:00-11:00'), and optionally `Petugas` and `Penyelia` (NIPs
separated by ';') and `Jumlah Pengguna Layanan` (a year's service users). Reading and checking
the shape of each row is here, with no I/O; what needs the database (the unit, the NIPs) is
checked by the service. Kept small and in this domain so it can move onto a shared import
machinery later.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import msgspec

from backend.gerai.rules import Hours, parse_hours

MAX_ROWS = 5_000
REQUIRED = ("kode gerai", "nama gerai", "instansi", "kode unit", "layanan", "jam layanan")
OPTIONAL = ("petugas", "penyelia", "jumlah pengguna layanan")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, no header, a required column missing)."""


class GeraiRow(msgspec.Struct, frozen=True):
    row: int
    code: str
    name: str
    agency: str
    unit_code: str
    services: list[str]
    hours: Hours
    staff: list[str] | None  # None: the column is absent or empty, members are left as they are
    supervisors: list[str] | None
    service_users: int | None


def _header(value: Any) -> str:
    return " ".join(str(value).split()).lower()


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet keeps 2500 as 2500.0
    return str(value if value is not None else "").strip()


def read_table(data: bytes) -> list[list[str]]:
    """Rows of cells (header first) from XLSX/XLS/ODS (by their magic bytes) or CSV text."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0":
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except (CalamineError, ValueError, IndexError) as exc:
            raise ImportFileError(f"Berkas spreadsheet tidak terbaca: {exc}") from None
        return [[_cell(v) for v in row] for row in rows[: MAX_ROWS + 1]]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("Berkas bukan XLSX atau CSV UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    for index, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        if index > MAX_ROWS:
            break
        rows.append([_cell(v) for v in row])
    return rows


def _list(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[;\n]", text) if item.strip()]


def parse_rows(
    table: list[list[str]],
) -> tuple[list[GeraiRow], list[tuple[int, str, str]], list[str]]:
    """(rows whose shape is right, refusals as (row, code, reason), ignored column names)."""
    if not table:
        raise ImportFileError("Berkas kosong: baris pertama harus berisi nama kolom")
    headers = [_header(h) for h in table[0]]
    missing = [name for name in REQUIRED if name not in headers]
    if missing:
        raise ImportFileError("Kolom wajib tidak ada: " + ", ".join(m.title() for m in missing))
    ignored = [table[0][i] for i, h in enumerate(headers) if h and h not in REQUIRED + OPTIONAL]
    if len(table) > MAX_ROWS + 1:
        raise ImportFileError(f"Paling banyak {MAX_ROWS} baris sekali impor")
    good: list[GeraiRow] = []
    refused: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h}
        code = row["kode gerai"]
        try:
            good.append(_row(number, row, seen))
        except ValueError as exc:
            refused.append((number, code, str(exc)))
    return good, refused, ignored


def _row(number: int, row: dict[str, str], seen: dict[str, int]) -> GeraiRow:
    code = row["kode gerai"]
    if not CODE.match(code):
        raise ValueError(
            "Kode Gerai wajib, 1–40 huruf/angka/titik/strip tanpa spasi"
            + (f" ('{code[:40]}')" if code else "")
        )
    if code in seen:
        raise ValueError(f"Kode Gerai {code} sudah ada di baris {seen[code]}")
    seen[code] = number
    for column, limit in (("nama gerai", 200), ("instansi", 200), ("kode unit", 40)):
        if not row[column]:
            raise ValueError(f"{column.title()} wajib diisi")
        if len(row[column]) > limit:
            raise ValueError(f"{column.title()} paling panjang {limit} karakter")
    services = _list(row["layanan"])
    if not services:
        raise ValueError("Layanan wajib diisi (pisahkan dengan ';')")
    if any(len(s) > 200 for s in services) or len(services) > 200:
        raise ValueError("Layanan: paling banyak 200, masing-masing paling panjang 200 karakter")
    if len(set(services)) != len(services):
        raise ValueError("Layanan yang sama disebut dua kali")
    try:
        hours = parse_hours(row["jam layanan"])
    except ValueError as exc:
        raise ValueError(f"Jam Layanan: {exc}") from None
    users_text = row.get("jumlah pengguna layanan", "")
    users = None
    if users_text:
        if not users_text.isdigit() or int(users_text) > 10_000_000:
            raise ValueError(
                f"Jumlah Pengguna Layanan harus bilangan bulat 0–10.000.000 ('{users_text}')"
            )
        users = int(users_text)
    people = {}
    for column in ("petugas", "penyelia"):
        listed = _list(row.get(column, ""))
        bad = [nip for nip in listed if not (nip.isdigit() and len(nip) == 18)]
        if bad:
            raise ValueError(f"{column.title()}: '{bad[0]}' bukan NIP 18 angka")
        people[column] = listed or None
    return GeraiRow(
        row=number,
        code=code,
        name=row["nama gerai"],
        agency=row["instansi"],
        unit_code=row["kode unit"],
        services=services,
        hours=hours,
        staff=people["petugas"],
        supervisors=people["penyelia"],
        service_users=users,
    )
