"""Reading spreadsheets as BKD exports them: headers by name, any order, title rows, CSV dialects."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from backend.core.errors import Invalid
from backend.imports.sheets import Column, header_key, parse_date, read_sheet, text
from backend.org.imports import EmployeeImporter, nip, roles, window

COLUMNS = EmployeeImporter.columns


def xlsx(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_headers_are_found_by_name_below_title_rows_in_any_order() -> None:
    data = xlsx(
        (
            "Pegawai",
            [
                ["DAFTAR PEGAWAI NEGERI SIPIL KABUPATEN BLORA"],
                [],
                ["No", "Unit Kerja", "Nama Lengkap", "Golongan", "NIP Baru", "NIP Lama"],
                [1, "BKD", "Rina", "III/a", "199205142019042003", "150000001"],
            ],
        )
    )
    sheet = read_sheet(data, COLUMNS)
    assert sheet.header_row == 3
    assert sheet.columns == {"nip": "NIP Baru", "name": "Nama Lengkap", "unit": "Unit Kerja"}
    [row] = sheet.rows
    assert row.number == 4
    assert row.values == {"nip": "199205142019042003", "name": "Rina", "unit": "BKD"}


def test_nip_baru_wins_over_nip_whatever_the_order() -> None:
    data = b"NIP;Nama;Kode Unit;NIP Baru\n1;A;BKD;199205142019042003\n"
    sheet = read_sheet(data, COLUMNS)
    assert sheet.rows[0].values["nip"] == "199205142019042003"


def test_a_named_sheet_and_the_first_by_default() -> None:
    data = xlsx(
        ("Catatan", [["apa saja"]]), ("Data", [["NIP", "Nama", "Unit Kerja"], ["1", "A", "B"]])
    )
    assert read_sheet(data, COLUMNS).missing  # the first sheet has none of the columns
    assert not read_sheet(data, COLUMNS, sheet="Data").missing
    with pytest.raises(Invalid, match="Lembar 'Tidak Ada' tidak ada; yang ada: Catatan, Data"):
        read_sheet(data, COLUMNS, sheet="Tidak Ada")


def test_missing_required_columns_are_listed() -> None:
    sheet = read_sheet(b"NIP,Jabatan\n1,Guru\n", COLUMNS)
    assert [c.label for c in sheet.missing] == ["Nama", "Unit Kerja"]


def test_csv_in_the_windows_code_page_with_a_bom_or_tabs() -> None:
    cp1252 = "NIP\tNama\tUnit Kerja\n1\tJos\u00e9\tBKD\n".encode("cp1252")
    assert read_sheet(cp1252, COLUMNS).rows[0].values["name"] == "Jos\u00e9"
    bom = "\ufeffNIP,Nama,Unit Kerja\n1,A,BKD\n".encode()
    assert read_sheet(bom, COLUMNS).columns["nip"] == "NIP"


def test_unreadable_files_are_refused_in_words() -> None:
    with pytest.raises(Invalid, match="kosong"):
        read_sheet(b"", COLUMNS)
    with pytest.raises(Invalid, match=r"rusak|tidak bisa dibaca"):
        read_sheet(b"PK\x03\x04garbage", COLUMNS)
    with pytest.raises(Invalid, match="bukan lembar kerja"):
        read_sheet(b"a,b", COLUMNS, filename="pegawai.xlsx")


def test_cells_read_as_people_read_them() -> None:
    assert header_key(" Unit_Kerja* ") == "unit kerja"
    assert text(12.0) == "12"
    assert text(dt.datetime(2026, 8, 17)) == "2026-08-17"
    assert parse_date("17 Agustus 2026") == parse_date("17/08/2026") == dt.date(2026, 8, 17)
    with pytest.raises(ValueError, match="bukan tanggal yang ada"):
        parse_date("31/02/2026")


def test_nip_rules_in_the_import() -> None:
    assert nip("19920514 201904 2 003") == "199205142019042003"
    with pytest.raises(ValueError, match="tersimpan sebagai angka"):
        nip(199205142019042003.0)
    with pytest.raises(Invalid, match="angka ke-15"):
        nip("199205142019043003")


def test_roles_and_hours() -> None:
    assert roles("asn, Kepala Unit") == ["asn", "kepala_unit"]
    with pytest.raises(ValueError, match="admin tidak diberikan"):
        roles("asn;admin")
    assert window("07.30 - 16.00") == ["07:30", "16:00"]
    assert window("libur") is None
    with pytest.raises(ValueError, match="tidak terbaca"):
        window("pagi")


def test_a_column_serves_once() -> None:
    from backend.imports.sheets import match_columns

    a = Column("a", "A", ("unit kerja",))
    b = Column("b", "B", ("unit kerja", "unit"))
    assert match_columns(["unit kerja", "unit"], [a, b]) == {"a": 0, "b": 1}
