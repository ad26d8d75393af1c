"""The rules of an attestation: who may attest whom, which days, and how an attested day
stands in the day status beside real check-ins."""

import datetime as dt

import pytest

from backend.attendance.day_status import DayInput, Window, day_status, month_recap
from backend.attestations import rules
from backend.attestations.service import signature_verdict
from backend.board.counts import contribution, staff_state
from backend.core.errors import Forbidden, Invalid
from backend.core.settings import TppRules

RULES = TppRules()
MONDAY = dt.date(2026, 11, 23)
HOURS = Window(dt.time(7, 30), dt.time(16, 0))


def check(start: dt.date, end: dt.date, made_on: dt.date = MONDAY, today: dt.date = MONDAY) -> int:
    return rules.check_days(
        start, end, made_on=made_on, today=today, max_back_days=14, max_span_days=7
    )


def test_a_head_attests_their_unit_staff_but_never_themselves_nor_another_unit() -> None:
    rules.check_attester(1, 2, within_unit=True)
    with pytest.raises(Forbidden, match="sendiri"):
        rules.check_attester(1, 1, within_unit=True)
    with pytest.raises(Forbidden, match="unit Anda"):
        rules.check_attester(1, 3, within_unit=False)


def test_days_up_to_today_within_the_bounds() -> None:
    assert check(MONDAY, MONDAY) == 1
    assert check(MONDAY - dt.timedelta(days=6), MONDAY) == 7
    assert check(MONDAY - dt.timedelta(days=14), MONDAY - dt.timedelta(days=14)) == 1


def test_future_days_are_refused() -> None:
    with pytest.raises(Invalid, match="sudah lewat"):
        check(MONDAY, MONDAY + dt.timedelta(days=1))


def test_too_far_back_is_refused() -> None:
    with pytest.raises(Invalid, match="14 hari ke belakang"):
        check(MONDAY - dt.timedelta(days=15), MONDAY - dt.timedelta(days=15))


def test_too_long_a_range_and_a_reversed_range_are_refused() -> None:
    with pytest.raises(Invalid, match="7 hari sekaligus"):
        check(MONDAY - dt.timedelta(days=7), MONDAY)
    with pytest.raises(Invalid, match="sebelum tanggal mulai"):
        check(MONDAY, MONDAY - dt.timedelta(days=1))


def test_made_offline_days_ago_it_is_judged_by_when_it_was_made() -> None:
    # Made on Monday about last week, synced on Thursday: still fine.
    made = MONDAY
    assert check(made - dt.timedelta(days=5), made, made_on=made, today=made + dt.timedelta(3)) == 6
    # Made on Monday but it only arrives 20 days later: refused.
    with pytest.raises(Invalid, match="dibuat lebih dari 14 hari"):
        check(made, made, made_on=made, today=made + dt.timedelta(days=20))


def test_the_device_clock_is_corrected_and_never_ahead_of_arrival() -> None:
    received = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    # The phone's clock runs an hour slow: its times shift together.
    sent = received - dt.timedelta(hours=1)
    captured = sent - dt.timedelta(days=2)
    assert rules.corrected_capture(captured, sent, received) == received - dt.timedelta(days=2)
    assert rules.corrected_capture(received + dt.timedelta(days=1), received, received) == received


def test_an_attested_day_counts_present_without_deduction() -> None:
    status = day_status(DayInput(day=MONDAY, window=HOURS, attested="tidak ada sinyal"), RULES)
    assert status.status == "present" and status.attested
    assert status.deduction_pct == 0 and status.tl is None and status.psw is None
    assert "atestasi" in status.reasons[0] and "tidak ada sinyal" in status.reasons[0]


def test_a_real_check_in_wins_over_an_attestation() -> None:
    status = day_status(
        DayInput(
            day=MONDAY,
            window=HOURS,
            check_ins=[dt.time(8, 10)],
            check_outs=[dt.time(16, 5)],
            attested="tidak ada sinyal",
        ),
        RULES,
    )
    assert status.status == "present" and not status.attested
    assert status.tl == "TL2" and status.late_minutes == 40


def test_a_permit_and_a_holiday_stay_what_they_are() -> None:
    permit = day_status(
        DayInput(day=MONDAY, window=HOURS, permit="sakit", attested="tidak ada sinyal"), RULES
    )
    assert permit.status == "permit" and not permit.attested
    holiday = day_status(
        DayInput(day=MONDAY, window=HOURS, holiday="Libur", attested="tidak ada sinyal"), RULES
    )
    assert holiday.status == "holiday"


def test_the_month_counts_attested_days_among_present() -> None:
    days = [
        day_status(DayInput(day=MONDAY, window=HOURS, attested="tidak ada sinyal"), RULES),
        day_status(
            DayInput(
                day=MONDAY + dt.timedelta(days=1),
                window=HOURS,
                check_ins=[dt.time(7, 0)],
                check_outs=[dt.time(16, 0)],
            ),
            RULES,
        ),
    ]
    month = month_recap("1", "x", days, 0, RULES)
    assert month.days["present"] == 2 and month.days["attested"] == 1


def test_the_board_counts_an_attested_day_present_and_apart() -> None:
    assert contribution(("attested", None, None, None)) == {"present": 1, "attested": 1}
    assert staff_state(("attested", None, None, None), checked_in=False, expected=True) == (
        "attested"
    )


def test_signature_verdicts_for_bkd() -> None:
    assert signature_verdict(None) == "unsigned"
    assert signature_verdict([]) == "verified"
    assert signature_verdict([{"code": "signature_invalid", "message": "x"}]) == "failed"
