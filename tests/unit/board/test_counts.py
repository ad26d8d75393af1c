"""The board's counting rules: increments kept per change equal a recount, whatever the order."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from backend.attendance.day_status import Discipline
from backend.board import counts
from backend.board.schemas import Watch

STATES: list[counts.DayState | None] = [
    None,
    ("open", None, None, None),
    ("present", None, None, None),
    ("present", None, "TL1", None),
    ("present", None, "TL4", "PSW2"),
    ("present", None, None, "PSW1"),
    ("permit", "sakit", None, None),
    ("permit", "cuti_tahunan", None, None),
    ("permit", "dinas_luar", None, None),
    ("absent", None, None, None),
    ("holiday", None, None, None),
    ("off", None, None, None),
]


def test_increments_from_random_changes_equal_a_recount() -> None:
    rng = random.Random(20261130)
    for _ in range(200):
        people: dict[int, counts.DayState | None] = {}
        kept: Counter[str] = Counter()
        for _ in range(rng.randint(1, 80)):
            person = rng.randrange(12)
            new = rng.choice(STATES)
            kept.update(counts.change(people.get(person), new))
            people[person] = new
        assert {k: n for k, n in kept.items() if n} == counts.recount(
            s for s in people.values() if s is not None
        )


def test_what_each_state_counts() -> None:
    assert counts.contribution(("present", None, "TL2", "PSW1")) == {
        "present": 1,
        "late": 1,
        "early": 1,
    }
    assert counts.contribution(("permit", "sakit", None, None)) == {"permit": 1, "permit:sakit": 1}
    assert counts.contribution(("absent", None, None, None)) == {"absent": 1}
    for quiet in ("open", "holiday", "off"):
        assert counts.contribution((quiet, None, None, None)) == {}
    assert counts.change(("present", None, None, None), ("present", None, None, None)) == {}
    assert counts.change(("present", None, "TL1", None), ("permit", "izin", None, None)) == {
        "present": -1,
        "late": -1,
        "permit": 1,
        "permit:izin": 1,
    }


def test_not_yet_in_is_the_expected_less_those_seen() -> None:
    assert counts.not_yet_in(10, {"present": 4, "late": 2, "permit": 1, "absent": 1}) == 4
    assert counts.not_yet_in(2, {"present": 3}) == 0  # someone in on a day off
    assert counts.share(3, 4) == 0.75 and counts.share(1, 0) == 0.0


def test_expected_follows_the_schedule_and_holidays() -> None:
    five_day = {"1": ["07:30", "16:00"], "5": ["07:30", "16:30"]}
    monday = dt.date(2026, 11, 30)
    assert counts.expected_today(five_day, monday, None)
    assert not counts.expected_today(five_day, monday, "Hari libur")
    assert not counts.expected_today(five_day, monday + dt.timedelta(days=1), None)
    assert not counts.expected_today({}, monday, None)


def test_staff_state_for_the_head() -> None:
    state = counts.staff_state
    assert state(None, checked_in=False, expected=True) == "not_yet_in"
    assert state(None, checked_in=False, expected=False) == "off"
    assert state(None, checked_in=True, expected=True) == "in"  # still being verified
    assert state(("open", None, None, None), checked_in=False, expected=True) == "not_yet_in"
    assert state(("present", None, "TL1", None), checked_in=True, expected=True) == "late"
    assert state(("present", None, None, None), checked_in=True, expected=True) == "in"
    assert state(("permit", "sakit", None, None), checked_in=False, expected=True) == "permit"
    assert state(("absent", None, None, None), checked_in=False, expected=True) == "absent"
    assert state(("absent", None, None, None), checked_in=True, expected=True) == "in"


def _watch(name: str, absent: int, late: int, following: int | None) -> Watch:
    return Watch(
        nip=name,
        name=name,
        unit="U",
        late_days=late,
        absent_days=absent,
        absent_days_year=0,
        discipline=Discipline("x", "x", following),
    )


def test_watch_list_puts_those_nearest_the_next_threshold_first() -> None:
    people = [
        _watch("a", 0, 12, 3),
        _watch("b", 2, 0, 1),
        _watch("c", 1, 9, 1),
        _watch("d", 9, 9, None),
    ]
    assert [w.nip for w in sorted(people, key=counts.watch_order)] == ["c", "b", "a", "d"]


def test_trends() -> None:
    monday = dt.date(2026, 11, 30)
    per_day = {
        monday: {"present": 8, "late": 2, "absent": 1, "permit": 1},
        monday + dt.timedelta(days=7): {"present": 2, "late": 2},
    }
    days = counts.presence_trend(per_day, monday, monday + dt.timedelta(days=7))
    assert len(days) == 8 and days[0].share_present == 0.8 and days[1].present == 0
    weekdays = counts.weekday_trend(per_day)
    assert [w.weekday for w in weekdays] == list(range(1, 8))
    assert (weekdays[0].present, weekdays[0].late, weekdays[0].share_late) == (10, 4, 0.4)
