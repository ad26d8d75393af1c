"""Day status and monthly recap: pure rules, no I/O.

The service gathers, per employee and day, the schedule window, the holiday, the accepted
check-ins and the approved permit; these functions turn them into a status (present, TL/PSW,
permit, absent, holiday, off), a TPP deduction, and a month's counts with where the employee
stands on the PP 94/2021 discipline scale. Bounds and percentages come from `TppRules`
(settings), never from literals here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from backend.core.settings import Band, TppRules
from backend.permits.schemas import KIND_WORDS

# How each kind reads in a reason line or a recap column header: the permits domain's words.
PERMIT_LABELS: dict[str, str] = KIND_WORDS
PERMIT_KINDS: tuple[str, ...] = tuple(KIND_WORDS)

STATUSES: tuple[str, ...] = ("present", "absent", "permit", "holiday", "off")
# "open" is a day still in progress: shown to the employee, never counted in a recap.

_DAY_S = 24 * 3600


class Window(msgspec.Struct, frozen=True):
    """Working hours of one day in the unit's local time; `end <= start` crosses midnight."""

    start: dt.time
    end: dt.time


class DayInput(msgspec.Struct, frozen=True):
    """Everything the rules need about one employee on one day.

    Records belong to the shift they open or close, not to their calendar date: the service
    assigns each to its shift's day with `work_date_for` and passes its local date and time (a
    `datetime`, placed exactly). A bare `time` is placed nearest the window of `day`: for a
    window crossing midnight, the check-outs of the next morning belong to this day.
    """

    day: dt.date
    window: Window | None  # None: not a working day on this schedule
    holiday: str | None = None  # name of a libur nasional / cuti bersama
    check_ins: list[dt.time | dt.datetime] = []  # local times of ACCEPTED "in" records
    check_outs: list[dt.time | dt.datetime] = []  # local times of ACCEPTED "out" records
    permit: str | None = None  # kind of an APPROVED permit covering the day
    # The reason of a head of unit's attestation covering the day (no signal, a dead phone):
    # present without any record, unless real records of the day exist.
    attested: str | None = None
    # False while the working hours are still running (today): what has not happened yet is
    # not judged, so nobody is "absent" at 06:00 or "PSW4" before going home.
    day_over: bool = True


class DayStatus(msgspec.Struct, frozen=True):
    day: dt.date
    status: str  # one of STATUSES
    permit: str | None = None
    tl: str | None = None  # "TL1".."TL4"
    psw: str | None = None  # "PSW1".."PSW4"
    late_minutes: int = 0
    early_minutes: int = 0
    deduction_pct: float = 0.0  # after the daily cap on TL+PSW
    reasons: list[str] = []  # short Indonesian explanations of the status and any deduction
    attested: bool = False  # present on a head of unit's attestation, not on check-ins


class Discipline(msgspec.Struct, frozen=True):
    level: str  # a DISCIPLINE_SCALE level, e.g. "teguran_lisan"
    description: str  # the sanction as PP 94/2021 words it
    next_threshold: int | None  # more absent days until the next level; None at the top
    category: str = ""  # "ringan" | "sedang" | "berat"; "" while no sanction applies


class EmployeeMonth(msgspec.Struct, frozen=True):
    nip: str
    name: str
    # present, absent, holiday, off, permit:<kind>, TL1..TL4, PSW1..PSW4, attested (of present)
    days: dict[str, int]
    late_minutes: int
    early_minutes: int
    deduction_pct: float  # sum of daily deductions, capped at monthly_cap_pct
    absent_days_year: int  # absent without reason this year up to the month's end (input)
    longest_absent_run: int  # consecutive working days absent, within this month's statuses
    discipline: Discipline
    # The employee's unit (code and name): a recap of a unit with everything under it lists
    # the staff of many units. Set by the recap, not by `month_recap`.
    unit: str = ""
    unit_name: str = ""


class DisciplineStep(msgspec.Struct, frozen=True):
    from_days: int  # cumulative absent days in a year at which this level starts
    level: str
    description: str
    category: str


