from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from backend.attendance.day_status import Discipline
from backend.permits.schemas import Permit


class UnitToday(msgspec.Struct, frozen=True):
    """One unit's day in its own time zone: its own staff (`own`) and its whole subtree."""

    code: str
    name: str
    kind: str
    parent: str | None  # the parent unit's code; None for the Pemda
    timezone: str
    date: dt.date  # the unit's local date
    expected: int  # staff expected at work today (a schedule with hours, not a holiday)
    present: int
    late: int  # TL (any category)
    early: int  # PSW (any category)
    permit: int
    permits: dict[str, int]  # per kind (izin, sakit, cuti_tahunan, dinas_luar, ...)
    absent: int
    not_yet_in: int
    share_present: float  # present / expected, 0..1
    attested: int = 0  # of present: on a head of unit's attestation (no signal for days)


class Watch(msgspec.Struct, frozen=True):
    """One of the employees most often late or absent over the last 30 days."""

    nip: str
    name: str
    unit: str
    late_days: int  # in the last 30 days
    absent_days: int  # in the last 30 days
    absent_days_year: int  # absent without reason this year (PP 94/2021)
    discipline: Discipline


class DayTrend(msgspec.Struct, frozen=True):
    date: dt.date
    present: int
    late: int
    absent: int
    permit: int
    share_present: float  # present / (present + absent + permit)


class WeekdayTrend(msgspec.Struct, frozen=True):
    weekday: int  # ISO: 1 = Monday
    present: int
    late: int
    share_late: float  # late / present


class GeraiTile(msgspec.Struct, frozen=True):
    """A gerai as the board shows it (from the gerai registry, when one is wired)."""

    code: str
    name: str
    agency: str
    state: str  # open | empty | closed
    load: int | None = None  # people queuing, where a camera counts them
    alert: str | None = None  # an open alert, in words
    ikm: float | None = None  # SKM/IKM score, where ratings exist
    queue_alert: str | None = None  # an open CCTV queue alert, in words
    # The latest snapshot of the gerai's cameras: a short-lived signed link made for the viewer
    # (each view logged, UU PDP), and when it was taken. None without a camera or a picture.
    thumbnail: str | None = None
    thumbnail_at: dt.datetime | None = None


class BoardState(msgspec.Struct, frozen=True):
    generated_at: dt.datetime
    version: int  # grows with every change signal this process has seen
    root: str | None  # the unit asked for (`?unit=`), or None for the whole Pemda
    units: list[UnitToday]  # parents before their children
    watch: list[Watch]
    presence_30d: list[DayTrend]
    late_by_weekday: list[WeekdayTrend]
    gerai: list[GeraiTile]


class StaffToday(msgspec.Struct, frozen=True):
    nip: str
    name: str
    unit: str
    position: str
    state: str  # in | late | attested | permit | absent | not_yet_in | off
    permit: str | None
    tl: str | None
    psw: str | None
    check_in: dt.datetime | None  # the first accepted or pending check-in, local time
    check_out: dt.datetime | None


class MonthDay(msgspec.Struct, frozen=True):
    date: dt.date
    present: int
    late: int
    permit: int
    absent: int


class UnitTodayView(msgspec.Struct, frozen=True):
    """A head of unit's today: their staff (units under them) one by one, and the month."""

    unit: UnitToday
    staff: list[StaffToday]
    month: list[MonthDay]
    decided: list[Permit] = []  # the permits the caller decided, newest first (20)


class RemindRequest(msgspec.Struct, frozen=True):
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None


class Reminded(msgspec.Struct, frozen=True):
    reminded: int  # staff not yet in who were sent a push (once per day each)


class TeguranCreate(msgspec.Struct, frozen=True):
    kind: Literal["teguran", "catatan"]
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None  # its heads
    gerai: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None  # supervisors


class TeguranAck(msgspec.Struct, frozen=True):
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class TeguranLogEntry(msgspec.Struct, frozen=True):
    action: str  # sent | acked
    actor: str  # NIP
    at: dt.datetime
    note: str


class TeguranView(msgspec.Struct, frozen=True):
    id: int
    kind: str
    message: str
    sender: str  # NIP
    sender_name: str
    recipient: str  # NIP
    recipient_name: str
    unit: str | None
    gerai: str | None
    sent_at: dt.datetime
    acked_at: dt.datetime | None
    ack_note: str
    log: list[TeguranLogEntry]


class TeguranSent(msgspec.Struct, frozen=True):
    sent: list[TeguranView]


class TeguranList(msgspec.Struct, frozen=True):
    items: list[TeguranView]
