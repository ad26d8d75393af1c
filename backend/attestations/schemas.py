"""Attestation wire formats. `AttestationCreate` is queued offline by the PWA like a check-in:
fields are never renamed or retyped; new ones get defaults."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec

Nip = Annotated[str, msgspec.Meta(min_length=8, max_length=30)]


class AttestationCreate(msgspec.Struct, frozen=True):
    client_id: uuid.UUID
    nip: Nip  # whose days
    start_date: dt.date  # local days of the employee's unit, inclusive
    end_date: dt.date
    # In words, why nobody could check in: "tidak ada sinyal, ponsel rusak".
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=500)]
    captured_at: dt.datetime  # device clock when the head confirmed (with its offset)
    sent_at: dt.datetime  # device clock at send
    # The signed hash-chained block the PWA outbox adds to every item (devices domain).
    chain: dict[str, Any] | None = None


class PersonRef(msgspec.Struct, frozen=True):
    nip: str
    name: str


class SignatureReason(msgspec.Struct, frozen=True):
    code: str
    message: str


class Attestation(msgspec.Struct, frozen=True):
    id: int
    client_id: uuid.UUID
    employee: PersonRef
    attester: PersonRef
    unit: str  # the employee's unit code
    start_date: dt.date
    end_date: dt.date
    days: int
    reason: str
    captured_at: dt.datetime  # corrected by the device's clock skew
    received_at: dt.datetime
    signature_status: str  # unsigned | verified | failed
    signature_reasons: list[SignatureReason] = []


class AttestationList(msgspec.Struct, frozen=True):
    items: list[Attestation]


class HeadAttesting(msgspec.Struct, frozen=True):
    """How often one head attested over the period: an outlier stands out beside the staff."""

    head: PersonRef
    unit: str
    unit_name: str
    staff: int  # active staff of the head's unit and the units under it
    attestations: int  # records made in the period
    days: int  # employee-days attested in the period
    employees: int  # distinct staff attested
    days_per_staff: float  # days / staff
    unsigned: int  # records whose device signature was not verified


class AttestationSummary(msgspec.Struct, frozen=True):
    start: dt.date
    end: dt.date
    heads: list[HeadAttesting]  # most employee-days per staff first
    latest: list[Attestation]  # newest first, with reasons
