"""The check-in rules as plain functions: clock correction, flags, the final status."""

import datetime as dt
import uuid

import pytest

from backend.attendance.schemas import CheckInMeta, Reason
from backend.attendance.service import (
    Clock,
    Neighbour,
    assess,
    content_hash,
    correct_clock,
    final_status,
    selfie_key,
    travel_reason,
)
from backend.core.errors import Invalid
from backend.core.settings import Settings
from backend.geofence.fences import Decision, FenceCheck

SETTINGS = Settings()
NOW = dt.datetime(2026, 11, 23, 0, 15, tzinfo=dt.UTC)  # 07:15 WIB


def make_meta(**overrides: object) -> CheckInMeta:
    values: dict[str, object] = {
        "client_id": uuid.UUID("8f6c2a1e-4d0b-4c8e-9a51-3c2f1d7b6e10"),
        "kind": "in",
        "lat": -7.139,
        "lon": 111.312,
        "accuracy_m": 12.0,
        "captured_at": NOW,
        "sent_at": NOW,
    }
    values.update(overrides)
    return CheckInMeta(**values)  # type: ignore[arg-type]


def inside(distance: float = 0.0, exceeded: bool = False) -> FenceCheck:
    return FenceCheck(
        location_id=7, decision=Decision.INSIDE, distance_m=distance, accuracy_exceeded=exceeded
    )


def run(
    meta: CheckInMeta,
    fence: FenceCheck | None,
    neighbours: list[Neighbour] | None = None,
    received: dt.datetime = NOW,
):
    clock = correct_clock(meta, received, SETTINGS)
    return assess(
        meta,
        received_at=received,
        clock=clock,
        fence=fence,
        fence_name="SD Negeri 1 Bleboh",
        settings=SETTINGS,
    )


def test_a_slow_phone_clock_is_corrected_by_the_send_time() -> None:
    # The phone is 7 minutes behind: it says it captured at 07:05 and sent at 07:08.
    phone_capture = NOW - dt.timedelta(minutes=10)
    phone_sent = NOW - dt.timedelta(minutes=7)
    clock = correct_clock(make_meta(captured_at=phone_capture, sent_at=phone_sent), NOW, SETTINGS)
    assert clock.skew == dt.timedelta(minutes=7)
    assert clock.corrected_captured_at == NOW - dt.timedelta(minutes=3)


def test_a_capture_dated_after_its_send_is_refused() -> None:
    with pytest.raises(Invalid, match="masa depan: lebih lambat dari waktu kirim"):
        correct_clock(make_meta(captured_at=NOW + dt.timedelta(hours=1)), NOW, SETTINGS)


def test_a_phone_clock_hours_ahead_is_corrected_not_refused() -> None:
    ahead = NOW + dt.timedelta(hours=3)
    clock = correct_clock(make_meta(captured_at=ahead, sent_at=ahead), NOW, SETTINGS)
    assert clock.corrected_captured_at == NOW
    _, reasons = run(make_meta(captured_at=ahead, sent_at=ahead), inside())
    assert reasons[0] == Reason("clock_skew", "Jam ponsel lebih cepat 3,0 jam dari jam server")


def test_within_tolerance_the_clock_is_accepted() -> None:
    meta = make_meta(captured_at=NOW + dt.timedelta(seconds=SETTINGS.future_tolerance_s - 1))
    correct_clock(meta, NOW, SETTINGS)


def test_inside_with_a_good_fix_waits_only_for_the_face() -> None:
    status, reasons = run(make_meta(), inside())
    assert status == "pending"
    assert reasons == [Reason("inside_fence", "Di dalam area SD Negeri 1 Bleboh")]
    assert final_status([*reasons, Reason("face_match", "ok")]) == "accepted"


def test_outside_is_rejected_with_the_distance_in_words() -> None:
    fence = FenceCheck(
        location_id=7, decision=Decision.OUTSIDE, distance_m=1234.0, accuracy_exceeded=False
    )
    status, reasons = run(make_meta(), fence)
    assert status == "rejected"
    assert reasons[-1] == Reason(
        "outside_fence", "Di luar area presensi: 1,2 km dari SD Negeri 1 Bleboh"
    )
    fence = FenceCheck(
        location_id=7, decision=Decision.OUTSIDE, distance_m=120.4, accuracy_exceeded=False
    )
    assert (
        run(make_meta(), fence)[1][-1].message
        == "Di luar area presensi: 120 m dari SD Negeri 1 Bleboh"
    )
    assert final_status([*reasons, Reason("face_match", "ok")]) == "rejected"


