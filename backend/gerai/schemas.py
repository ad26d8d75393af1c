from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

GeraiStateName = Literal["open", "empty", "closed"]


class GeraiSummary(msgspec.Struct, frozen=True):
    """One gerai as `GET /api/v1/gerai` lists it."""

    code: str
    name: str
    agency: str
    unit: str  # the MPP unit's code
    state: GeraiStateName
    load: int | None  # people in the queue from CCTV; null until a camera reports
    load_at: dt.datetime | None
    services: list[str]
    hours: str  # in words: "Senin 08:00-15:00; ..."


class GeraiList(msgspec.Struct, frozen=True):
    items: list[GeraiSummary]


class OpenAlert(msgspec.Struct, frozen=True):
    kind: str  # empty
    opened_at: dt.datetime
    empty_since: dt.datetime


class IkmBrief(msgspec.Struct, frozen=True):
    """A gerai's SKM so far this year, for the board (the full figures: /api/v1/ratings/ikm)."""

    ikm: Decimal | None
    grade: str | None
    respondents: int


class GeraiState(msgspec.Struct, frozen=True):
    """One gerai as the command board shows it (`GeraiService.board`)."""

    code: str
    name: str
    agency: str
    unit: str
    state: GeraiStateName
    load: int | None
    load_at: dt.datetime | None
    alert: OpenAlert | None
    ikm: IkmBrief | None


class ImportRefusal(msgspec.Struct, frozen=True):
    row: int  # as the spreadsheet numbers it: the header is row 1
    code: str
    reason: str


class ImportReport(msgspec.Struct, frozen=True):
    applied: bool  # false: a dry run, nothing was written
    created: int
    updated: int
    refused: list[ImportRefusal]
    ignored_columns: list[str] = []