# PP 94/2021: working days absent without a valid reason, cumulative over a calendar year.
# Each step runs until the next one starts; the last is open-ended.
DISCIPLINE_SCALE: tuple[DisciplineStep, ...] = (
    DisciplineStep(0, "belum_ada", "Belum ada hukuman disiplin", ""),
    DisciplineStep(3, "teguran_lisan", "Teguran lisan", "ringan"),
    DisciplineStep(4, "teguran_tertulis", "Teguran tertulis", "ringan"),
    DisciplineStep(7, "pernyataan_tidak_puas", "Pernyataan tidak puas secara tertulis", "ringan"),
    DisciplineStep(
        11,
        "potongan_tukin_6_bulan",
        "Pemotongan tunjangan kinerja 25% selama 6 bulan",
        "sedang",
    ),
    DisciplineStep(
        14,
        "potongan_tukin_9_bulan",
        "Pemotongan tunjangan kinerja 25% selama 9 bulan",
        "sedang",
    ),
    DisciplineStep(
        17,
        "potongan_tukin_12_bulan",
        "Pemotongan tunjangan kinerja 25% selama 12 bulan",
        "sedang",
    ),
    DisciplineStep(
        21,
        "penurunan_jabatan",
        "Penurunan jabatan setingkat lebih rendah selama 12 bulan",
        "berat",
    ),
    DisciplineStep(
        25,
        "pembebasan_jabatan",
        "Pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan",
        "berat",
    ),
    DisciplineStep(
        28,
        "pemberhentian",
        "Pemberhentian dengan hormat tidak atas permintaan sendiri",
        "berat",
    ),
)
# PP 94/2021 also dismisses after this many consecutive working days absent without reason.
DISMISSAL_CONSECUTIVE_DAYS = 10


def window_for(
    days: Mapping[str, Sequence[str]] | Mapping[int, Sequence[str]], day: dt.date
) -> Window | None:
    """The window of `day` from a schedule's `days`, or None on a non-working day.

    Accepts the JSON as stored (`{"1": ["07:30", "16:00"]}`) and the demo data's int keys.
    """
    weekday = day.isoweekday()
    hours = days.get(weekday) or days.get(str(weekday))  # type: ignore[call-overload]
    if not hours:
        return None
    start, end = hours
    return Window(dt.time.fromisoformat(start), dt.time.fromisoformat(end))


