import datetime as dt

import pytest

from backend.core.errors import Invalid
from backend.org import demo_data
from backend.org.service import parse_nip


def test_a_nip_splits_into_its_parts() -> None:
    parts = parse_nip("199205142019042003")
    assert parts.birth_date == dt.date(1992, 5, 14)
    assert parts.appointed == "2019-04"
    assert parts.sex == "P"
    assert parts.sequence == 3
    assert parts.pppk is False


def test_a_pppk_number_carries_21_for_the_month() -> None:
    parts = parse_nip("199001012022211001")
    assert parts.pppk is True
    assert parts.appointed == "2022"
    assert parts.sex == "L"


@pytest.mark.parametrize(
    ("nip", "words"),
    [
        ("19920514201904200", "18 angka, bukan 17"),
        ("1992051420190420031", "18 angka, bukan 19"),
        ("19920514201904200X", "hanya boleh berisi angka"),
        ("１９９２０５１４２０１９０４２００３", "hanya boleh berisi angka"),  # full-width digits
        ("199213142019042003", "Tanggal lahir pada NIP (angka ke-1 s.d. 8: 19921314)"),
        ("199202302019042003", "Tanggal lahir"),
        ("193001012019042003", "Tahun lahir"),
        ("199205142019132003", "Bulan pengangkatan pada NIP (angka ke-13 s.d. 14: 13)"),
        ("199205142019002003", "Bulan pengangkatan"),
        ("199205142099042003", "belum terjadi"),
        ("199205142000042003", "terlalu dekat dengan tahun lahir"),
        ("199205142019043003", "Kode jenis kelamin pada NIP (angka ke-15: 3)"),
        ("199205142019042000", "Nomor urut"),
    ],
)
def test_a_malformed_nip_says_which_part_is_wrong(nip: str, words: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_nip(nip)
    assert words in caught.value.detail


def test_every_demo_nip_is_valid() -> None:
    for employee in demo_data.EMPLOYEES:
        parse_nip(employee.nip)
