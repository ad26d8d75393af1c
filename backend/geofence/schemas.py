"""GeoJSON (lon/lat, WGS84) as tagged Structs, and the location shapes of the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Position = tuple[Lon, Lat]
Ring = Annotated[list[Position], msgspec.Meta(min_length=4)]


class Point(msgspec.Struct, tag=True, frozen=True):
    coordinates: Position


class Polygon(msgspec.Struct, tag=True, frozen=True):
    coordinates: Annotated[list[Ring], msgspec.Meta(min_length=1)]


class MultiPolygon(msgspec.Struct, tag=True, frozen=True):
    coordinates: Annotated[
        list[Annotated[list[Ring], msgspec.Meta(min_length=1)]], msgspec.Meta(min_length=1)
    ]


Geometry = Point | Polygon | MultiPolygon


class Location(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    unit_id: int
    geometry: Geometry  # a circle is its centre Point plus radius_m
    radius_m: float | None
    max_accuracy_m: float


class FenceResult(msgspec.Struct, frozen=True):
    location_id: int | None
    location_name: str | None
    decision: str  # inside | uncertain | outside
    distance_m: float


# --- GeoJSON import / export (`hadir import-geofences`, `hadir export-geofences`) ---------------


class LocationProperties(msgspec.Struct, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]  # the unit's code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    radius_m: Annotated[float, msgspec.Meta(gt=0, le=50_000)] | None = None
    max_accuracy_m: Annotated[float, msgspec.Meta(gt=0, le=10_000)] | None = None


class Feature(msgspec.Struct, tag=True, frozen=True):
    geometry: Geometry
    properties: LocationProperties


class FeatureCollection(msgspec.Struct, tag=True, frozen=True):
    features: list[Feature]


class ImportRefusal(msgspec.Struct, frozen=True):
    index: int
    code: str
    reason: str


class ImportReport(msgspec.Struct, frozen=True):
    created: int
    updated: int
    refused: list[ImportRefusal]
    # Features equal to what is stored: not written, so no process reloads them.
    unchanged: int = 0


# --- the fence editor (BKD / admin) -----------------------------------------------------------


class Problem(msgspec.Struct, frozen=True):
    code: str
    message: str


class FenceReport(msgspec.Struct, frozen=True):
    """`ok`: no errors, the fence can be saved (warnings or not)."""

    ok: bool
    kind: Literal["circle", "polygon"] | None
    area_m2: float | None
    # The largest distance between two points of the fence (a circle's diameter).
    largest_distance_m: float | None
    # The narrowest part: twice the radius of the largest circle inside (a circle's diameter).
    narrowest_m: float | None
    errors: list[Problem]
    warnings: list[Problem]


class FenceDraft(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A fence as entered: GeoJSON Point (a circle's centre, with `radius_m`), Polygon or
    MultiPolygon, lon/lat. The geometry is checked by geofence.checks, which says in words what
    is wrong with it (a msgspec type alone would answer "expected array of length >= 4")."""

    geometry: dict[str, Any]
    radius_m: Annotated[float, msgspec.Meta(gt=0, le=50_000)] | None = None
    # None: the setting's default (HADIR_DEFAULT_MAX_ACCURACY_M).
    max_accuracy_m: Annotated[float, msgspec.Meta(gt=0, le=10_000)] | None = None


class LocationSummary(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    unit: str  # the unit's code
    unit_name: str
    kind: str  # circle | polygon
    updated_at: dt.datetime


class LocationPage(msgspec.Struct, frozen=True):
    items: list[LocationSummary]
    next_cursor: str | None
    # HADIR_TILE_URL: the map tiles the editor may draw behind the fence; None without one.
    tile_url: str | None


class LocationFence(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    unit: str
    unit_name: str
    geometry: Geometry
    radius_m: float | None
    max_accuracy_m: float | None  # as stored; None: the default below applies
    default_max_accuracy_m: float
    updated_at: dt.datetime
    report: FenceReport
    tile_url: str | None
