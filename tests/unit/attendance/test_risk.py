"""The spoof-risk score: each part on its own, then the total, its cap and `high_risk`."""

import base64
import datetime as dt

import msgspec
import pytest

from backend.attendance import risk
from backend.attendance.reviews import decode_risk_cursor, encode_risk_cursor
from backend.attendance.risk import CctvSignal, Past, RiskSignals
from backend.attendance.schemas import Reason
from backend.core.errors import Invalid
from backend.core.settings import RiskRules, RiskWeights, Settings

RULES = RiskRules()
W = RULES.weights
DAY = dt.date(2026, 12, 1)


def r(*codes: str) -> list[Reason]:
    return [Reason(code, f"pesan {code}") for code in codes]


def past(days_ago: int, lat=-6.9678123, lon=111.4178456, accuracy=12.3, device=None) -> Past:
    return Past(DAY - dt.timedelta(days=days_ago), lat, lon, accuracy, device)


# --- accuracy ----------------------------------------------------------------------------------


def test_accuracy_that_wanders_gives_nothing():
    part = risk.accuracy_part(14.2, [11.0, 17.5, 9.8, 14.3], RULES)
    assert (part.code, part.points, part.weight) == ("accuracy", 0, W.accuracy)
    assert "wajar" in part.sentence


def test_an_implausibly_exact_accuracy_gives_the_whole_weight():
    part = risk.accuracy_part(1.0, [], RULES)
    assert part.points == W.accuracy
    assert "terlalu tepat" in part.sentence and "1 m" in part.sentence


def test_the_same_accuracy_again_and_again_grows_to_the_whole_weight():
    once = risk.accuracy_part(5.0, [5.0, 7.1], RULES)
    twice = risk.accuracy_part(5.0, [5.0, 5.0, 7.1], RULES)
    thrice = risk.accuracy_part(5.0, [5.0, 5.0, 5.0, 9.0], RULES)
    assert once.points == 0
    assert twice.points == pytest.approx(W.accuracy / 2)
    assert thrice.points == W.accuracy
    assert "sama persis dengan 3 presensi" in thrice.sentence


def test_no_fix_no_accuracy_points():
    assert risk.accuracy_part(None, [5.0, 5.0, 5.0], RULES).points == 0


# --- coordinates -------------------------------------------------------------------------------


def test_coordinates_that_jitter_give_nothing():
    history = [past(1, -6.9678311, 111.4177902), past(2, -6.9677640, 111.4178801)]
    part = risk.coordinates_part(-6.9678123, 111.4178456, DAY, history, RULES)
    assert part.points == 0 and "bergeser wajar" in part.sentence


def test_identical_coordinates_on_other_days_are_suspicious():
    one_day = [past(1)]
    two_days = [past(1), past(2), past(2)]
    same_day = [past(0)]
    assert risk.coordinates_part(-6.9678123, 111.4178456, DAY, same_day, RULES).points == 0
    half = risk.coordinates_part(-6.9678123, 111.4178456, DAY, one_day, RULES)
    full = risk.coordinates_part(-6.9678123, 111.4178456, DAY, two_days, RULES)
    assert half.points == pytest.approx(W.coordinates / 2)
    assert full.points == W.coordinates
    assert "pada 2 hari lain" in full.sentence


def test_coordinates_with_too_few_decimals_look_typed():
    part = risk.coordinates_part(-6.9667, 111.4167, DAY, [], RULES)
    assert part.points == W.coordinates and "4 angka desimal" in part.sentence


def test_decimals_are_counted_as_sent():
    assert risk.decimals(111.4167) == 4
    assert risk.decimals(-6.96781234) == 8
    assert risk.decimals(1e-05) == 5  # near the equator: Pontianak
    assert risk.decimals(110.0) == 1


# --- travel, clock, mock -----------------------------------------------------------------------


