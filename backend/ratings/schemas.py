from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Score = Annotated[int, msgspec.Meta(ge=1, le=4)]


class Profile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The standard's optional respondent profile; every field may be left out."""

    sex: Literal["L", "P"] | None = None
    age: Literal["<20", "20-29", "30-39", "40-49", "50-59", "60+"] | None = None
    education: Literal["SD", "SMP", "SMA", "D1-D3", "D4/S1", "S2/S3"] | None = None
    occupation: (
        Literal["PNS", "TNI", "POLRI", "Swasta", "Wirausaha", "Pelajar/Mahasiswa", "Lainnya"] | None
    ) = None


class Answers(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The nine elements by code (never by position), each 1 (tidak baik) … 4 (sangat baik)."""

    U1: Score
    U2: Score
    U3: Score
    U4: Score
    U5: Score
    U6: Score
    U7: Score
    U8: Score
    U9: Score


class RatingCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the rating page sends (a wire format: new fields get defaults)."""

    client_id: uuid.UUID
    gerai: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    service: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    answers: Answers
    comment: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    profile: Profile | None = None


class RatingReceipt(msgspec.Struct, frozen=True):
    client_id: uuid.UUID
    gerai: str
    received_at: dt.datetime
    message: str


class Question(msgspec.Struct, frozen=True):
    code: str
    element: str
    question: str
    answers: list[str]  # the words of 1, 2, 3, 4


class ProfileField(msgspec.Struct, frozen=True):
    name: str
    label: str
    options: list[str]


class PublicGerai(msgspec.Struct, frozen=True):
    code: str
    name: str
    agency: str
    services: list[str]
    questions: list[Question]
    profile: list[ProfileField]


class ElementFigures(msgspec.Struct, frozen=True):
    sum: int
    count: int
    nrr: Decimal | None  # two decimals, half up


class IkmReport(msgspec.Struct, frozen=True):
    respondents: int
    elements: dict[str, ElementFigures]
    ikm: Decimal | None  # two decimals, half up; null until every element has an answer
    grade: str | None
    label: str | None
    min_sample: int  # Krejcie-Morgan for the period's service users
    sample_reached: bool
    population: int  # the period's service users, from the gerai's recorded yearly count
    start: dt.date
    end: dt.date
    gerai: list[str]  # the gerai counted


class RatingComment(msgspec.Struct, frozen=True):
    """A citizen's comment, as text: never HTML, whatever it contains (show it with textContent
    or escaped). Nothing about who wrote it."""

    gerai: str
    service: str
    day: dt.date  # the gerai's local day
    received_at: dt.datetime
    comment: str


class CommentList(msgspec.Struct, frozen=True):
    items: list[RatingComment]
    next_cursor: str | None = None  # pass as `cursor` for the next page
