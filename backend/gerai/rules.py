"""The gerai's rules in plain functions: service hours written as people write them, and whether
a gerai is open, empty or closed at a moment. No I/O; tests call them directly."""

from __future__ import annotations

import datetime as dt
import re

OPEN, EMPTY, CLOSED = "open", "empty", "closed"

# ISO weekday of each day name as Indonesians write them (Jumat / Jum'at, Minggu / Ahad).
WEEKDAYS = {
    "senin": 1,
    "selasa": 2,
    "rabu": 3,
    "kamis": 4,
    "jumat": 5,
    "sabtu": 6,
    "minggu": 7,
    "ahad": 7,
}
DAY_WORDS = {1: "Senin", 2: "Selasa", 3: "Rabu", 4: "Kamis", 5: "Jumat", 6: "Sabtu", 7: "Minggu"}
_TIME = r"(\d{1,2})[.:](\d{2})"
_PART = re.compile(rf"^(?P<days>[a-z' ,\-–]+?)\s+{_TIME}\s*[-–]\s*{_TIME}$")

Hours = dict[str, list[str]]  # {"1": ["08:00", "15:00"]}: ISO weekday -> start, end (local)


def _clock(hour: str, minute: str, text: str) -> str:
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise ValueError(f"jam '{text}' tidak sah")
    return f"{h:02d}:{m:02d}"


def _days(words: str) -> list[int]:
    found: list[int] = []
    for piece in words.split(","):
        piece = piece.strip().replace("'", "")
        if not piece:
            continue
        ends = [w.strip() for w in re.split(r"\s*[-–]\s*|\s+s/?d\s+|\s+sampai\s+", piece)]
        if len(ends) > 2 or any(e not in WEEKDAYS for e in ends):
            raise ValueError(f"nama hari '{piece}' tidak dikenal (Senin … Minggu)")
        first, last = WEEKDAYS[ends[0]], WEEKDAYS[ends[-1]]
        if last < first:
            raise ValueError(f"rentang hari '{piece}' terbalik")
        found += range(first, last + 1)
    if not found:
        raise ValueError("nama hari tidak ada")
    return found


def parse_hours(text: str) -> Hours:
    """'Senin-Kamis 08:00-15:00; Jumat 08.00-11.00; Sabtu 08:00-12:00' -> hours per weekday.

    Parts are separated by ';' or new lines; days by '-' (a range) or ','; times by ':' or '.'.
    Every mistake is a ValueError whose message names the part that is wrong (Indonesian).
    """
    hours: Hours = {}
    parts = [p.strip() for p in re.split(r"[;\n]", text or "") if p.strip()]
    if not parts:
        raise ValueError("jam layanan kosong")
    for part in parts:
        match = _PART.match(part.lower())
        if not match:
            raise ValueError(f"'{part}' bukan jam layanan (contoh: 'Senin-Kamis 08:00-15:00')")
        start = _clock(match.group(2), match.group(3), part)
        end = _clock(match.group(4), match.group(5), part)
        if end <= start:
            raise ValueError(f"pada '{part}' jam tutup harus setelah jam buka")
        for day in _days(match.group("days")):
            if str(day) in hours:
                raise ValueError(f"hari {DAY_WORDS[day]} disebut lebih dari sekali")
            hours[str(day)] = [start, end]
    return dict(sorted(hours.items()))


def format_hours(hours: Hours) -> str:
    """The hours back in words, one part per day ('Senin 08:00-15:00; ...')."""
    return "; ".join(
        f"{DAY_WORDS[int(day)]} {window[0]}-{window[1]}" for day, window in sorted(hours.items())
    )


def window_at(hours: Hours, local: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The service window (local, aware) running at `local`, or None outside hours."""
    window = hours.get(str(local.isoweekday()))
    if not window:
        return None
    start = dt.datetime.combine(local.date(), dt.time.fromisoformat(window[0]), local.tzinfo)
    end = dt.datetime.combine(local.date(), dt.time.fromisoformat(window[1]), local.tzinfo)
    return (start, end) if start <= local < end else None


def state_at(
    hours: Hours, local: dt.datetime, staff_on_duty: int, officer_on_camera: bool = False
) -> str:
    """`closed` outside hours; during them `open` with someone on duty (an assigned employee
    checked in, or a camera's fresh count of a person at the desk), else `empty`."""
    if window_at(hours, local) is None:
        return CLOSED
    return OPEN if staff_on_duty > 0 or officer_on_camera else EMPTY


def empty_too_long(empty_since: dt.datetime | None, now: dt.datetime, grace: dt.timedelta) -> bool:
    """Whether a gerai seen empty since `empty_since` has been so past the grace period."""
    return empty_since is not None and now - empty_since >= grace
