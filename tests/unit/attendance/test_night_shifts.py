"""Records belong to the shift they open or close, not to their calendar date.

A 22:00-06:00 night worker who is on time every day must be on time every day: the check-out
at 06:05 closes the shift that started the evening before, the check-in at 21:50 opens the
shift that starts at 22:00.
"""

import datetime as dt

from backend.attendance.day_status import (
    DayInput,
    day_over,
    day_status,
    shift_bounds,
    window_for,
    work_date_for,
)
from backend.core.settings import TppRules
from backend.org.demo_data import SCHEDULES

RULES = TppRules()
NIGHTS = {str(d): ["22:00", "06:00"] for d in range(1, 6)}  # shifts starting Mon..Fri evening
FIVE_DAY = {str(k): list(v) for k, v in next(s for s in SCHEDULES if s.code == "5HK").days.items()}

MONDAY = dt.date(2026, 11, 23)


def at(day: dt.date, text: str, plus_days: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time.fromisoformat(text))


# --- which shift a record belongs to ----------------------------------------------------------


def test_a_morning_check_out_closes_the_shift_of_the_evening_before() -> None:
    assert work_date_for(at(MONDAY, "06:05", 1), NIGHTS) == MONDAY
    assert work_date_for(at(MONDAY, "05:30", 1), NIGHTS) == MONDAY
    # Friday's night ends on Saturday morning, a day without a shift of its own.
    friday = MONDAY + dt.timedelta(days=4)
    assert work_date_for(at(friday, "06:05", 1), NIGHTS) == friday


def test_an_evening_check_in_opens_the_shift_starting_that_evening() -> None:
    assert work_date_for(at(MONDAY, "21:50"), NIGHTS) == MONDAY
    # After midnight, still Monday's shift (late by the hours since 22:00).
    assert work_date_for(at(MONDAY, "00:30", 1), NIGHTS) == MONDAY


def test_a_record_far_from_any_shift_keeps_its_calendar_date() -> None:
    saturday = MONDAY + dt.timedelta(days=5)
    sunday = MONDAY + dt.timedelta(days=6)
    # Saturday afternoon is more than half an off-duty gap after Friday's night.
    assert work_date_for(at(saturday, "15:00"), NIGHTS) == saturday
    assert work_date_for(at(sunday, "10:00"), NIGHTS) == sunday
    # A weekend check-in on a day schedule is on its own (off) day, not Friday's.
    assert work_date_for(at(saturday, "10:00"), FIVE_DAY) == saturday
    assert work_date_for(at(MONDAY, "10:00"), {}) == MONDAY


def test_day_shifts_keep_their_calendar_date() -> None:
    for text in ("06:00", "07:25", "12:00", "16:05", "22:00"):
        assert work_date_for(at(MONDAY, text), FIVE_DAY) == MONDAY, text


def test_a_late_evening_record_is_not_the_next_mornings_check_in() -> None:
    # 22:46 is more than EARLIEST_BEFORE_START before Tuesday's 07:00 (or 07:30) start: an
    # "in" then must not make the employee on time tomorrow (and the ASN's app, which shows
    # today, would not see it). Before the cap, 22:31 already counted for tomorrow.
    teacher = {str(d): ["07:00", "14:00"] for d in range(1, 7)}
    for days in (teacher, FIVE_DAY):
        assert work_date_for(at(MONDAY, "22:46"), days) == MONDAY
        assert work_date_for(at(MONDAY, "23:59"), days) == MONDAY
    tuesday = MONDAY + dt.timedelta(days=1)
    assert work_date_for(at(tuesday, "03:30"), teacher) == tuesday  # within the cap: early
    # The night shift still owns the evening before its 22:00 start, up to the cap.
    assert work_date_for(at(MONDAY, "18:30"), NIGHTS) == MONDAY
    sunday = MONDAY - dt.timedelta(days=1)
    assert work_date_for(at(sunday, "23:00"), teacher) == sunday


def test_a_shift_starting_just_after_midnight_owns_the_check_in_just_before() -> None:
    early = {"2": ["00:10", "08:00"]}
    assert work_date_for(at(MONDAY, "23:55"), early) == MONDAY + dt.timedelta(days=1)


