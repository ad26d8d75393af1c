"""The Survei Kepuasan Masyarakat's numbers, as PermenPANRB 14/2017 defines them. Pure, exact
(Decimal), no I/O.

- NRR of an element (unsur) = sum of its scores / number of answers to it.
- IKM = Σ (NRR × weight) × 25, the weights summing to 1 (1/9 each by default).
- Grades: A 88.31–100 Sangat Baik; B 76.61–88.30 Baik; C 65.00–76.60 Kurang Baik;
  D 25.00–64.99 Tidak Baik.

Elements are keyed by code (U1..U9), never by position: sources disagree on the order of the
8th and 9th. NRR and IKM are computed unrounded and shown to two decimals, half up, as the
regulation's tables round; the grade is read from the rounded IKM (what is published).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CODES = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
TWO = Decimal("0.01")
# Fractions, so that nine ninths are exactly one and an IKM of 100 is not 99.999…
EQUAL_WEIGHTS: dict[str, Fraction | Decimal] = {code: Fraction(1, 9) for code in CODES}
# (lowest IKM of the grade, grade, label), best first.
GRADES = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)

# Each element as a plain question with its four answers (1 … 4), worded as the standard's
# questionnaire (Lampiran PermenPANRB 14/2017) words them.
ELEMENTS: dict[str, tuple[str, str, tuple[str, str, str, str]]] = {
    "U1": (
        "Persyaratan",
        "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
        "pelayanannya?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    "U2": (
        "Sistem, mekanisme dan prosedur",
        "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
        ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    ),
    "U3": (
        "Waktu penyelesaian",
        "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
        ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    ),
    "U4": (
        "Biaya/tarif",
        "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
        ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    ),
    "U5": (
        "Produk spesifikasi jenis pelayanan",
        "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum "
        "dalam standar pelayanan dengan hasil yang diberikan?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    "U6": (
        "Kompetensi pelaksana",
        "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
        ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    ),
    "U7": (
        "Perilaku pelaksana",
        "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait "
        "kesopanan dan keramahan?",
        (
            "Tidak sopan dan ramah",
            "Kurang sopan dan ramah",
            "Sopan dan ramah",
            "Sangat sopan dan ramah",
        ),
    ),
    "U8": (
        "Penanganan pengaduan, saran dan masukan",
        "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
        (
            "Tidak ada",
            "Ada tetapi tidak berfungsi",
            "Berfungsi kurang maksimal",
            "Dikelola dengan baik",
        ),
    ),
    "U9": (
        "Sarana dan prasarana",
        "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
        ("Buruk", "Cukup", "Baik", "Sangat baik"),
    ),
}

# The standard's optional respondent profile.
PROFILE: dict[str, tuple[str, tuple[str, ...]]] = {
    "sex": ("Jenis kelamin", ("L", "P")),
    "age": ("Usia", ("<20", "20-29", "30-39", "40-49", "50-59", "60+")),
    "education": ("Pendidikan terakhir", ("SD", "SMP", "SMA", "D1-D3", "D4/S1", "S2/S3")),
    "occupation": (
        "Pekerjaan",
        ("PNS", "TNI", "POLRI", "Swasta", "Wirausaha", "Pelajar/Mahasiswa", "Lainnya"),
    ),
}


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def check_weights(weights: dict[str, Fraction | Decimal]) -> None:
    """Weights name exactly U1..U9, none negative, and sum to 1 (to within rounding of 1/9)."""
    if set(weights) != set(CODES):
        raise ValueError(f"bobot harus untuk tepat {', '.join(CODES)}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("bobot tidak boleh negatif")
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if abs(total - 1) > Fraction(1, 10**9):
        raise ValueError(f"jumlah bobot harus 1, bukan {float(total):g}")


def nrr(total: int, count: int) -> Decimal | None:
    """Nilai rata-rata of one element; None when nobody answered it."""
    return Decimal(total) / Decimal(count) if count else None


def ikm(
    totals: dict[str, tuple[int, int]], weights: dict[str, Fraction | Decimal] | None = None
) -> Decimal | None:
    """IKM from each element's (sum, count), exact to 28 digits (computed in fractions);
    None until every element has answers."""
    weights = weights or EQUAL_WEIGHTS
    check_weights(weights)
    pairs = {code: totals.get(code, (0, 0)) for code in CODES}
    if any(count == 0 for _, count in pairs.values()):
        return None
    exact = (
        sum(
            (Fraction(total, count) * Fraction(weights[c]) for c, (total, count) in pairs.items()),
            Fraction(0),
        )
        * 25
    )
    return Decimal(exact.numerator) / Decimal(exact.denominator)


def grade(index: Decimal) -> tuple[str, str]:
    """(letter, label) of an IKM, read from its value rounded to two decimals."""
    shown = round2(index)
    for lowest, letter, label in GRADES:
        if shown >= lowest:
            return letter, label
    return "D", "Tidak Baik"  # below 25 cannot come from scores of 1-4


def min_sample(population: int) -> int:
    """Krejcie–Morgan (1970) minimum sample for a population: χ² = 3.841 (1 df, 95 %),
    P = 0.5, d = 0.05, rounded to the nearest whole respondent as their table is
    (300 → 169, 1,200 → 291, 2,000 → 322), and never more than the population."""
    if population <= 0:
        return 0
    chi2, p, d = Decimal("3.841"), Decimal("0.5"), Decimal("0.05")
    n = Decimal(population)
    s = chi2 * n * p * (1 - p) / (d * d * (n - 1) + chi2 * p * (1 - p))
    return min(population, int(s.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