def test_impossible_travel_gives_the_whole_weight_in_its_own_words():
    reasons = [Reason("impossible_travel", "Berpindah 120 km dalam 10 menit")]
    part = risk.travel_part(reasons, RULES)
    assert part.points == W.travel and part.sentence == "Berpindah 120 km dalam 10 menit."
    assert risk.travel_part(r("inside_fence"), RULES).points == 0


def test_clock_skew_counts_by_its_size_and_late_sync_a_little():
    assert risk.clock_part(r("inside_fence"), 20, RULES).points == 0
    small = risk.clock_part(r("clock_skew"), 600, RULES)
    large = risk.clock_part(r("clock_skew"), -7200, RULES)
    late = risk.clock_part(r("late_sync"), 0, RULES)
    assert 0.5 * W.clock < small.points < large.points == W.clock
    assert "selisih 10 menit" in small.sentence
    assert late.points == pytest.approx(RULES.late_sync_share * W.clock)


def test_mock_location_gives_the_whole_weight():
    assert risk.mock_part(r("mock_location"), RULES).points == W.mock
    assert risk.mock_part(r("inside_fence"), RULES).points == 0


# --- device --------------------------------------------------------------------------------------


def test_device_usual_earlier_or_new():
    assert risk.device_part(None, [1, 1], RULES).points == 0  # no device key (yet)
    assert risk.device_part(3, [], RULES).points == 0  # nothing to compare with
    assert risk.device_part(1, [1, 1, 2], RULES).points == 0
    seen = risk.device_part(2, [1, 1, 2], RULES)
    assert seen.points == pytest.approx(RULES.device_seen_share * W.device)
    new = risk.device_part(9, [1, 1, 2], RULES)
    assert new.points == W.device and "perangkat baru" in new.sentence


# --- liveness and face -------------------------------------------------------------------------


def test_liveness_failed_passed_or_missing():
    assert risk.liveness_part(r("liveness_failed"), RULES).points == W.liveness
    assert risk.liveness_part(r("liveness_passed"), RULES).points == 0
    missing = risk.liveness_part(r("face_match"), RULES)
    assert missing.points == pytest.approx(RULES.no_liveness_share * W.liveness)
    assert "Tanpa tantangan gerak" in missing.sentence


def test_a_face_closer_to_the_tolerance_gives_more_points():
    points = [
        risk.face_part("face_match", d, 0.5, RULES).points for d in (0.1, 0.35, 0.4, 0.45, 0.5)
    ]
    assert points[0] == points[1] == 0
    assert points[1] < points[2] < points[3] < points[4] == W.face
    assert risk.face_part("face_mismatch", 0.7, 0.5, RULES).points == W.face
    assert "mendekati batas 0,5" in risk.face_part("face_match", 0.45, 0.5, RULES).sentence


def test_no_face_to_compare_counts_but_not_enrolled_does_not():
    assert risk.face_part("no_face", None, 0.5, RULES).points == W.face
    assert risk.face_part("multiple_faces", None, 0.5, RULES).points == W.face
    assert risk.face_part("not_enrolled", None, 0.5, RULES).points == 0


# --- CCTV ----------------------------------------------------------------------------------------


def test_cctv_that_saw_the_face_takes_points_off_and_unseen_adds_a_little():
    assert risk.cctv_part(None, RULES).points == 0
    assert risk.cctv_part(CctvSignal(0, 0), RULES).points == 0
    seen = risk.cctv_part(CctvSignal(3, 1, 0.41), RULES)
    assert seen.points == -W.cctv and "1 dari 3 foto CCTV" in seen.sentence
    unseen = risk.cctv_part(CctvSignal(2, 0), RULES)
    assert unseen.points == pytest.approx(RULES.cctv_unseen_share * W.cctv)
    assert "tidak terlihat" in unseen.sentence


# --- the total ---------------------------------------------------------------------------------


