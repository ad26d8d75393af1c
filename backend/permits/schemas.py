"""Permit wire formats. `PermitCreate` is queued offline by the PWA like a check-in: fields are
never renamed or retyped; new ones get defaults."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

PermitKind = Literal[
    "izin",
    "sakit",
    "cuti_tahunan",
    "cuti_besar",
    "cuti_sakit",
    "cuti_melahirkan",
    "cuti_alasan_penting",
    "dinas_luar",
    "tugas_belajar",
    "izin_keluar_kantor",
]
# A short leave: hours within one working day (start_time..end_time on start_date, in the
# unit's time zone). The employee is present that day; exit cameras read it (backend/cctv).
SHORT_LEAVE = "izin_keluar_kantor"

KIND_WORDS: dict[str, str] = {
    "izin": "Izin",
    "sakit": "Sakit",
    "cuti_tahunan": "Cuti tahunan",
    "cuti_besar": "Cuti besar",
    "cuti_sakit": "Cuti sakit",
    "cuti_melahirkan": "Cuti melahirkan",
    "cuti_alasan_penting": "Cuti karena alasan penting",
    "dinas_luar": "Dinas luar",
    "tugas_belajar": "Tugas belajar",
    SHORT_LEAVE: "Izin keluar kantor",
}


# "HH:MM" (or "HH:MM:SS"), as <input type="time"> gives it.
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]


class PermitCreate(msgspec.Struct, frozen=True):
    client_id: uuid.UUID
    kind: PermitKind
    start_date: dt.date
    end_date: dt.date
    reason: Annotated[str, msgspec.Meta(min_length=5, max_length=1000)]
    destination_location_id: int | None = None  # dinas luar: where check-ins count as inside
    # izin keluar kantor only: the hours away, local time of the unit, on start_date.
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None


class PermitDecision(msgspec.Struct, frozen=True):
    decision: Literal["approve", "reject"]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class PersonRef(msgspec.Struct, frozen=True):
    nip: str
    name: str


class Permit(msgspec.Struct, frozen=True):
    id: int
    client_id: uuid.UUID
    kind: str
    kind_name: str
    employee: PersonRef
    start_date: dt.date
    end_date: dt.date
    working_days: int  # days the permit actually covers: holidays and days off are not counted
    reason: str
    status: str  # pending | approved | rejected | cancelled
    approver: PersonRef | None
    decided_by: PersonRef | None
    decision_note: str
    decided_at: dt.datetime | None
    has_attachment: bool
    destination_location_id: int | None
    created_at: dt.datetime
    start_time: str | None = None  # izin keluar kantor: "HH:MM", local time of the unit
    end_time: str | None = None
    destination_name: str | None = None  # the dinas luar's destination, by name
    # Signed records: empty when the request came signed and in its place in its device's
    # chain, or unsigned (an old app); otherwise what is wrong, in words, for the approver.
    device_note: str = ""


class PermitList(msgspec.Struct, frozen=True):
    items: list[Permit]
    next_cursor: str | None = None  # the inbox is paged: pass as `cursor` for the next page


class AttachmentUrl(msgspec.Struct, frozen=True):
    url: str


class Destination(msgspec.Struct, frozen=True):
    """A place a dinas luar may go to: where check-ins then count as inside."""

    id: int
    name: str


class DestinationList(msgspec.Struct, frozen=True):
    items: list[Destination]


class LeaveBalance(msgspec.Struct, frozen=True):
    """Cuti tahunan of one calendar year, in working days."""

    year: int
    allowance_days: int  # the setting HADIR_ANNUAL_LEAVE_DAYS
    used_days: int  # approved cuti tahunan in the year
    pending_days: int  # requested, not yet decided
    remaining_days: int  # allowance - used, never below 0
