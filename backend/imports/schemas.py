from __future__ import annotations

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


class Outcome(msgspec.Struct):
    """What an importer hands back; the imports service adds the kind and the row count."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refusal] = []
    passwords: list[InitialPassword] = []
