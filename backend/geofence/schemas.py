"""GeoJSON (lon/lat, WGS84) as tagged Structs, and the location shapes of the API."""

from __future__ import annotations

from typing import Annotated

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