def clean(**changes) -> RiskSignals:
    base = RiskSignals(
        reasons=r("inside_fence", "liveness_passed", "face_match"),
        work_date=DAY,
        lat=-6.9678123,
        lon=111.4178456,
        accuracy_m=14.2,
        skew_s=3,
        face_code="face_match",
        face_distance=0.2,
        history=[past(1, -6.9677311, 111.4177902, 11.0), past(2, -6.9679, 111.41791, 16.4)],
    )
    return msgspec.structs.replace(base, **changes)


def test_a_clean_record_scores_zero_with_every_part_explained():
    score = risk.score(clean(), RULES, 100)
    assert score.total == 0
    assert [p.code for p in score.parts] == list(risk.LABELS)
    assert all(p.sentence.endswith(".") for p in score.parts)
    assert risk.high_risk_reason(score, 50) is None


def test_the_total_is_the_sum_of_the_parts_capped_at_the_scale():
    spoofed = clean(
        reasons=r("mock_location", "impossible_travel", "liveness_failed", "face_match"),
        accuracy_m=1.0,
        lat=-6.9667,
        lon=111.4167,
        face_distance=0.48,
    )
    score = risk.score(spoofed, RULES, 100)
    raw = sum(p.points for p in score.parts)
    assert raw > 100 and score.total == 100
    assert risk.score(spoofed, RULES, 80).total == 80
    some = risk.score(clean(reasons=r("mock_location", "face_match")), RULES, 100)
    assert some.total == pytest.approx(W.mock + RULES.no_liveness_share * W.liveness)


def test_cctv_evidence_lowers_the_total_but_never_below_zero():
    with_face = risk.score(clean(cctv=CctvSignal(2, 2, 0.3)), RULES, 100)
    assert with_face.total == 0
    mocked = clean(reasons=r("mock_location", "liveness_passed", "face_match"))
    assert risk.score(mocked, RULES, 100).total == W.mock
    seen = risk.score(msgspec.structs.replace(mocked, cctv=CctvSignal(1, 1)), RULES, 100)
    assert seen.total == W.mock - W.cctv


def test_weights_are_settings_and_only_the_newest_history_counts():
    rules = RiskRules(weights=RiskWeights(mock=60, liveness=0), history=2)
    score = risk.score(clean(reasons=r("mock_location")), rules, 100)
    assert score.total == 60
    same = [past(n, lat=-6.96779 - n / 1e5, accuracy=5.0) for n in (1, 2, 3, 4)]
    mocked = clean(reasons=r("mock_location"), accuracy_m=5.0, history=same)
    assert risk.score(mocked, rules, 100).total == pytest.approx(
        60 + rules.weights.accuracy / 2  # two of the four looked at: half
    )
    loaded = Settings.from_env({"HADIR_RISK_RULES": '{"weights": {"mock": 40}}'})
    assert loaded.risk_rules.weights.mock == 40 and loaded.risk_rules.weights.travel == W.travel


def test_high_risk_names_the_heaviest_parts_without_numbers():
    score = risk.score(
        clean(reasons=r("mock_location", "impossible_travel", "face_match"), accuracy_m=0.5),
        RULES,
        100,
    )
    reason = risk.high_risk_reason(score, 50)
    assert reason is not None and reason.code == "high_risk"
    assert reason.message == (
        "Risiko pemalsuan tinggi, terutama dari lokasi palsu, perjalanan mustahil, pola akurasi GPS"
    )
    assert not any(ch.isdigit() for ch in reason.message)
    assert risk.high_risk_reason(score, score.total) is not None  # at the threshold
    assert risk.high_risk_reason(score, score.total + 0.1) is None


def test_the_risk_cursor_round_trips_and_refuses_nonsense():
    assert decode_risk_cursor(encode_risk_cursor(72.5, 41)) == (72.5, 41)
    assert decode_risk_cursor(encode_risk_cursor(None, 3)) == (-1.0, 3)  # unscored: last
    for bad in ("risk|nan|1", "risk|1|99999999999999999999", "time|1|1", "risk|x|1", "%%%"):
        token = base64.urlsafe_b64encode(bad.encode()).decode().rstrip("=")
        with pytest.raises(Invalid):
            decode_risk_cursor(token)
