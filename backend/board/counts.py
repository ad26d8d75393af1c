"""The board's counting rules, pure: what one employee-day adds to its unit's counts, the change
between two states, and a unit's day from its counts and its staff expected.

A day record counts as:
- `present` (checked in), and also `late` when it carries a TL category and `early` when it
  carries a PSW one;
- `present` and `attested` on a head of unit's attestation (state `attested`: no signal, a
  dead phone; attendance tells an attested present day so);
- `permit` and `permit:<kind>` on an approved permit;
- `absent` once the day is over without any record;
- nothing while the day is open with no record yet ("not yet in"), on a holiday or a day off.

"Not yet in" is not stored: the staff expected today (from org's schedules and holidays) less
those counted present, on permit or absent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from backend.attendance.day_status import window_for
from backend.board.schemas import DayTrend, WeekdayTrend

Counts = dict[str, int]
DayState = tuple[str, str | None, str | None, str | None]  # status, permit, tl, psw


def contribution(state: DayState | None) -> Counts:
    if state is None:
        return {}
    status, permit, tl, psw = state
    if status == "attested":
        return {"present": 1, "attested": 1}
    if status == "present":
        counts = {"present": 1}
        if tl:
            counts["late"] = 1
        if psw:
            counts["early"] = 1
        return counts
    if status == "permit":
        return {"permit": 1, f"permit:{permit or 'lainnya'}": 1}
    if status == "absent":
        return {"absent": 1}
    return {}


def change(old: DayState | None, new: DayState | None) -> Counts:
    """The increments that turn the counts holding `old` into the counts holding `new` (the
    same unit); zero entries left out."""
    delta: Counter[str] = Counter(contribution(new))
    delta.subtract(contribution(old))
    return {key: n for key, n in delta.items() if n}


def recount(states: Iterable[DayState]) -> Counts:
    """The counts of a unit's day computed afresh from its states (tests, rebuilds)."""
    total: Counter[str] = Counter()
    for state in states:
        total.update(contribution(state))
    return {key: n for key, n in total.items() if n}


def expected_today(
    schedule_days: Mapping[str, list[str]], day: dt.date, holiday: str | None
) -> bool:
    """Whether someone on this schedule is expected at work on `day`."""
    return holiday is None and window_for(schedule_days, day) is not None


def not_yet_in(expected: int, counts: Mapping[str, int]) -> int:
    seen = counts.get("present", 0) + counts.get("permit", 0) + counts.get("absent", 0)
    return max(0, expected - seen)


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def staff_state(state: DayState | None, *, checked_in: bool, expected: bool) -> str:
    """How a head sees one of their staff today: in | late | attested | permit | absent |
    not_yet_in | off.
    A check-in still being verified or waiting for BKD's review already shows the person in
    (the day record counts only accepted ones, so it may say absent until then)."""
    status = state[0] if state else None
    if status == "permit":
        return "permit"
    if status == "attested":
        return "attested"
    if status == "present":
        return "late" if state and state[2] else "in"
    if checked_in:
        return "in"
    if status == "absent":
        return "absent"
    return "not_yet_in" if expected else "off"


def watch_order(watch: Any) -> tuple[int, int, int]:
    """Those nearest the next PP 94/2021 threshold first (the dismissed, with nothing further
    to reach, last), then the most days late or absent."""
    following = watch.discipline.next_threshold
    return (
        following if following is not None else 10_000,
        -(watch.absent_days + watch.late_days),
        -watch.absent_days,
    )


def presence_trend(
    per_day: Mapping[dt.date, Mapping[str, int]], start: dt.date, end: dt.date
) -> list[DayTrend]:
    result = []
    day = start
    while day <= end:
        c = per_day.get(day, {})
        present, absent, permit = c.get("present", 0), c.get("absent", 0), c.get("permit", 0)
        result.append(
            DayTrend(
                date=day,
                present=present,
                late=c.get("late", 0),
                absent=absent,
                permit=permit,
                share_present=share(present, present + absent + permit),
            )
        )
        day += dt.timedelta(days=1)
    return result


def weekday_trend(per_day: Mapping[dt.date, Mapping[str, int]]) -> list[WeekdayTrend]:
    present: Counter[int] = Counter()
    late: Counter[int] = Counter()
    for day, c in per_day.items():
        present[day.isoweekday()] += c.get("present", 0)
        late[day.isoweekday()] += c.get("late", 0)
    return [
        WeekdayTrend(
            weekday=weekday,
            present=present[weekday],
            late=late[weekday],
            share_late=share(late[weekday], present[weekday]),
        )
        for weekday in range(1, 8)
    ]
