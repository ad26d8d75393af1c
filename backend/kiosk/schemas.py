"""Face kiosk wire formats. `KioskCaptureMeta` is what a kiosk queues offline: a capture may be
hours old when it arrives, so fields are never renamed or retyped and new ones get defaults."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Step = Literal["left", "right", "up", "front"]
PartName = Annotated[str, msgspec.Meta(pattern=r"^frame[0-7]$")]


class KioskCreate(msgspec.Struct, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    location_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class Kiosk(msgspec.Struct, frozen=True):
    id: int
    name: str
    location_id: int
    location_name: str
    # waiting (registered, code not used yet) | expired (code unused and expired) | active |
    # revoked
    state: str
    created_at: dt.datetime
    code_expires_at: dt.datetime | None
    activated_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_seen_at: dt.datetime | None


class KioskCreated(msgspec.Struct, frozen=True):
    """A registered kiosk and its one-time activation code: shown this once, stored hashed."""

    kiosk: Kiosk
    activation_code: str
    code_expires_at: dt.datetime


class KioskList(msgspec.Struct, frozen=True):
    items: list[Kiosk]
    next_cursor: str | None = None


class KioskActivate(msgspec.Struct, frozen=True):
    """The tablet's activation: the one-time code, the public half of its device key (SPKI,
    base64) and its signature of `hadir-kiosk-v1\\nactivate\\n<code>`: proof that it holds the
    private half."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    public_key: Annotated[str, msgspec.Meta(min_length=1, max_length=400)]
    signature: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class KioskActivated(msgspec.Struct, frozen=True):
    kiosk_id: int
    name: str
    location_name: str
    timezone: str


class LivenessFrame(msgspec.Struct, frozen=True):
    part: PartName
    step: Step


class Liveness(msgspec.Struct, frozen=True):
    """The head-movement challenge and its frames (the same wire format as a phone check-in's
    `liveness`): steps are the person's own left/right and up; frames are not mirrored."""

    challenge: Annotated[list[Step], msgspec.Meta(max_length=4)]
    frames: Annotated[list[LivenessFrame], msgspec.Meta(max_length=8)] = []


class KioskCaptureMeta(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    client_id: uuid.UUID  # made on the kiosk; a capture sent again gets the same answer
    captured_at: AwareDatetime  # kiosk clock
    sent_at: AwareDatetime  # kiosk clock when this request was sent
    # None: the server decides (a check-in until the employee has one and it is afternoon).
    kind: Literal["in", "out"] | None = None
    liveness: Liveness | None = None


class KioskResult(msgspec.Struct, frozen=True):
    """What the kiosk shows: `recorded` (greeted by name), `flagged` (recorded, BKD checks
    it), `unknown` (nobody named with confidence: nothing recorded), `no_face`."""

    client_id: uuid.UUID
    outcome: str
    message: str
    name: str | None = None
    kind: str | None = None
    checkin_id: int | None = None
    status: str | None = None  # the check-in's status when one was recorded