def test_uncertain_and_poor_accuracy_are_flags() -> None:
    fence = FenceCheck(
        location_id=7, decision=Decision.UNCERTAIN, distance_m=35.0, accuracy_exceeded=True
    )
    status, reasons = run(make_meta(accuracy_m=250.0), fence)
    codes = [r.code for r in reasons]
    assert status == "pending"
    assert codes == ["low_accuracy", "near_fence"]
    assert "250 m" in reasons[0].message
    assert final_status([*reasons, Reason("face_match", "ok")]) == "flagged"


@pytest.mark.parametrize(
    ("skew_minutes", "flagged"), [(4, False), (6, True), (-6, True), (-4, False)]
)
def test_clock_skew_beyond_the_setting_is_flagged(skew_minutes: int, flagged: bool) -> None:
    phone = NOW - dt.timedelta(minutes=skew_minutes)
    _, reasons = run(make_meta(captured_at=phone, sent_at=phone), inside())
    assert ("clock_skew" in [r.code for r in reasons]) is flagged


def test_a_record_arriving_a_day_late_is_flagged_not_refused() -> None:
    captured = NOW - dt.timedelta(hours=30)
    status, reasons = run(make_meta(captured_at=captured), inside())
    assert status == "pending"
    late = next(r for r in reasons if r.code == "late_sync")
    assert late.message == "Direkam 30,0 jam sebelum diterima server"


def test_no_fix_and_no_fence_are_flags() -> None:
    _, reasons = run(make_meta(lat=None, lon=None, accuracy_m=None), None)
    assert [r.code for r in reasons] == ["no_location"]
    _, reasons = run(make_meta(), None)
    assert [r.code for r in reasons] == ["no_fence"]


def test_mock_location_hint_is_flagged() -> None:
    _, reasons = run(make_meta(mock_location=True), inside())
    assert "mock_location" in [r.code for r in reasons]


def test_travel_faster_than_the_limit_is_impossible() -> None:
    # Blora town to the school in Jiken (~22 km) in 5 minutes: 260 km/h.
    town = Neighbour(lat=-6.969, lon=111.417, at=NOW - dt.timedelta(minutes=5))
    reason = travel_reason(-7.139, 111.312, NOW, [town], SETTINGS.max_travel_kmh)
    assert reason is not None and reason.code == "impossible_travel"
    assert "5 menit" in reason.message
    # The same trip in 30 minutes (44 km/h) is a motorbike ride.
    town = Neighbour(lat=-6.969, lon=111.417, at=NOW - dt.timedelta(minutes=30))
    assert travel_reason(-7.139, 111.312, NOW, [town], SETTINGS.max_travel_kmh) is None


def test_gps_jitter_under_a_kilometre_is_never_travel() -> None:
    near = Neighbour(lat=-7.1395, lon=111.3125, at=NOW)
    assert travel_reason(-7.139, 111.312, NOW, [near], SETTINGS.max_travel_kmh) is None


def test_records_after_the_new_one_count_too() -> None:
    # Offline records arrive out of order: a later record far away also makes this impossible.
    later = Neighbour(lat=-6.969, lon=111.417, at=NOW + dt.timedelta(minutes=2))
    assert travel_reason(-7.139, 111.312, NOW, [later], SETTINGS.max_travel_kmh) is not None


def test_the_content_hash_ignores_the_send_time_only() -> None:
    meta = make_meta()
    resent = make_meta(sent_at=NOW + dt.timedelta(minutes=3))
    assert content_hash(meta, "ab") == content_hash(resent, "ab")
    assert content_hash(meta, "ab") != content_hash(meta, "cd")
    assert content_hash(meta, "ab") != content_hash(make_meta(kind="out"), "ab")
    assert content_hash(meta, "ab") != content_hash(make_meta(lat=-7.1391), "ab")


def test_selfie_keys_follow_the_design() -> None:
    key = selfie_key("199205142019042003", uuid.UUID(int=1), dt.date(2026, 11, 23))
    assert key == "selfies/2026/11/23/199205142019042003/00000000-0000-0000-0000-000000000001.jpg"


def test_final_status_needs_every_reason_to_be_good() -> None:
    good = [Reason("inside_fence", ""), Reason("face_match", "")]
    assert final_status(good) == "accepted"
    assert final_status([*good, Reason("clock_skew", "")]) == "flagged"
    assert final_status([Reason("inside_fence", ""), Reason("face_mismatch", "")]) == "flagged"
    assert final_status([Reason("outside_fence", ""), Reason("face_match", "")]) == "rejected"


def test_clock_is_a_value() -> None:
    assert Clock(skew=dt.timedelta(0), corrected_captured_at=NOW) == Clock(
        skew=dt.timedelta(0), corrected_captured_at=NOW
    )