def shift_bounds(day: dt.date, window: Window) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of the shift of `day` as naive local datetimes; the end may be tomorrow."""
    start = dt.datetime.combine(day, window.start)
    length = (_seconds(window.end) - _seconds(window.start)) % _DAY_S or _DAY_S
    return start, start + dt.timedelta(seconds=length)


def day_over(day: dt.date, window: Window | None, now: dt.datetime) -> bool:
    """Whether the working hours of `day` have ended by `now`, the unit's local time.

    A night shift of Monday (22:00-06:00) is over on Tuesday at 06:00, not at Monday midnight.
    A day without a window is over when its calendar day is.
    """
    local = now.replace(tzinfo=None)
    if window is None:
        return local.date() > day
    return local >= shift_bounds(day, window)[1]


# How long before a shift's start a record may open it: an early bird's 05:00 arrival for a
# 07:30 start counts; a check-in the evening before does not make tomorrow on time.
EARLIEST_BEFORE_START = dt.timedelta(hours=4)


def work_date_for(
    local: dt.datetime, days: Mapping[str, Sequence[str]] | Mapping[int, Sequence[str]]
) -> dt.date:
    """The work date of the shift a record at `local` (the unit's local time) opens or closes.

    Each shift claims the records from half its off-duty gap before its start, but never more
    than EARLIEST_BEFORE_START, until half the gap after its end (for 22:00-06:00: 18:00 to
    14:00 the next day; for 07:30-16:00: 03:30 to 23:45). So a check-out at 06:05 belongs to the
    shift that started at 22:00 the evening before, and a check-in at 21:50 to the shift
    starting at 22:00, while an "in" at 22:46 is not the next morning's on-time arrival. Where
    two neighbouring shifts claim a record, the nearer one takes it; a record no shift claims
    (work on a day off, the late evening) keeps its calendar date.
    """
    local = local.replace(tzinfo=None)
    best: tuple[dt.timedelta, dt.date] | None = None
    for offset in (-1, 0, 1):
        day = local.date() + dt.timedelta(days=offset)
        window = window_for(days, day)
        if window is None:
            continue
        start, end = shift_bounds(day, window)
        half_gap = (dt.timedelta(days=1) - (end - start)) / 2
        if start - min(half_gap, EARLIEST_BEFORE_START) <= local < end + half_gap:
            distance = max(start - local, local - end, dt.timedelta(0))
            if best is None or distance < best[0]:
                best = (distance, day)
    return best[1] if best else local.date()


def band_for(bands: Iterable[Band], minutes: int) -> Band | None:
    """The category `minutes` falls in; None below the first (a tolerance) or in a gap."""
    for band in bands:
        if minutes >= band.from_min and (band.to_min is None or minutes <= band.to_min):
            return band
    return None


def _open_band(bands: Sequence[Band]) -> Band:
    # A missing record counts as the top category (TL4 / PSW4), whatever it is called.
    return max(bands, key=lambda band: band.from_min)


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _on_timeline(day: dt.date, window: Window, times: Iterable[dt.time | dt.datetime]) -> list[int]:
    """Seconds from the midnight starting `day`, placing each record on the right side of it.

    A local datetime is placed exactly (a check-in at 23:55 the evening before is -300). A bare
    time on a window crossing midnight (22:00-06:00) is taken to be on the next day when it
    falls before the middle of the off-duty gap (14:00 here), i.e. nearest the shift.
    """
    midnight = dt.datetime.combine(day, dt.time())
    start, end = _seconds(window.start), _seconds(window.end)
    pivot = (end + start) // 2
    placed = []
    for t in times:
        if isinstance(t, dt.datetime):
            placed.append(int((t.replace(tzinfo=None) - midnight).total_seconds()))
        elif end > start:
            placed.append(_seconds(t))
        else:
            placed.append(_seconds(t) + (_DAY_S if _seconds(t) < pivot else 0))
    return placed


def _pct(value: float) -> str:
    return f"{value:g}".replace(".", ",")  # Indonesian decimal comma: "2,5 %"


def day_status(inp: DayInput, rules: TppRules) -> DayStatus:
    """The status of one working day, applied in this order:

    1. No window: "off", even with check-ins (working on a day off is neither penalised nor
       counted). A holiday falling on a day off is "off" too, so that the "holiday" count is
       the working days the calendar took away.
    2. Holiday (libur nasional or cuti bersama) on a working day: "holiday", no deduction.
    3. An approved permit: "permit" with its kind, no deduction. A permit covers the whole day;
       check-ins that day are ignored (a dinas luar employee who checks in at the place visited
       stays dinas_luar). Half-day permits are not modelled.
    4. Neither check-in nor check-out, but a head of unit attested the day (no signal, a dead
       phone): "present", `attested`, no deduction. Real records of the day win over an
       attestation: with any accepted check-in or check-out the day is judged on them (6).
    5. Neither check-in nor check-out: "absent" (tanpa keterangan), `absent_pct`; the daily cap
       is for TL+PSW only and does not apply.
    6. Otherwise "present", with lateness from the EARLIEST check-in and early leave from the
       LATEST check-out, in whole minutes rounded down (07:30:59 for 07:30 is 0 minutes late,
       07:31:00 is 1), so seconds never tip an employee into a category. A missing check-in or
       check-out is the top category at `no_record_pct`. The day's deduction is
       min(TL % + PSW %, `daily_cap_pct`).
    """

    window = inp.window
    if window is None:
        note = f" ({inp.holiday})" if inp.holiday else ""
        return DayStatus(inp.day, "off", reasons=[f"Bukan hari kerja{note}"])
    if inp.holiday:
        return DayStatus(inp.day, "holiday", reasons=[f"Hari libur: {inp.holiday}"])
    if inp.permit:
        label = PERMIT_LABELS.get(inp.permit, inp.permit)
        return DayStatus(inp.day, "permit", permit=inp.permit, reasons=[label])
    if inp.attested and not inp.check_ins and not inp.check_outs:
        return DayStatus(
            inp.day,
            "present",
            attested=True,
            reasons=[f"Hadir (atestasi kepala unit): {inp.attested}"],
        )
    if not inp.check_ins and not inp.check_outs and not inp.day_over:
        return DayStatus(inp.day, "open", reasons=["Belum presensi hari ini"])
    if not inp.check_ins and not inp.check_outs:
        return DayStatus(
            inp.day,
            "absent",
            deduction_pct=rules.absent_pct,
            reasons=[f"Tidak masuk tanpa keterangan (potongan {_pct(rules.absent_pct)} %)"],
        )

    start = _seconds(window.start)
    # end <= start crosses midnight; end == start would be a full 24 hours.
    end = start + ((_seconds(window.end) - start) % _DAY_S or _DAY_S)
    reasons: list[str] = []
    tl: str | None = None
    psw: str | None = None
    late = early = 0
    tl_pct = psw_pct = 0.0

    if inp.check_ins:
        late = max(0, (min(_on_timeline(inp.day, window, inp.check_ins)) - start) // 60)
        band = band_for(rules.tl, late)
        if band is not None:
            tl, tl_pct = band.code, band.deduction_pct
            reasons.append(f"Terlambat {late} menit ({tl})")
    else:
        tl, tl_pct = _open_band(rules.tl).code, rules.no_record_pct
        reasons.append(f"Tidak presensi masuk ({tl})")

    if inp.check_outs:
        early = max(0, (end - max(_on_timeline(inp.day, window, inp.check_outs))) // 60)
        band = band_for(rules.psw, early)
        if band is not None:
            psw, psw_pct = band.code, band.deduction_pct
            reasons.append(f"Pulang cepat {early} menit ({psw})")
    elif not inp.day_over:
        reasons.append("Belum presensi pulang")
    else:
        psw, psw_pct = _open_band(rules.psw).code, rules.no_record_pct
        reasons.append(f"Tidak presensi pulang ({psw})")

    total = tl_pct + psw_pct
    if total > rules.daily_cap_pct:
        reasons.append(
            f"Potongan TL+PSW {_pct(total)} % dibatasi {_pct(rules.daily_cap_pct)} % per hari"
        )
    return DayStatus(
        inp.day,
        "present",
        tl=tl,
        psw=psw,
        late_minutes=late,
        early_minutes=early,
        deduction_pct=round(min(total, rules.daily_cap_pct), 4),
        reasons=reasons,
    )


def longest_absent_run(statuses: Iterable[DayStatus], carried: int = 0) -> int:
    """The longest run of consecutive WORKING days absent without reason.

    Days off and holidays between two absences neither break nor extend the run (they are not
    working days); a present or permit day breaks it. `carried` is the run still open at the
    end of the previous period, so that a run across a month boundary is seen whole.
    """
    run = longest = carried
    for day in sorted(statuses, key=lambda s: s.day):
        if day.status == "absent":
            run += 1
            longest = max(longest, run)
        elif day.status in ("present", "permit"):
            run = 0
    return longest


def discipline_for(absent_days_year: int, longest_consecutive_absent: int = 0) -> Discipline:
    """Where an employee stands on the PP 94/2021 scale.

    `next_threshold` counts the further absent days until the next level on the cumulative
    scale (3 at zero days, 1 at two days); None once dismissal is reached. Only whole days are
    counted: converting accumulated late minutes into days, as some Pemda do, is left to them.
    """
    top = DISCIPLINE_SCALE[-1]
    if longest_consecutive_absent >= DISMISSAL_CONSECUTIVE_DAYS:
        return Discipline(
            top.level,
            f"{top.description} (tidak masuk {longest_consecutive_absent} hari kerja berturut-turut)",
            None,
            top.category,
        )
    days = max(0, absent_days_year)
    index = max(i for i, step in enumerate(DISCIPLINE_SCALE) if days >= step.from_days)
    step = DISCIPLINE_SCALE[index]
    following = DISCIPLINE_SCALE[index + 1] if index + 1 < len(DISCIPLINE_SCALE) else None
    return Discipline(
        step.level,
        step.description,
        following.from_days - days if following else None,
        step.category,
    )


def month_recap(
    nip: str,
    name: str,
    statuses: Sequence[DayStatus],
    absent_days_year: int,
    rules: TppRules,
    *,
    carried_absent_run: int = 0,
) -> EmployeeMonth:
    """One employee's month: counts per status and category, minutes, the capped deduction.

    Every status, permit kind and TL/PSW code of `rules` has a key, zero or not, so that an
    export of a unit has the same columns for every row. A permit of a kind outside
    PERMIT_KINDS still gets its own `permit:<kind>` key. Minutes add up measured lateness and
    early leave only; a missing record carries no minutes.
    """
    counts: dict[str, int] = dict.fromkeys((*STATUSES, "attested"), 0)
    counts.update(dict.fromkeys((f"permit:{kind}" for kind in PERMIT_KINDS), 0))
    counts.update(dict.fromkeys((band.code for band in (*rules.tl, *rules.psw)), 0))
    for day in statuses:
        counts[day.status] = counts.get(day.status, 0) + 1
        if day.attested:
            counts["attested"] += 1
        for key in (
            f"permit:{day.permit}" if day.permit else None,
            day.tl,
            day.psw,
        ):
            if key:
                counts[key] = counts.get(key, 0) + 1
    run = longest_absent_run(statuses, carried_absent_run)
    total = sum(day.deduction_pct for day in statuses)
    return EmployeeMonth(
        nip=nip,
        name=name,
        days=counts,
        late_minutes=sum(day.late_minutes for day in statuses),
        early_minutes=sum(day.early_minutes for day in statuses),
        deduction_pct=round(min(total, rules.monthly_cap_pct), 4),
        absent_days_year=absent_days_year,
        longest_absent_run=run,
        discipline=discipline_for(absent_days_year, run),
    )
