"""The password handout's workbook and its pages, without a database."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from backend.imports.handout import INSTRUCTIONS, _fernet, _sheet_title, handout_pages, handout_xlsx
from backend.imports.schemas import InitialPassword


def test_pages_are_per_unit_by_code_then_name() -> None:
    pages = handout_pages(
        [
            InitialPassword("2", "Budi", "SD-2", "pw-b", "SD Dua"),
            InitialPassword("1", "Ani", "SD-1", "pw-a", "SD Satu"),
            InitialPassword("3", "Ade", "SD-2", "pw-c", "SD Dua"),
        ]
    )
    assert [(code, name, [p.name for p in people]) for code, name, people in pages] == [
        ("SD-1", "SD Satu", ["Ani"]),
        ("SD-2", "SD Dua", ["Ade", "Budi"]),
    ]


def test_sheet_titles_are_valid_and_unique() -> None:
    used: set[str] = set()
    assert _sheet_title("DINAS/PENDIDIKAN:[1]", used) == "DINAS-PENDIDIKAN--1-"
    long = "X" * 40
    assert _sheet_title(long, used) == "X" * 31
    assert _sheet_title(long, used) == "X" * 28 + "-2"
    assert _sheet_title("", used) == "Unit"


def test_the_workbook_has_a_sheet_per_unit_with_the_table_and_the_instructions() -> None:
    pages = handout_pages(
        [
            InitialPassword("199001012015031001", "Ani", "SD-1", "rahasia-1", "SD Satu"),
            InitialPassword("199001012015031002", "Budi", "SD-2", "rahasia-2", "SD Dua"),
        ]
    )
    book = load_workbook(io.BytesIO(handout_xlsx(pages, printed=dt.date(2026, 12, 14))))
    assert book.sheetnames == ["SD-1", "SD-2"]
    rows = [list(r) for r in book["SD-1"].iter_rows(values_only=True)]
    assert rows[0][0] == "Kata sandi awal pegawai baru — SD Satu"
    assert "2026-12-14" in rows[1][0] and "sekali" in rows[1][0]
    assert rows[3] == ["No", "NIP", "Nama", "Unit kerja", "Kata sandi awal", "Tanda tangan"]
    assert rows[4][:5] == [1, "199001012015031001", "Ani", "SD Satu", "rahasia-1"]
    assert [r[0] for r in rows[-len(INSTRUCTIONS) :]] == list(INSTRUCTIONS)
    assert book["SD-1"].page_setup.orientation == "landscape"


def test_the_key_depends_on_the_secret() -> None:
    token = _fernet("satu").encrypt(b"rahasia")
    assert _fernet("satu").decrypt(token) == b"rahasia"
    try:
        _fernet("dua").decrypt(token)
    except Exception as exc:  # InvalidToken
        assert type(exc).__name__ == "InvalidToken"
    else:
        raise AssertionError("another secret must not open the handout")
