"""The recap's files and its unit picker, from a Recap in memory."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from backend.attendance import day_status as rules
from backend.attendance.exports import _with_subtree_counts
from backend.attendance.recap import (
    Recap,
    RecapUnit,
    month_start,
    standing_rows,
    to_csv,
    to_xlsx,
    tpp_rows,
)
from backend.core.errors import Invalid
from backend.core.settings import Settings
from backend.org.schemas import UnitNode

RULES = Settings().tpp_rules


def person(nip: str, statuses: list[rules.DayStatus], absent_year: int, unit: str, name: str):
    month = rules.month_recap(nip, f"Pegawai {nip}", statuses, absent_year, RULES)
    return rules.EmployeeMonth(
        **{
            **{f: getattr(month, f) for f in month.__struct_fields__},
            "unit": unit,
            "unit_name": name,
        }
    )


def sample() -> Recap:
    import datetime as dt

    day = dt.date(2026, 11, 2)
    late = rules.DayStatus(day, "present", tl="TL2", late_minutes=45, deduction_pct=1.0)
    early = rules.DayStatus(
        day + dt.timedelta(days=1), "present", psw="PSW1", early_minutes=10, deduction_pct=0.5
    )
    absent = rules.DayStatus(day + dt.timedelta(days=2), "absent", deduction_pct=5.0)
    sick = rules.DayStatus(day + dt.timedelta(days=3), "permit", permit="sakit")
    return Recap(
        unit="DISDIK",
        unit_name="Dinas Pendidikan",
        month="2026-11",
        employees=[
            person("1", [late, early, absent, sick], 11, "SD-1", "SD Satu"),
            person("2", [late], 0, "DISDIK", "Dinas Pendidikan"),
        ],
        subtree=True,
        units=[RecapUnit("DISDIK", "Dinas Pendidikan", 1), RecapUnit("SD-1", "SD Satu", 1)],
    )


def test_the_tpp_sheet_adds_up_what_the_deduction_is_made_of() -> None:
    head, first, second = tpp_rows(sample())
    row = dict(zip(head, first, strict=True))
    assert row["Hadir (hari)"] == 2
    assert (row["Terlambat (kali)"], row["Menit terlambat"]) == (1, 45)
    assert (row["Pulang cepat (kali)"], row["Menit pulang cepat"]) == (1, 10)
    assert (row["Tanpa keterangan (hari)"], row["Izin/cuti (hari)"]) == (1, 1)
    assert (row["Potongan TPP (%)"], row["TPP dibayarkan (%)"]) == (6.5, 93.5)
    assert row["Unit kerja"] == "SD Satu"
    assert dict(zip(head, second, strict=True))["Potongan TPP (%)"] == 1.0


def test_the_standing_sheet_says_the_step_and_the_way_to_the_next() -> None:
    head, first, second = standing_rows(sample())
    row = dict(zip(head, first, strict=True))
    assert row["Alpa tahun ini (hari)"] == 11
    assert row["Tingkat disiplin"] == rules.discipline_for(11).description
    assert row["Kategori"] == "sedang"
    clean = dict(zip(head, second, strict=True))
    assert (clean["Tingkat disiplin"], clean["Kategori"]) == ("Belum ada hukuman disiplin", "-")
    assert clean["Hari alpa lagi sampai tingkat berikutnya"] == 3


def test_the_xlsx_has_four_sheets_the_recap_first() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(sample())))
    assert book.sheetnames == [
        "Rekap 2026-11",
        "Potongan TPP",
        "Disiplin PP 94-2021",
        "Skala PP 94-2021",
    ]
    first = book.worksheets[0]
    assert (
        first["A1"].value
        == "Rekap presensi Dinas Pendidikan beserta unit di bawahnya, bulan 2026-11"
    )
    assert first["A1"].font.bold and first["A2"].value == "NIP"
    scale = [r for r in book["Skala PP 94-2021"].iter_rows(min_row=3, values_only=True)]
    assert len(scale) == len(rules.DISCIPLINE_SCALE)


def test_the_csv_keeps_its_columns_and_adds_the_new_ones_last() -> None:
    table = list(csv.reader(io.StringIO(to_csv(sample()).decode("utf-8-sig"))))
    assert table[0][:3] == ["NIP", "Nama", "Hadir"]
    assert table[0][-5:] == [
        "Jumlah TL",
        "Jumlah PSW",
        "Kode unit",
        "Unit kerja",
        "Hadir (atestasi)",
    ]
    assert table[1][-5:] == ["1", "1", "SD-1", "SD Satu", "0"]


def test_a_month_is_yyyy_mm() -> None:
    assert str(month_start("2026-02")) == "2026-02-01"
    for bad in ("2026-13", "2026-2", "11-2026", "2026-02-01"):
        with pytest.raises(Invalid, match="YYYY-MM"):
            month_start(bad)


def test_the_unit_picker_counts_each_subtree() -> None:
    pemda = UnitNode(1, "PEMDA", "Pemda", "pemda", "Asia/Jakarta", None)
    dinas = UnitNode(2, "DISDIK", "Dinas", "opd", "Asia/Jakarta", 1)
    school = UnitNode(3, "SD-1", "SD", "sekolah", "Asia/Jakarta", 2)
    village = UnitNode(4, "DESA", "Desa", "desa", "Asia/Jakarta", 1)
    plan = [(pemda, 0), (dinas, 3), (school, 6), (village, 2)]
    codes = {1: "PEMDA", 2: "DISDIK", 3: "SD-1", 4: "DESA"}
    choices = _with_subtree_counts(plan, codes)
    assert [(c.code, c.parent, c.depth, c.staff, c.staff_subtree) for c in choices] == [
        ("PEMDA", None, 0, 0, 11),
        ("DISDIK", "PEMDA", 1, 3, 9),
        ("SD-1", "DISDIK", 2, 6, 6),
        ("DESA", "PEMDA", 1, 2, 2),
    ]
    # A head's own unit is the root of their list, whatever is above it.
    [mine] = _with_subtree_counts([(school, 6)], codes)
    assert (mine.parent, mine.depth) == ("DISDIK", 0)
