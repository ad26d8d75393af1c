"""The SKM report as XLSX in the layout of PermenPANRB 14/2017 (Lampiran, "Pengolahan data
survei kepuasan masyarakat per responden dan per unsur layanan"): one row per respondent with
the nine element scores, then the column sums, NRR per element, weighted NRR, the IKM and the
grade; a second sheet with the respondent profile counts. Pure: rows in, bytes out.

The sums, NRR and IKM are computed here from the respondents' rows themselves (skm.py), so the
file checks itself; tests compare them with the IKM endpoint, which reads the daily aggregates.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec
from openpyxl import Workbook
from openpyxl.styles import Font

from backend.ratings import skm

TABULATION = "Tabulasi"
PROFILE = "Profil Responden"
NOT_GIVEN = "Tidak diisi"
# Labels of the summary rows (column A), as the standard's table names them.
SUM = "Σ Nilai/Unsur"
COUNT = "Jumlah jawaban/Unsur"
NRR = "NRR/Unsur"
WEIGHT = "Bobot/Unsur"
WEIGHTED = "NRR tertimbang/Unsur"
TOTAL_WEIGHTED = "Σ NRR tertimbang"
IKM = "IKM Unit Pelayanan"
GRADE = "Mutu Pelayanan"
LABEL = "Kinerja Unit Pelayanan"
RESPONDENTS = "Jumlah responden"
FIRST_SCORE_COLUMN = 5  # E: after No., Tanggal, Gerai, Layanan


class Respondent(msgspec.Struct, frozen=True):
    day: dt.date
    gerai: str
    service: str
    scores: dict[str, int]  # U1..U9
    profile: dict[str, str]


THREE = Decimal("0.001")


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def to_xlsx(
    respondents: list[Respondent],
    *,
    title: str,
    start: dt.date,
    end: dt.date,
    weights: dict[str, Fraction | Decimal],
) -> bytes:
    book = Workbook(write_only=True)
    tabulation(book.create_sheet(TABULATION), respondents, title, start, end, weights)
    profile(book.create_sheet(PROFILE), respondents, title, start, end)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bold(sheet: Any, values: list[Any]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def tabulation(
    sheet: Any,
    respondents: list[Respondent],
    title: str,
    start: dt.date,
    end: dt.date,
    weights: dict[str, Fraction | Decimal],
) -> None:
    codes = list(skm.CODES)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["D"].width = 28
    sheet.append(
        _bold(
            sheet,
            ["Pengolahan Data Survei Kepuasan Masyarakat per Responden dan per Unsur Pelayanan"],
        )
    )
    sheet.append(["Unit pelayanan", title])
    sheet.append(["Periode", f"{start.isoformat()} s.d. {end.isoformat()}"])
    sheet.append([])
    sheet.append(_bold(sheet, ["No. Responden", "Tanggal", "Gerai", "Layanan", *codes]))
    sums = dict.fromkeys(codes, 0)
    counts = dict.fromkeys(codes, 0)
    for number, row in enumerate(respondents, start=1):
        sheet.append([number, row.day, row.gerai, row.service, *(row.scores.get(c) for c in codes)])
        for code in codes:
            if row.scores.get(code) is not None:
                sums[code] += row.scores[code]
                counts[code] += 1
    totals = {code: (sums[code], counts[code]) for code in codes}
    nrr = {code: skm.nrr(*totals[code]) for code in codes}
    weighted = {
        code: _decimal(Fraction(n) * Fraction(weights[code])) if n is not None else None
        for code, n in nrr.items()
    }
    value = skm.ikm(totals, weights)
    letter, label = skm.grade(value) if value is not None else ("-", "-")
    blank = [""] * (FIRST_SCORE_COLUMN - 2)
    sheet.append([])
    sheet.append(_bold(sheet, [SUM, *blank, *(sums[c] for c in codes)]))
    sheet.append([COUNT, *blank, *(counts[c] for c in codes)])
    sheet.append(
        _bold(
            sheet, [NRR, *blank, *(skm.round2(n) if n is not None else None for n in nrr.values())]
        )
    )
    sheet.append([WEIGHT, *blank, *(_decimal(Fraction(weights[c])).quantize(THREE) for c in codes)])
    sheet.append(
        [
            WEIGHTED,
            *blank,
            *(w.quantize(THREE) if w is not None else None for w in weighted.values()),
        ]
    )
    total_weighted = (
        sum((w for w in weighted.values() if w is not None), Decimal(0))
        if value is not None
        else None
    )
    sheet.append(
        [
            TOTAL_WEIGHTED,
            *blank,
            total_weighted.quantize(THREE) if total_weighted is not None else None,
        ]
    )
    sheet.append(_bold(sheet, [IKM, *blank, skm.round2(value) if value is not None else None]))
    sheet.append(_bold(sheet, [GRADE, *blank, letter]))
    sheet.append([LABEL, *blank, label])
    sheet.append([RESPONDENTS, *blank, len(respondents)])
    sheet.append([])
    sheet.append(_bold(sheet, ["Keterangan"]))
    for code, (element, _, _) in skm.ELEMENTS.items():
        sheet.append([code, element])
    sheet.append(["NRR", "Nilai rata-rata = Σ nilai per unsur / jumlah jawaban unsur"])
    sheet.append(["IKM", "Σ (NRR × bobot) × 25"])
    for lowest, grade_letter, grade_label in skm.GRADES:
        sheet.append([f"Mutu {grade_letter}", f"IKM ≥ {lowest}: {grade_label}"])


def profile(
    sheet: Any, respondents: list[Respondent], title: str, start: dt.date, end: dt.date
) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 22
    sheet.append(_bold(sheet, ["Profil Responden Survei Kepuasan Masyarakat"]))
    sheet.append(["Unit pelayanan", title])
    sheet.append(["Periode", f"{start.isoformat()} s.d. {end.isoformat()}"])
    sheet.append([RESPONDENTS, len(respondents)])
    sheet.append([])
    sheet.append(_bold(sheet, ["Karakteristik", "Indikator", "Jumlah", "Persentase (%)"]))
    total = len(respondents)
    for name, (label, options) in skm.PROFILE.items():
        counted = Counter(row.profile.get(name) or NOT_GIVEN for row in respondents)
        for index, option in enumerate([*options, NOT_GIVEN]):
            share = skm.round2(Decimal(counted[option] * 100) / total) if total else Decimal(0)
            sheet.append([label if index == 0 else "", option, counted[option], share])
