import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backend.gerai import importer, rules

WIB = ZoneInfo("Asia/Jakarta")


def at(day: int, hhmm: str) -> dt.datetime:
    """A moment in the week of Monday 7 December 2026 (day 1 = Monday), WIB."""
    h, m = map(int, hhmm.split(":"))
    return dt.datetime(2026, 12, 6 + day, h, m, tzinfo=WIB)


def test_hours_as_people_write_them():
    hours = rules.parse_hours("Senin-Kamis 08:00-15:00; Jum'at 08.00-11.00\nSabtu 8:00 - 12:00")
    assert hours == {
        "1": ["08:00", "15:00"],
        "2": ["08:00", "15:00"],
        "3": ["08:00", "15:00"],
        "4": ["08:00", "15:00"],
        "5": ["08:00", "11:00"],
        "6": ["08:00", "12:00"],
    }
    assert rules.parse_hours("Selasa, Kamis 08:00-14:00") == {
        "2": ["08:00", "14:00"],
        "4": ["08:00", "14:00"],
    }
    assert rules.format_hours({"5": ["08:00", "11:00"]}) == "Jumat 08:00-11:00"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "kosong"),
        ("Senin 08:00", "bukan jam layanan"),
        ("Senen 08:00-15:00", "tidak dikenal"),
        ("Jumat-Senin 08:00-15:00", "terbalik"),
        ("Senin 15:00-08:00", "setelah jam buka"),
        ("Senin 25:00-26:00", "tidak sah"),
        ("Senin-Rabu 08:00-15:00; Rabu 08:00-11:00", "lebih dari sekali"),
    ],
)
def test_bad_hours_say_what_is_wrong(text, words):
    with pytest.raises(ValueError, match=words):
        rules.parse_hours(text)


def test_state_follows_hours_and_staff_on_duty():
    hours = rules.parse_hours("Senin-Kamis 08:00-15:00; Jumat 08:00-11:00")
    assert rules.state_at(hours, at(1, "07:59"), 3) == rules.CLOSED
    assert rules.state_at(hours, at(1, "08:00"), 0) == rules.EMPTY
    assert rules.state_at(hours, at(1, "08:00"), 1) == rules.OPEN
    assert rules.state_at(hours, at(1, "14:59"), 1) == rules.OPEN
    assert rules.state_at(hours, at(1, "15:00"), 1) == rules.CLOSED  # closes at 15:00
    assert rules.state_at(hours, at(5, "12:00"), 0) == rules.CLOSED  # Friday: until 11:00
    assert rules.state_at(hours, at(7, "09:00"), 1) == rules.CLOSED  # Sunday: no hours


def test_a_camera_showing_an_officer_at_the_desk_opens_the_gerai():
    hours = rules.parse_hours("Senin-Kamis 08:00-15:00; Jumat 08:00-11:00")
    # Nobody assigned checked in, but a camera counts someone in its officer zone.
    assert rules.state_at(hours, at(1, "09:00"), 0, officer_on_camera=True) == rules.OPEN
    assert rules.state_at(hours, at(1, "09:00"), 0, officer_on_camera=False) == rules.EMPTY
    assert rules.state_at(hours, at(1, "09:00"), 2, officer_on_camera=False) == rules.OPEN
    # Outside the hours the camera changes nothing.
    assert rules.state_at(hours, at(5, "12:00"), 0, officer_on_camera=True) == rules.CLOSED


def test_empty_too_long_counts_the_grace_exactly():
    since = at(1, "08:00")
    grace = dt.timedelta(minutes=15)
    assert not rules.empty_too_long(None, at(1, "12:00"), grace)
    assert not rules.empty_too_long(since, at(1, "08:14"), grace)
    assert rules.empty_too_long(since, at(1, "08:15"), grace)


HEADER = "Kode Gerai;Nama Gerai;Instansi;Kode Unit;Layanan;Jam Layanan;Petugas;Catatan"


def test_import_rows_are_read_by_header_and_refused_with_reasons():
    csv_text = "\n".join(
        [
            HEADER,
            "G-1;Gerai A;Instansi A;MPP;Layanan 1, Layanan 2;Senin 08:00-12:00;;x",
            ";Gerai B;Instansi B;MPP;L;Senin 08:00-12:00;;",
            "G-3;Gerai C;Instansi C;MPP;L;Senin 12:00-08:00;;",
            "G-1;Gerai D;Instansi D;MPP;L;Senin 08:00-12:00;;",
            "G-5;Gerai E;Instansi E;MPP;;Senin 08:00-12:00;;",
            "G-6;Gerai F;Instansi F;MPP;L;Senin 08:00-12:00;12345;",
            ";;;;;;;",
        ]
    )
    rows, refused, ignored = importer.parse_rows(importer.read_table(csv_text.encode()))
    assert [r.code for r in rows] == ["G-1"]
    assert rows[0].services == ["Layanan 1, Layanan 2"]  # ';' separates services, not ','
    assert rows[0].staff is None  # an empty column leaves the members as they are
    assert ignored == ["Catatan"]
    reasons = {row: why for row, _, why in refused}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "Kode Gerai wajib" in reasons[3]
    assert "Jam Layanan" in reasons[4]
    assert "baris 2" in reasons[5]
    assert "Layanan wajib" in reasons[6]
    assert "bukan NIP" in reasons[7]


def test_a_sheet_without_a_required_column_is_refused_whole():
    with pytest.raises(importer.ImportFileError, match="Jam Layanan"):
        importer.parse_rows(
            importer.read_table(b"Kode Gerai,Nama Gerai,Instansi,Kode Unit,Layanan\n")
        )
    with pytest.raises(importer.ImportFileError):
        importer.read_table(b"PK\x03\x04 not really a zip")
    with pytest.raises(importer.ImportFileError):
        importer.read_table("\ufffe".encode("utf-16"))
