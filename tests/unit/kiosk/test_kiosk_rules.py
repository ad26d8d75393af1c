"""The face kiosk's rules: who is named (threshold, margin, a close second, nobody), check-in
or check-out, what is signed, the activation code, the words on the screen."""

import datetime as dt
import uuid

import numpy as np

from backend.attendance.schemas import Reason
from backend.attendance.service import kiosk_kind
from backend.faces import recognition
from backend.kiosk import service as kiosk

TOLERANCE, MARGIN = 0.42, 0.1


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=128)
    return vector / np.linalg.norm(vector)


def at_distance(base: np.ndarray, distance: float, seed: int) -> np.ndarray:
    """A point exactly `distance` from `base` in a random direction."""
    direction = unit(seed)
    direction -= direction.dot(base) * base
    return base + distance * direction / np.linalg.norm(direction)


def who(face: np.ndarray, candidates: dict[int, list[np.ndarray]]) -> tuple[str, int | None]:
    found = recognition.identify(face, candidates, tolerance=TOLERANCE, margin=MARGIN)
    return kiosk.decide(1, found), found.employee_id


def test_the_nearest_person_within_the_tolerance_and_clear_of_the_next_is_named():
    face = unit(1)
    candidates = {
        7: [at_distance(face, 0.30, 2), at_distance(face, 0.55, 3)],  # nearest reference counts
        8: [at_distance(face, 0.80, 4)],
        9: [at_distance(face, 0.85, 5)],
    }
    assert who(face, candidates) == ("match", 7)


def test_over_the_kiosk_threshold_nobody_is_named_though_the_phone_would_match():
    face = unit(1)
    candidates = {7: [at_distance(face, 0.45, 2)], 8: [at_distance(face, 0.9, 3)]}
    verdict, _ = who(face, candidates)
    assert verdict == "unsure"  # 0.45 passes the phone's 1:1 tolerance 0.5, not the kiosk's


def test_a_close_second_names_nobody():
    face = unit(1)
    candidates = {7: [at_distance(face, 0.30, 2)], 8: [at_distance(face, 0.36, 3)]}
    assert who(face, candidates)[0] == "unsure"  # 0.06 apart, the margin is 0.1
    candidates[8] = [at_distance(face, 0.41, 3)]
    assert who(face, candidates) == ("match", 7)  # 0.11 apart


def test_two_references_of_one_person_never_compete():
    face = unit(1)
    candidates = {7: [at_distance(face, 0.30, 2), at_distance(face, 0.32, 3)], 8: [unit(9)]}
    assert who(face, candidates) == ("match", 7)


def test_nobody_enrolled_or_no_face_names_nobody():
    face = unit(1)
    assert who(face, {})[0] == "unsure"
    assert who(face, {7: []})[0] == "unsure"
    assert kiosk.decide(0, recognition.Identification("unknown", None, None, None)) == "no_face"


def test_one_enrolled_person_is_named_on_the_threshold_alone():
    face = unit(1)
    assert who(face, {7: [at_distance(face, 0.40, 2)]}) == ("match", 7)


def test_in_until_already_in_and_afternoon():
    noon = dt.time(12, 0)
    assert kiosk_kind(False, dt.time(7, 10), noon) == "in"
    assert kiosk_kind(True, dt.time(7, 15), noon) == "in"  # twice in the morning: no PSW
    assert kiosk_kind(False, dt.time(13, 0), noon) == "in"  # came late: still a check-in
    assert kiosk_kind(True, dt.time(16, 5), noon) == "out"


def test_the_signature_covers_every_part_and_the_kiosk():
    parts = [("meta", b'{"client_id": "x"}'), ("photo", b"jpeg"), ("frame0", b"f")]
    message = kiosk.signed_message(3, parts)
    assert message.startswith(b"hadir-kiosk-v1\ncapture\n3\nmeta=")
    assert kiosk.signed_message(4, parts) != message
    assert kiosk.signed_message(3, [*parts[:2], ("frame0", b"g")]) != message
    assert kiosk.signed_message(3, parts[:2]) != message  # a frame left out


def test_activation_codes_are_random_and_typed_loosely():
    code = kiosk.activation_code()
    assert len(code) == 14 and code.count("-") == 2
    assert kiosk.activation_code() != code
    assert kiosk.code_hash(code.lower().replace("-", " ")) == kiosk.code_hash(code)


def test_states_of_a_kiosk():
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    row = {"revoked_at": None, "activated_at": None, "code_expires_at": now}
    assert kiosk.kiosk_state(row, now - dt.timedelta(hours=1)) == "waiting"
    assert kiosk.kiosk_state(row, now) == "expired"
    assert kiosk.kiosk_state({**row, "activated_at": now}, now) == "active"
    assert kiosk.kiosk_state({**row, "activated_at": now, "revoked_at": now}, now) == "revoked"


def test_the_words_greet_by_name_and_say_when_bkd_checks():
    local = dt.datetime(2026, 12, 1, 7, 12)
    ok = kiosk.result_message("Budi", "in", local, "accepted", [])
    assert ok == "Selamat pagi, Budi. Presensi masuk tercatat 07:12."
    failed = [Reason("liveness_failed", "Kepala tidak menoleh ke kiri")]
    flagged = kiosk.result_message("Budi", "out", local.replace(hour=16), "flagged", failed)
    assert flagged.startswith("Selamat sore, Budi. Presensi pulang tercatat 16:12")
    assert "diperiksa BKD" in flagged and "menoleh ke kiri" in flagged


def test_a_capture_sent_again_matches_whatever_its_sent_at():
    meta = kiosk.KioskCaptureMeta(
        client_id=uuid.uuid4(),
        captured_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        sent_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    later = kiosk.KioskCaptureMeta(
        client_id=meta.client_id,
        captured_at=meta.captured_at,
        sent_at=meta.sent_at + dt.timedelta(hours=2),
    )
    assert kiosk.capture_hash(meta, b"a") == kiosk.capture_hash(later, b"a")
    assert kiosk.capture_hash(meta, b"a") != kiosk.capture_hash(meta, b"b")


def test_a_gallery_stacked_once_decides_as_the_dict_does():
    rng = np.random.default_rng(3)
    face = unit(1)
    candidates = {
        n: [at_distance(face, rng.uniform(0.2, 0.9), 100 * n + k) for k in range(n % 3 + 1)]
        for n in range(1, 40)
    }
    candidates[40] = []  # enrolled nobody: never a candidate
    gallery = recognition.gallery_of(candidates)
    assert len(gallery.people) == 39
    for tolerance, margin in ((0.42, 0.1), (0.6, 0.01), (0.1, 0.1)):
        assert recognition.identify(
            face, gallery, tolerance=tolerance, margin=margin
        ) == recognition.identify(face, candidates, tolerance=tolerance, margin=margin)
