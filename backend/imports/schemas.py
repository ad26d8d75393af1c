from __future__ import annotations

import datetime as dt

import msgspec


class Refusal(msgspec.Struct, frozen=True):
    """One refused row: its number as the spreadsheet shows it, the column, why in words."""

    row: int
    column: str
    reason: str


class InitialPassword(msgspec.Struct, frozen=True):
    """A new employee's one-time password, handed out once (must be changed at first login)."""

    nip: str
    name: str
    unit: str
    password: str
    unit_name: str = ""


class HandoutUnit(msgspec.Struct, frozen=True):
    """A unit's page of the password handout: how many new employees it lists."""

    code: str
    name: str
    people: int


class Handout(msgspec.Struct, frozen=True):
    """Where the printable XLSX of the new passwords is: `url` (every unit's page) or
    `url?unit=CODE` (one unit's), for whoever applied the import, once, until `expires_at`."""

    id: str
    expires_at: dt.datetime
    units: list[HandoutUnit]
    url: str


class ImportReport(msgspec.Struct, frozen=True):
    """What an import did (`applied`) or would do (a dry run), row by row for the refused."""

    kind: str
    applied: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    refused: list[Refusal]
    # On apply only, and only in this answer: nowhere else can they be read again.
    passwords: list[InitialPassword] = []
    # On apply with new employees: the same passwords as a printable XLSX, downloadable once.
    handout: Handout | None = None


class Outcome(msgspec.Struct):
    """What an importer hands back; the imports service adds the kind and the row count."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refusal] = []
    passwords: list[InitialPassword] = []
