"""CCTV wire formats: cameras, snapshots, alerts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Mode = Literal["push", "pull", "frigate"]
Auth = Literal["none", "basic", "digest"]
Coordinate = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Point = Annotated[list[Coordinate], msgspec.Meta(min_length=2, max_length=2)]
# A polygon in the image's pixels, corners in order; the edge back to the first is implied.
Zone = Annotated[list[Point], msgspec.Meta(min_length=3, max_length=64)]
# The code names the camera in HTTP Basic auth (no ':') and in object keys (no '/').
CameraCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
GeraiCode = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class CameraCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: CameraCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    location_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    mode: Mode
    gerai: GeraiCode | None = None
    zone: Zone | None = None
    queue_threshold: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    # pull: the camera's snapshot URL; frigate: Frigate's base URL (http://nvr:5000).
    snapshot_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    frigate_camera: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,100}$")] | None = None
    auth: Auth = "none"
    username: Annotated[str, msgspec.Meta(max_length=100)] = ""
    password: Annotated[str, msgspec.Meta(max_length=200)] = ""
    interval_s: Annotated[int, msgspec.Meta(ge=5, le=3600)] = 30
    exit: bool = False


class CameraHealth(msgspec.Struct, frozen=True):
    state: Literal["online", "dark"]
    last_snapshot_at: dt.datetime | None
    last_people: int | None
    failures: int
    last_error: str


class Camera(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    location_id: int
    mode: Mode
    gerai: str | None
    zone: list[list[float]] | None
    queue_threshold: int
    snapshot_url: str
    frigate_camera: str
    auth: Auth
    username: str
    interval_s: int
    exit: bool
    created_at: dt.datetime
    health: CameraHealth


class CameraCreated(msgspec.Struct, frozen=True):
    camera: Camera
    key: str  # shown this once; only its hash is kept


class CameraKey(msgspec.Struct, frozen=True):
    id: int
    code: str
    key: str


class CameraList(msgspec.Struct, frozen=True):
    items: list[Camera]
    next_cursor: str | None
    purpose: str  # UU PDP: why these pictures are kept


class SnapshotAccepted(msgspec.Struct, frozen=True):
    id: int


class SnapshotItem(msgspec.Struct, frozen=True):
    id: int
    camera_id: int
    taken_at: dt.datetime
    source: str
    people: int | None
    image_url: str | None  # short-lived signed link; None once retention removed the picture


class SnapshotList(msgspec.Struct, frozen=True):
    items: list[SnapshotItem]
    next_cursor: str | None


class Alert(msgspec.Struct, frozen=True):
    id: int
    camera_id: int
    camera_code: str
    kind: Literal["queue", "dark"]
    gerai: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    threshold: int
    peak: int


class AlertList(msgspec.Struct, frozen=True):
    items: list[Alert]
    next_cursor: str | None


class ExitPerson(msgspec.Struct, frozen=True):
    nip: str
    name: str
    unit_id: int


class ExitEvent(msgspec.Struct, frozen=True):
    """Someone identified leaving through an exit camera in working hours without a covering
    permit: evidence for their head of unit and BKD, never a sanction by itself."""

    id: int
    employee: ExitPerson
    camera_id: int
    camera_code: str
    camera_name: str
    location_id: int
    seen_at: dt.datetime  # first sighting
    last_seen_at: dt.datetime  # sightings within HADIR_CCTV_EXIT_MERGE_S are one event
    sightings: int
    distance: float  # to the employee's nearest enrolled reference (1:N, strict tolerance)
    margin: float | None  # how much nearer than the runner-up; None: only one enrolled
    image_url: str | None  # short-lived, logged; None once retention removed the picture


class ExitEventList(msgspec.Struct, frozen=True):
    items: list[ExitEvent]
    next_cursor: str | None
    purpose: str  # UU PDP: why faces at exits are identified (HADIR_CCTV_EXIT_PURPOSE)
