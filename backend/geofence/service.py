"""Locations and their fences: kept in memory per process, checked in metres."""

from __future__ import annotations

import msgspec

from backend.core.cache import Snapshot
from backend.geofence import fences
from backend.geofence.schemas import (
    Feature,
    FeatureCollection,
    FenceResult,
    Geometry,
    ImportRefusal,
    ImportReport,
    Location,
    LocationProperties,
)
from backend.geofence.tables import Location as LocationTable
from backend.org.tables import Unit


class FenceBook(msgspec.Struct):
    """Every location and its prepared fence, grouped by unit."""

    locations: dict[int, Location]
    fences: dict[int, fences.Fence]
    by_unit: dict[int, list[int]]


class Geofences:
    """The per-process snapshot of all fences (reloaded every minute; see core.cache)."""

    def __init__(self, default_max_accuracy_m: float) -> None:
        self.default_max_accuracy_m = default_max_accuracy_m
        self.snapshot: Snapshot[FenceBook] = Snapshot(self._load)

    async def _load(self) -> FenceBook:
        rows = await LocationTable.select().output(load_json=True)
        book = FenceBook(locations={}, fences={}, by_unit={})
        for row in rows:
            location = self._location(row)
            book.locations[location.id] = location
            book.fences[location.id] = fences.Fence.from_geojson(
                location.id,
                msgspec.to_builtins(location.geometry),
                radius_m=location.radius_m,
                max_accuracy_m=location.max_accuracy_m,
            )
            book.by_unit.setdefault(location.unit_id, []).append(location.id)
        return book

    def _location(self, row: dict) -> Location:
        return msgspec.convert(
            {
                **row,
                "unit_id": row["unit"],
                "max_accuracy_m": row["max_accuracy_m"] or self.default_max_accuracy_m,
            },
            Location,
        )

    async def for_unit(self, unit_id: int) -> list[Location]:
        book = await self.snapshot.get()
        return [book.locations[i] for i in book.by_unit.get(unit_id, [])]

    async def check(
        self, location_ids: list[int], lon: float, lat: float, accuracy_m: float
    ) -> tuple[fences.FenceCheck | None, FenceResult | None]:
        """The best decision among the allowed locations (inside beats uncertain beats outside)."""
        book = await self.snapshot.get()
        allowed = [book.fences[i] for i in location_ids if i in book.fences]
        result = fences.best_check(allowed, lon, lat, accuracy_m)
        if result is None:
            return None, None
        location = book.locations[result.location_id]
        return result, FenceResult(
            location_id=location.id,
            location_name=location.name,
            decision=str(result.decision),
            distance_m=round(result.distance_m, 1),
        )

    async def allowed_location_ids(self, unit_id: int) -> list[int]:
        book = await self.snapshot.get()
        return list(book.by_unit.get(unit_id, []))

    async def name_of(self, location_id: int | None) -> str | None:
        if location_id is None:
            return None
        book = await self.snapshot.get()
        location = book.locations.get(location_id)
        return location.name if location else None


# --- GeoJSON import / export ----------------------------------------------------------------------


def decode_feature_collection(data: bytes) -> FeatureCollection:
    return msgspec.json.decode(data, type=FeatureCollection)


async def import_geojson(data: bytes, *, default_max_accuracy_m: float) -> ImportReport:
    """Create or update locations from a FeatureCollection; every refused feature says why.

    Features are decoded one by one so one bad feature does not hide the others.
    """
    raw = msgspec.json.decode(data)
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    units = {row["code"]: row["id"] for row in await Unit.select(Unit.code, Unit.id)}
    created = updated = 0
    refused: list[ImportRefusal] = []
    for index, item in enumerate(raw.get("features") or []):
        code = str((item.get("properties") or {}).get("code", "")) if isinstance(item, dict) else ""
        try:
            feature = msgspec.convert(item, Feature)
            props = feature.properties
            if props.unit not in units:
                raise ValueError(f"unknown unit {props.unit!r}")
            geometry = msgspec.to_builtins(feature.geometry)
            fences.Fence.from_geojson(
                0,
                geometry,
                radius_m=props.radius_m,
                max_accuracy_m=props.max_accuracy_m or default_max_accuracy_m,
            )
        except (msgspec.ValidationError, ValueError) as exc:
            refused.append(ImportRefusal(index=index, code=code, reason=str(exc)))
            continue
        values = {
            LocationTable.name: props.name,
            LocationTable.unit: units[props.unit],
            LocationTable.geometry: geometry,
            LocationTable.radius_m: props.radius_m,
            LocationTable.max_accuracy_m: props.max_accuracy_m,
        }
        existing = (
            await LocationTable.select(LocationTable.id)
            .where(LocationTable.code == props.code)
            .first()
        )
        if existing:
            await LocationTable.update(values).where(LocationTable.id == existing["id"])
            updated += 1
        else:
            await LocationTable.insert(
                LocationTable(
                    code=props.code,
                    name=props.name,
                    unit=units[props.unit],
                    geometry=geometry,
                    radius_m=props.radius_m,
                    max_accuracy_m=props.max_accuracy_m,
                )
            )
            created += 1
    return ImportReport(created=created, updated=updated, refused=refused)


async def export_geojson() -> bytes:
    rows = await LocationTable.select(
        LocationTable.all_columns(), LocationTable.unit.code.as_alias("unit_code")
    ).output(load_json=True)
    features = [
        Feature(
            geometry=msgspec.convert(row["geometry"], Geometry),
            properties=LocationProperties(
                code=row["code"],
                unit=row["unit_code"],
                name=row["name"],
                radius_m=row["radius_m"],
                max_accuracy_m=row["max_accuracy_m"],
            ),
        )
        for row in rows
    ]
    return msgspec.json.encode(FeatureCollection(features=features))
