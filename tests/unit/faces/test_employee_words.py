"""The employee reads what a face check means; the model's distances are BKD's."""

from __future__ import annotations

from backend.faces import recognition
from backend.faces.service import for_employee, verdict_reason


def test_face_reasons_reach_the_employee_without_the_models_numbers():
    for verdict in (
        recognition.Verdict(code="match", faces=1, distance=0.31),
        recognition.Verdict(code="mismatch", faces=1, distance=0.62),
    ):
        check = verdict_reason(verdict, 0.5)
        assert "jarak" in check.message  # BKD's words keep the distance
        words = for_employee(check.code, check.message)
        assert "jarak" not in words and not any(c.isdigit() for c in words), words


def test_other_reasons_are_already_words():
    message = "Di luar area presensi: 120 m dari Halaman SD"
    assert for_employee("outside_fence", message) == message
