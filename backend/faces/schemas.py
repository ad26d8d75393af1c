from __future__ import annotations

import datetime as dt

import msgspec


class FaceReference(msgspec.Struct, frozen=True):
    id: int
    nip: str
    created_at: dt.datetime


class EnrolReport(msgspec.Struct, frozen=True):
    enrolled: list[str]  # file names
    refused: dict[str, str]  # file name -> why
