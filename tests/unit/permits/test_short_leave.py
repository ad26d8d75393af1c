"""The izin keluar kantor (short leave): hours within one day, and when two permits clash."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
import pytest

from backend.core.errors import Invalid
from backend.permits.service import decode_create, hours_overlap, short_leave_hours


def meta(**overrides: object) -> bytes:
    values = {
        "client_id": str(uuid.uuid4()),
        "kind": "izin_keluar_kantor",
        "start_date": "2026-11-23",
        "end_date": "2026-11-23",
        "reason": "Mengurus KTP anak di Dukcapil",
        "start_time": "10:00",
        "end_time": "11:30",
        **overrides,
    }
    return msgspec.json.encode({k: v for k, v in values.items() if v is not None})


def test_a_short_leave_carries_its_hours() -> None:
    request = decode_create(meta())
    assert short_leave_hours(request) == (dt.time(10), dt.time(11, 30))
    assert short_leave_hours(decode_create(meta(start_time="07:45:00"))) == (
        dt.time(7, 45),
        dt.time(11, 30),
    )


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"start_time": None}, "memerlukan jam mulai dan jam selesai"),
        ({"end_time": None}, "memerlukan jam mulai dan jam selesai"),
        ({"end_time": "09:00"}, "Jam selesai harus sesudah jam mulai"),
        ({"end_time": "10:00"}, "Jam selesai harus sesudah jam mulai"),
        ({"end_date": "2026-11-24"}, "hanya untuk satu hari"),
        ({"kind": "izin"}, "hanya untuk izin keluar kantor"),
        ({"start_time": "25:00"}, "start_time"),
        ({"start_time": "jam 10"}, "start_time"),
    ],
)
def test_a_short_leave_out_of_shape_is_refused_in_words(overrides: dict, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        decode_create(meta(**overrides))


def test_other_kinds_stay_as_they_were() -> None:
    request = decode_create(
        meta(kind="sakit", end_date="2026-11-25", start_time=None, end_time=None)
    )
    assert short_leave_hours(request) is None


def test_hours_overlap_only_when_they_share_time() -> None:
    ten_to_twelve = (dt.time(10), dt.time(12))
    assert hours_overlap(ten_to_twelve, (dt.time(11), dt.time(13)))
    assert hours_overlap(ten_to_twelve, (dt.time(10, 30), dt.time(11)))
    assert not hours_overlap(ten_to_twelve, (dt.time(12), dt.time(13)))  # back-to-back
    assert not hours_overlap(ten_to_twelve, (dt.time(8), dt.time(10)))
