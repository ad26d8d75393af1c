from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec


class LoginRequest(msgspec.Struct, frozen=True):
    nip: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PasswordChange(msgspec.Struct, frozen=True):
    old_password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class UnitRef(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    kind: str
    timezone: str


class User(msgspec.Struct, frozen=True):
    nip: str
    name: str
    roles: list[str]
    unit: UnitRef
    position: str
    # A one-time password (import, reset) is in use: the PWA asks for a new one first.
    must_change_password: bool = False


class LoginHelp(msgspec.Struct, frozen=True):
    """Whom to ask for help (a forgotten password: the unit admin or BKD resets it), shown on
    the login screen before anyone is logged in."""

    contact: str  # HADIR_HELP_CONTACT; empty when not set


class LoginResponse(msgspec.Struct, frozen=True):
    access_token: str
    expires_in: int
    user: User
    token_type: str = "Bearer"


class ScheduleToday(msgspec.Struct, frozen=True):
    date: dt.date
    timezone: str
    working_day: bool
    start: str | None  # local "HH:MM"
    end: str | None
    schedule: str | None  # schedule name
    holiday: str | None  # why today is not a working day, if it is a holiday


class NipParts(msgspec.Struct, frozen=True):
    birth_date: dt.date
    appointed: str  # YYYY-MM (TMT CPNS); YYYY alone for PPPK
    pppk: bool
    sex: str  # "L" | "P"
    sequence: int


# --- read by the board (backend/board) -------------------------------------------------------


class UnitNode(msgspec.Struct, frozen=True):
    """A unit with its place in the tree: what the board draws its drill-down from."""

    id: int
    code: str
    name: str
    kind: str
    timezone: str
    parent: int | None


class ScheduledGroup(msgspec.Struct, frozen=True):
    """How many active staff of a unit follow one schedule (`days` as stored; {} for none)."""

    unit: int
    days: dict[str, list[str]]
    staff: int


class StaffRef(msgspec.Struct, frozen=True):
    id: int
    nip: str
    name: str
    unit: int
    position: str
    days: dict[str, list[str]]  # the schedule's working hours per ISO weekday; {} for none


# --- an admin's account changes ----------------------------------------------------------------

Role = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


class EmployeePatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Only the fields given change; `unit` and `schedule` are codes (schedule "" clears it)."""

    active: bool | msgspec.UnsetType = msgspec.UNSET
    roles: Annotated[list[Role], msgspec.Meta(max_length=5)] | msgspec.UnsetType = msgspec.UNSET
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    position: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    schedule: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET


class EmployeeAccount(msgspec.Struct, frozen=True):
    nip: str
    name: str
    unit: str  # the unit's code
    schedule: str | None  # the schedule's code
    roles: list[str]
    position: str
    active: bool
    must_change_password: bool
    # Raised by this change when it ends the employee's sessions (active, roles, unit).
    token_version: int


class PasswordReset(msgspec.Struct, frozen=True):
    nip: str
    # Shown once: hand it to the employee; it must be replaced at the next login.
    one_time_password: str


class EmployeeListed(msgspec.Struct, frozen=True):
    nip: str
    name: str
    unit: str  # the unit's code
    unit_name: str
    schedule: str | None
    roles: list[str]
    position: str
    active: bool
    must_change_password: bool


class EmployeePage(msgspec.Struct, frozen=True):
    items: list[EmployeeListed]
    next_cursor: str | None


class AuditItem(msgspec.Struct, frozen=True):
    id: int
    at: dt.datetime
    actor: str  # the NIP of who did it
    actor_name: str | None
    action: str  # employee.update, employee.password_reset, face.enrol, face.remove, ...
    target: str
    target_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(msgspec.Struct, frozen=True):
    items: list[AuditItem]
    next_cursor: str | None
