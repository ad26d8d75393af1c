"""Reading a spreadsheet as BKD exports it: CSV or XLSX/XLS/ODS, the first sheet or a named one,
a header row found by its names (Indonesian, with their common variants), any column order,
extra columns ignored.

Pure code: nothing here touches the database. Each domain's importer says which columns it
wants (`Column`) and gets `SheetRow`s keyed by its own names, each with its spreadsheet row
number, so every refusal can say "row 17, column NIP: ...".
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import python_calamine

from backend.core.errors import Invalid

# A regency has 10-20 thousand ASN; a file far beyond a province's unit is a mistake.
MAX_ROWS = 100_000
# Title lines ("DAFTAR PEGAWAI NEGERI SIPIL ...") often sit above the header row.
HEADER_SEARCH_ROWS = 20
# Excel keeps numbers as doubles: exact up to 2^53. An 18-digit NIP typed into a number cell
# has already lost its last digits when it reaches us.
EXACT_INTEGER = 2**53


class Column(msgspec.Struct, frozen=True):
    """One column an importer reads: `label` is how reasons name it; `names` are the header
    texts accepted for it, most preferred first (normalised by `header_key`)."""

    key: str
    label: str
    names: tuple[str, ...]
    required: bool = False


class SheetRow(msgspec.Struct, frozen=True):
    number: int  # as the spreadsheet shows it (1-based, header row included)
    values: dict[str, Any]  # column key -> the cell (str, float, date, datetime, bool, or None)


class Sheet(msgspec.Struct, frozen=True):
    header_row: int
    columns: dict[str, str]  # column key -> the header text found in the file
    missing: list[Column]  # required columns not found
    rows: list[SheetRow]


def header_key(text: Any) -> str:
    """`"  Unit  Kerja*"` and `"unit_kerja"` alike become `"unit kerja"`."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


def read_sheet(
    data: bytes, columns: Sequence[Column], *, sheet: str | None = None, filename: str = ""
) -> Sheet:
    """The rows of the file's first sheet (or the one named), keyed by the importer's columns."""
    grid = _grid(data, sheet, filename)
    header_index, matched = _find_header(grid, columns)
    header = grid[header_index] if grid else []
    missing = [c for c in columns if c.required and c.key not in matched]
    rows: list[SheetRow] = []
    for offset, cells in enumerate(grid[header_index + 1 :], start=header_index + 2):
        if all(_blank(cell) for cell in cells):
            continue
        values = {key: cells[i] if i < len(cells) else None for key, i in matched.items()}
        rows.append(SheetRow(number=offset, values=values))
    if len(rows) > MAX_ROWS:
        raise Invalid(f"Berkas berisi {len(rows)} baris; paling banyak {MAX_ROWS} sekali impor")
    return Sheet(
        header_row=header_index + 1,
        columns={key: str(header[i]).strip() for key, i in matched.items()},
        missing=missing,
        rows=rows,
    )


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _find_header(grid: list[list[Any]], columns: Sequence[Column]) -> tuple[int, dict[str, int]]:
    """The row among the first few that names the most of the wanted columns."""
    best_index, best = 0, {}
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        matched = match_columns([header_key(cell) for cell in cells], columns)
        if len(matched) > len(best):
            best_index, best = index, matched
    return best_index, best


def match_columns(headers: Sequence[str], columns: Iterable[Column]) -> dict[str, int]:
    """Column key -> its position among `headers`. For each column the most preferred name
    wins ("NIP Baru" over "NIP" when a file has both); a header serves one column only."""
    taken: set[int] = set()
    found: dict[str, int] = {}
    for column in columns:
        for name in column.names:
            position = next(
                (i for i, h in enumerate(headers) if h == name and i not in taken), None
            )
            if position is not None:
                found[column.key] = position
                taken.add(position)
                break
    return found


# --- file formats ------------------------------------------------------------------------------

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls


def _grid(data: bytes, sheet: str | None, filename: str) -> list[list[Any]]:
    if not data:
        raise Invalid("Berkas kosong")
    if data.startswith((_ZIP, _OLE)):
        return _workbook_grid(data, sheet)
    if filename.lower().endswith((".xlsx", ".xls", ".ods")):
        raise Invalid("Berkas bukan lembar kerja Excel/ODS yang bisa dibaca")
    if sheet:
        raise Invalid("Berkas CSV tidak punya lembar (sheet); hapus pilihan lembar")
    return _csv_grid(data)


def _workbook_grid(data: bytes, sheet: str | None) -> list[list[Any]]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if sheet is None:
            if not book.sheet_names:
                raise Invalid("Berkas tidak berisi lembar (sheet) apa pun")
            return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        if sheet not in book.sheet_names:
            raise Invalid(
                f"Lembar '{sheet}' tidak ada; yang ada: {', '.join(book.sheet_names)}",
            )
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except python_calamine.CalamineError as exc:
        raise Invalid(f"Berkas lembar kerja tidak bisa dibaca: {exc}") from None
    except (python_calamine.ZipError, python_calamine.XmlError, ValueError):
        raise Invalid("Berkas lembar kerja rusak atau bukan XLSX/XLS/ODS") from None


def _csv_grid(data: bytes) -> list[list[Any]]:
    text = _decode(data)
    sample = text[:20_000]
    # Indonesian Excel writes CSV with ';' (the comma is the decimal separator).
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d])
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page.
        return data.decode("cp1252", errors="replace")


# --- cells -----------------------------------------------------------------------------------


def text(cell: Any) -> str:
    """A cell as the text a person reads in it: 12.0 is "12", a date is YYYY-MM-DD."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "ya" if cell else "tidak"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else str(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return " ".join(str(cell).split())


def inexact_number(cell: Any) -> bool:
    """A number too large for Excel to keep every digit of (an NIP in a number cell)."""
    return isinstance(cell, float) and abs(cell) >= EXACT_INTEGER


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januari", "jan"),
            ("februari", "feb", "pebruari"),
            ("maret", "mar"),
            ("april", "apr"),
            ("mei",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("agustus", "agu", "agt", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct"),
            ("november", "nov", "nop", "nopember"),
            ("desember", "des", "dec"),
        ],
        start=1,
    )
    for name in names
}


def parse_date(cell: Any) -> dt.date:
    """A date cell, or text as BKD writes it: 2026-08-17, 17/08/2026, 17-08-2026, 17 Agustus
    2026. ValueError with words otherwise."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    value = text(cell)
    if not value:
        raise ValueError("tanggal kosong")
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
            year, month, day = (int(p) for p in value.split("-"))
            return dt.date(year, month, day)
        if match := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        if match := re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})", value):
            month = _MONTHS.get(match[2].lower())
            if month is not None:
                return dt.date(int(match[3]), month, int(match[1]))
    except ValueError:
        raise ValueError(f"'{value}' bukan tanggal yang ada") from None
    raise ValueError(f"'{value}' bukan tanggal (tulis 2026-08-17 atau 17/08/2026)")
