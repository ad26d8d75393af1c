from decimal import Decimal

import pytest

from backend.ratings import skm


def totals(scores: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
    return {code: (sum(v), len(v)) for code, v in scores.items()}


def test_worked_example_equal_weights():
    # Ten respondents; element sums chosen so each NRR is a round number.
    scores = {code: [3] * 10 for code in skm.CODES}
    scores["U4"] = [4] * 10  # free of charge
    scores["U8"] = [2] * 5 + [3] * 5  # NRR 2.5
    value = skm.ikm(totals(scores))
    # Σ NRR = 3*7 + 4 + 2.5 = 27.5; /9 * 25 = 76.3888… -> 76.39, C Kurang Baik
    assert skm.round2(value) == Decimal("76.39")
    assert skm.grade(value) == ("C", "Kurang Baik")
    assert skm.nrr(25, 10) == Decimal("2.5")


def test_all_fours_and_all_ones_are_the_ends_of_the_scale():
    assert skm.ikm({c: (40, 10) for c in skm.CODES}) == Decimal(100)
    assert skm.round2(skm.ikm({c: (10, 10) for c in skm.CODES})) == Decimal("25.00")
    assert skm.grade(Decimal(100)) == ("A", "Sangat Baik")
    assert skm.grade(Decimal(25)) == ("D", "Tidak Baik")


@pytest.mark.parametrize(
    ("value", "letter"),
    [
        ("88.31", "A"),
        ("88.30", "B"),
        ("88.305", "A"),  # shown as 88.31 (half up): graded as shown
        ("88.304", "B"),
        ("76.61", "B"),
        ("76.60", "C"),
        ("76.605", "B"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("64.995", "C"),
        ("25.00", "D"),
    ],
)
def test_grade_boundaries(value, letter):
    assert skm.grade(Decimal(value))[0] == letter


def test_weights_are_configurable_and_must_sum_to_one():
    weights = {c: Decimal("0.1") for c in skm.CODES}
    weights["U1"] = Decimal("0.2")
    scores = {c: (30, 10) for c in skm.CODES}
    scores["U1"] = (40, 10)
    # 0.2*4 + 0.8*3 = 3.2 -> 80
    assert skm.ikm(scores, weights) == Decimal("80.0")
    with pytest.raises(ValueError, match="jumlah bobot"):
        skm.ikm(scores, {c: Decimal("0.1") for c in skm.CODES})
    with pytest.raises(ValueError, match="tepat"):
        skm.ikm(scores, {"U1": Decimal(1)})


def test_no_ikm_until_every_element_has_an_answer():
    scores = {c: (3, 1) for c in skm.CODES[:8]}
    assert skm.ikm(scores) is None
    assert skm.nrr(0, 0) is None


@pytest.mark.parametrize(
    ("population", "sample"),
    [
        (10, 10),
        (100, 80),
        (300, 169),
        (1_000, 278),
        (1_200, 291),
        (2_000, 322),
        (10_000, 370),
        (100_000, 383),
        (1_000_000, 384),
        (0, 0),
        (1, 1),
    ],
)
def test_krejcie_morgan_table(population, sample):
    assert skm.min_sample(population) == sample


def test_every_element_has_a_question_and_four_answers():
    assert tuple(skm.ELEMENTS) == skm.CODES
    for name, question, answers in skm.ELEMENTS.values():
        assert name and question.endswith("?") and len(answers) == 4
