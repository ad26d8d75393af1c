"""Check-in wire formats. `CheckInMeta` is what the PWA queues offline: a record may be a week
old when it arrives, so fields are never renamed or retyped and new ones get defaults."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from backend.geofence.schemas import FenceResult, Geometry

AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Accuracy = Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]


FramePart = Literal["frame0", "frame1", "frame2", "frame3", "frame4", "frame5", "frame6", "frame7"]
LivenessStep = Literal["left", "right", "up"]


class LivenessFrame(msgspec.Struct, frozen=True):
    """One frame of the challenge: the multipart part holding its JPEG and the step it shows."""

    part: FramePart
    step: Literal["front", "left", "right", "up"]


class Liveness(msgspec.Struct, frozen=True):
    """The liveness challenge the phone asked for (two different steps, in the asked order) and
    the frames it captured, in capture order (at most 8: parts `frame0`..`frame7`)."""

    challenge: Annotated[list[LivenessStep], msgspec.Meta(min_length=2, max_length=2)]
    frames: Annotated[list[LivenessFrame], msgspec.Meta(min_length=1, max_length=8)]


class CheckInMeta(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    client_id: uuid.UUID
    kind: Literal["in", "out"]
    lat: Lat | None  # null when the phone has no fix: never 0
    lon: Lon | None
    accuracy_m: Accuracy | None
    captured_at: AwareDatetime  # device clock
    sent_at: AwareDatetime  # device clock when this request was sent
    mock_location: bool | None = None  # a hint some Android shells can give
    liveness: Liveness | None = None  # the head-turn challenge; None from older PWAs


class Reason(msgspec.Struct, frozen=True):
    code: str
    message: str


class RiskPart(msgspec.Struct, frozen=True):
    """One part of a check-in's spoof-risk score (backend/attendance/risk.py): `weight` is its
    points at full strength, `points` what it gave (negative: CCTV saw the face)."""

    code: str  # accuracy | coordinates | travel | device | clock | mock | liveness | face | cctv
    weight: float
    points: float
    sentence: str


class CheckIn(msgspec.Struct, frozen=True):
    id: int
    client_id: uuid.UUID
    kind: str
    status: str  # pending | accepted | flagged | rejected
    reasons: list[Reason]
    geofence: FenceResult | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    captured_at: dt.datetime
    received_at: dt.datetime
    corrected_captured_at: dt.datetime
    work_date: dt.date
    face_distance: float | None = None
    source: str = "phone"  # phone | kiosk (a face kiosk at the office door)
    # The registered device that signed the record (backend/devices) and its number in that
    # device's chain; None: unsigned (an old app, a script) or signed by an unregistered key.
    device_id: int | None = None
    device_seq: int | None = None
    liveness: str = ""  # "" no frames sent, passed, failed (after verification)


class CheckInList(msgspec.Struct, frozen=True):
    date: dt.date
    items: list[CheckIn]


class ReviewEmployee(msgspec.Struct, frozen=True):
    nip: str
    name: str
    unit_name: str


class ReviewLocation(msgspec.Struct, frozen=True):
    id: int
    name: str
    geometry: Geometry
    radius_m: float | None


class CctvEvidence(msgspec.Struct, frozen=True):
    """A CCTV snapshot at the check-in's location within minutes of it (evidence, not a verdict)."""

    snapshot_id: int
    camera_code: str
    camera_name: str
    taken_at: dt.datetime
    image_url: str | None  # signed, short-lived, logged; None once retention removed it
    # The employee's enrolled face matched in the picture at this distance; None: not matched.
    distance: float | None


class ReviewItem(msgspec.Struct, frozen=True):
    checkin: CheckIn
    employee: ReviewEmployee
    location: ReviewLocation | None  # the fence the point was judged against
    selfie_url: str | None  # None once the retention job has deleted it
    reference_url: str | None  # None when the employee has no reference photo
    cctv: list[CctvEvidence] = msgspec.field(default_factory=list)  # nearest in time first
    # The employee's newest reference photos (up to 3, newest first; the first is
    # `reference_url`), each link logged like the selfie.
    reference_urls: list[str] = msgspec.field(default_factory=list)
    # The spoof-risk score for BKD (never shown to the employee, so not on `CheckIn`): None
    # for a record settled before the score existed; the parts in the desk's order.
    risk_score: float | None = None
    risk_parts: list[RiskPart] = msgspec.field(default_factory=list)


class ReviewReference(msgspec.Struct, frozen=True):
    """A reviewed check-in's selfie enrolled as a reference photo ("Jadikan foto referensi")."""

    id: int  # the face reference
    nip: str
    checkin_id: int
    created_at: dt.datetime
    created: bool  # False: this selfie was already a reference (nothing duplicated)


class ReviewList(msgspec.Struct, frozen=True):
    items: list[ReviewItem]
    next_cursor: str | None = None  # pass as `cursor` for the next page; None on the last
    total: int = 0  # flagged check-ins matching the filters, over all pages


class ReviewUnit(msgspec.Struct, frozen=True):
    """A unit for the desk's unit filter, parents before their children, with its backlog."""

    code: str
    name: str
    kind: str
    parent: str | None  # the parent unit's code; None for the top
    depth: int  # 0 for the top of the tree
    flagged: int  # flagged check-ins waiting in this unit and every unit below it


class ReviewDecision(msgspec.Struct, frozen=True):
    decision: Literal["accept", "reject"]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