def test_shift_bounds_and_when_a_day_is_over() -> None:
    window = window_for(NIGHTS, MONDAY)
    assert shift_bounds(MONDAY, window) == (at(MONDAY, "22:00"), at(MONDAY, "06:00", 1))
    assert not day_over(MONDAY, window, at(MONDAY, "23:00"))
    assert not day_over(MONDAY, window, at(MONDAY, "03:00", 1))
    assert day_over(MONDAY, window, at(MONDAY, "06:00", 1))
    day = window_for(FIVE_DAY, MONDAY)
    assert not day_over(MONDAY, day, at(MONDAY, "15:59"))
    assert day_over(MONDAY, day, at(MONDAY, "16:00"))
    # A day off is over when its calendar day is.
    assert not day_over(MONDAY, None, at(MONDAY, "23:59"))
    assert day_over(MONDAY, None, at(MONDAY, "00:00", 1))


# --- the day status from records assigned to their shift ----------------------------------


def week(records: list[tuple[str, dt.datetime]], schedule: dict) -> dict[dt.date, DayInput]:
    """Group records by their shift's work date, as the service does."""
    grouped: dict[dt.date, tuple[list[dt.datetime], list[dt.datetime]]] = {}
    for kind, when in records:
        ins, outs = grouped.setdefault(work_date_for(when, schedule), ([], []))
        (ins if kind == "in" else outs).append(when)
    days = [MONDAY + dt.timedelta(days=i) for i in range(7)]
    return {
        day: DayInput(
            day,
            window_for(schedule, day),
            check_ins=grouped.get(day, ([], []))[0],
            check_outs=grouped.get(day, ([], []))[1],
        )
        for day in days
    }


def test_a_night_worker_on_time_every_day_is_on_time_every_day() -> None:
    records = []
    for i in range(5):
        records += [("in", at(MONDAY, "21:50", i)), ("out", at(MONDAY, "06:05", i + 1))]
    statuses = {d: day_status(inp, RULES) for d, inp in week(records, NIGHTS).items()}
    for i in range(5):
        result = statuses[MONDAY + dt.timedelta(days=i)]
        assert (result.status, result.tl, result.psw, result.deduction_pct) == (
            "present",
            None,
            None,
            0.0,
        ), result
    assert {statuses[MONDAY + dt.timedelta(days=i)].status for i in (5, 6)} == {"off"}


def test_night_shift_late_arrival_and_early_leave_are_measured_across_midnight() -> None:
    records = [
        ("in", at(MONDAY, "22:20")),  # Monday: 20 minutes late
        ("out", at(MONDAY, "06:00", 1)),
        ("in", at(MONDAY, "21:55", 1)),  # Tuesday: leaves 45 minutes early
        ("out", at(MONDAY, "05:15", 2)),
        ("in", at(MONDAY, "00:45", 3)),  # Wednesday's shift, checked in after midnight
        ("out", at(MONDAY, "06:10", 3)),
        ("in", at(MONDAY, "21:58", 3)),  # Thursday: no check-out at all
    ]
    inputs = week(records, NIGHTS)
    monday, tuesday, wednesday, thursday, friday = (
        day_status(inputs[MONDAY + dt.timedelta(days=i)], RULES) for i in range(5)
    )
    assert (monday.tl, monday.late_minutes, monday.psw) == ("TL1", 20, None)
    assert (tuesday.tl, tuesday.psw, tuesday.early_minutes) == (None, "PSW2", 45)
    assert (wednesday.tl, wednesday.late_minutes, wednesday.psw) == ("TL4", 165, None)
    assert (thursday.tl, thursday.psw, thursday.deduction_pct) == (None, "PSW4", 2.5)
    assert friday.status == "absent"


def test_an_open_night_shift_is_not_judged_before_it_ends() -> None:
    window = window_for(NIGHTS, MONDAY)
    inp = DayInput(
        MONDAY,
        window,
        check_ins=[at(MONDAY, "21:55")],
        day_over=day_over(MONDAY, window, at(MONDAY, "03:00", 1)),
    )
    result = day_status(inp, RULES)
    assert (result.status, result.psw) == ("present", None)
    assert "Belum presensi pulang" in result.reasons
