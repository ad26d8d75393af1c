"""Locations and their fences: kept in memory per process, checked in metres."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import numpy as np

from backend.core import audit
from backend.core.auth import Principal
from backend.core.cache import Snapshot
from backend.core.db import contains
from backend.core.errors import FieldError, Invalid, NotFound
from backend.geofence import checks, fences
from backend.geofence.schemas import (
    Feature,
    FeatureCollection,
    FenceDraft,
    FenceReport,
    FenceResult,
    Geometry,
    ImportRefusal,
    ImportReport,
    Location,
    LocationFence,
    LocationPage,
    LocationProperties,
    LocationSummary,
)
from backend.geofence.tables import Location as LocationTable
from backend.org import service as org


class FenceBook(msgspec.Struct):
    """Every location and its prepared fence, grouped by unit, with one spatial index per unit.

    A snapshot is never changed once built: a reload makes a new book that shares the fences and
    unit indexes that did not change, so requests holding the old one are unaffected.
    """

    locations: dict[int, Location]
    fences: dict[int, fences.Fence]
    by_unit: dict[int, list[int]]  # location ids, ascending: the order ties are broken in
    indexes: dict[int, fences.FenceIndex]
    # Each location's updated_at as read: what the next reload compares against.
    versions: dict[int, dt.datetime]


class ReloadStats(msgspec.Struct, frozen=True):
    """What the last reload did: rows read in full, locations dropped, unit indexes rebuilt."""

    read: int
    removed: int
    units_rebuilt: int


# Ids per `WHERE id IN (...)` when reloading changed rows (SQLite caps bound variables).
_RELOAD_CHUNK = 500


class Geofences:
    """The per-process snapshot of all fences, reloaded every minute (see core.cache).

    A reload reads every location's (id, updated_at), a few bytes a row, and then in full only
    the rows whose updated_at differs from the snapshot's or that are new; rows gone are
    dropped; only the units those touch get their spatial index rebuilt. Comparing values rather
    than keeping a high-water mark means a change committed late with an earlier timestamp is
    still seen.
    """

    def __init__(self, default_max_accuracy_m: float) -> None:
        self.default_max_accuracy_m = default_max_accuracy_m
        self.snapshot: Snapshot[FenceBook] = Snapshot(self._load)
        self._book: FenceBook | None = None
        self.last_reload: ReloadStats | None = None

    async def _load(self) -> FenceBook:
        previous = self._book
        current = {
            row["id"]: row["updated_at"]
            for row in await LocationTable.select(LocationTable.id, LocationTable.updated_at)
        }
        if previous is None:
            rows = await LocationTable.select().output(load_json=True)
            gone: list[int] = []
            book = FenceBook(locations={}, fences={}, by_unit={}, indexes={}, versions={})
        else:
            stale = [i for i, at in current.items() if previous.versions.get(i) != at]
            gone = [i for i in previous.versions if i not in current]
            if not stale and not gone:
                self.last_reload = ReloadStats(read=0, removed=0, units_rebuilt=0)
                return previous
            rows = []
            for start in range(0, len(stale), _RELOAD_CHUNK):
                rows += await (
                    LocationTable.select()
                    .where(LocationTable.id.is_in(stale[start : start + _RELOAD_CHUNK]))
                    .output(load_json=True)
                )
            # Listed as changed but deleted before its row was read: gone as well.
            read_ids = {row["id"] for row in rows}
            gone += [i for i in stale if i not in read_ids and i in previous.versions]
            book = FenceBook(
                locations=dict(previous.locations),
                fences=dict(previous.fences),
                by_unit=dict(previous.by_unit),
                indexes=dict(previous.indexes),
                versions=dict(previous.versions),
            )
        members: dict[int, set[int]] = {}

        def take_out(location_id: int) -> None:
            # Out of the book and out of its unit, which is then rebuilt.
            old = book.locations.pop(location_id, None)
            book.fences.pop(location_id, None)
            book.versions.pop(location_id, None)
            if old is not None:
                unit = members.setdefault(old.unit_id, set(book.by_unit.get(old.unit_id, [])))
                unit.discard(location_id)

        for location_id in gone:
            take_out(location_id)
        for row in rows:
            location = self._location(row)
            take_out(location.id)
            book.locations[location.id] = location
            book.fences[location.id] = fences.Fence.from_geojson(
                location.id,
                msgspec.to_builtins(location.geometry),
                radius_m=location.radius_m,
                max_accuracy_m=location.max_accuracy_m,
            )
            book.versions[location.id] = row["updated_at"]
            members.setdefault(location.unit_id, set(book.by_unit.get(location.unit_id, []))).add(
                location.id
            )
        for unit_id, ids in members.items():
            if ids:
                book.by_unit[unit_id] = sorted(ids)
                book.indexes[unit_id] = fences.FenceIndex([book.fences[i] for i in sorted(ids)])
            else:
                book.by_unit.pop(unit_id, None)
                book.indexes.pop(unit_id, None)
        self.last_reload = ReloadStats(
            read=len(rows), removed=len(gone), units_rebuilt=len(members)
        )
        self._book = book
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

    async def near(
        self, unit_id: int, lon: float | None, lat: float | None, limit: int
    ) -> tuple[list[Location], int]:
        """The unit's `limit` locations nearest to (lon, lat), nearest first, and how many the
        unit has. Without a position, nearest to the middle of the unit's fences."""
        book = await self.snapshot.get()
        index = book.indexes.get(unit_id)
        if index is None:
            return [], 0
        if lon is None or lat is None:
            lon = float(np.median([f.centre_lon for f in index.fences]))
            lat = float(np.median([f.centre_lat for f in index.fences]))
        nearest = index.nearest(lon, lat, limit)
        return [compact(book.locations[f.location_id]) for f, _ in nearest], len(index)

    async def check_unit(
        self,
        unit_id: int,
        lon: float,
        lat: float,
        accuracy_m: float,
        *,
        extra: Sequence[int] = (),
    ) -> tuple[fences.FenceCheck | None, FenceResult | None]:
        """The best decision among the unit's locations and `extra` ones (an approved dinas
        luar's destination): inside beats uncertain beats outside, then the nearer, then the
        unit's own, then the lower id. The unit's fences are searched through its spatial index,
        so the cost does not grow with how many the unit has."""
        book = await self.snapshot.get()
        index = book.indexes.get(unit_id)
        candidates = [index.best(lon, lat, accuracy_m)] if index is not None else []
        own = set(book.by_unit.get(unit_id, []))
        others = [book.fences[i] for i in dict.fromkeys(extra) if i in book.fences and i not in own]
        candidates.append(fences.best_check(others, lon, lat, accuracy_m))
        result = fences.best_of([c for c in candidates if c is not None])
        return result, self._fence_result(book, result)

    async def check(
        self, location_ids: list[int], lon: float, lat: float, accuracy_m: float
    ) -> tuple[fences.FenceCheck | None, FenceResult | None]:
        """The best decision among the given locations (inside beats uncertain beats outside)."""
        book = await self.snapshot.get()
        allowed = [book.fences[i] for i in location_ids if i in book.fences]
        result = fences.best_check(allowed, lon, lat, accuracy_m)
        return result, self._fence_result(book, result)

    @staticmethod
    def _fence_result(book: FenceBook, result: fences.FenceCheck | None) -> FenceResult | None:
        if result is None:
            return None
        location = book.locations[result.location_id]
        return FenceResult(
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


# Decimal places kept in the coordinates /me sends: 1e-7 degree is about 1 cm, far below any
# phone fix, and a coordinate then takes ~11 characters instead of ~18.
_ME_DECIMALS = 7


async def location_exists(location_id: int) -> bool:
    return await LocationTable.exists().where(LocationTable.id == location_id)


async def location_names(location_ids: Sequence[int]) -> dict[int, str]:
    """Location id -> name, in one query."""
    if not location_ids:
        return {}
    rows = await LocationTable.select(LocationTable.id, LocationTable.name).where(
        LocationTable.id.is_in(list(set(location_ids)))
    )
    return {row["id"]: row["name"] for row in rows}


async def location_places(location_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """Location id -> (name, unit id), in one query: where a face kiosk stands and whose staff
    check in there."""
    if not location_ids:
        return {}
    rows = await LocationTable.select(
        LocationTable.id, LocationTable.name, LocationTable.unit
    ).where(LocationTable.id.is_in(list(set(location_ids))))
    return {row["id"]: (row["name"], row["unit"]) for row in rows}


async def search_locations(words: str, *, limit: int) -> list[tuple[int, str]]:
    """(id, name) of the locations whose name holds every word of `words` (any case), by name;
    at most `limit` of them. A place to pick (a dinas luar's destination), not a fence check."""
    query = LocationTable.select(LocationTable.id, LocationTable.name)
    for word in words.split()[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(LocationTable.name.ilike(f"%{escaped}%"))
    rows = await query.order_by(LocationTable.name).limit(limit)
    return [(row["id"], row["name"]) for row in rows]


def compact(location: Location) -> Location:
    """The location with its coordinates rounded for the wire (the PWA's map and hint only;
    the server decides with the stored coordinates)."""
    return msgspec.structs.replace(
        location,
        geometry=msgspec.convert(_rounded(msgspec.to_builtins(location.geometry)), Geometry),
    )


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, _ME_DECIMALS)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


# --- GeoJSON import / export ----------------------------------------------------------------------


def decode_feature_collection(data: bytes) -> FeatureCollection:
    return msgspec.json.decode(data, type=FeatureCollection)


# Rows per INSERT ... ON CONFLICT: 500 x 7 columns stays far under both drivers' limits.
_IMPORT_CHUNK = 500


async def import_geojson(data: bytes, *, default_max_accuracy_m: float) -> ImportReport:
    """Create or update locations from a FeatureCollection; every refused feature says why.

    Features are decoded one by one so one bad feature does not hide the others. The stored
    rows for the file's codes are read in chunks, fences equal to what is stored are left alone
    (their `updated_at` unchanged, so no api process reloads them), and the rest are written with
    bulk INSERT ... ON CONFLICT (code) DO UPDATE statements in one transaction: 17,373 fences
    took ~2.5 minutes one statement each; see BENCHMARKS.md for now.
    """
    raw = msgspec.json.decode(data)
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    units = await org.unit_ids_by_code()
    refused: list[ImportRefusal] = []
    good: dict[str, dict[str, Any]] = {}
    first_index: dict[str, int] = {}
    for index, item in enumerate(raw.get("features") or []):
        code = str((item.get("properties") or {}).get("code", "")) if isinstance(item, dict) else ""
        try:
            feature = msgspec.convert(item, Feature)
            props = feature.properties
            if props.unit not in units:
                raise ValueError(f"unknown unit {props.unit!r}")
            if props.code in first_index:
                raise ValueError(f"code {props.code!r} repeats feature {first_index[props.code]}")
            # As JSON gives it back (lists, not tuples): compared with the stored geometry.
            geometry = msgspec.json.decode(msgspec.json.encode(feature.geometry))
            fences.Fence.from_geojson(
                0,
                geometry,
                radius_m=props.radius_m,
                max_accuracy_m=props.max_accuracy_m or default_max_accuracy_m,
            )
        except (msgspec.ValidationError, ValueError) as exc:
            refused.append(ImportRefusal(index=index, code=code, reason=str(exc)))
            continue
        first_index[props.code] = index
        good[props.code] = {
            "name": props.name,
            "unit": units[props.unit],
            "geometry": geometry,
            "radius_m": props.radius_m,
            "max_accuracy_m": props.max_accuracy_m,
        }
    codes = list(good)
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), _IMPORT_CHUNK):
        for row in (
            await LocationTable.select(
                LocationTable.code,
                LocationTable.name,
                LocationTable.unit,
                LocationTable.geometry,
                LocationTable.radius_m,
                LocationTable.max_accuracy_m,
            )
            .where(LocationTable.code.is_in(codes[start : start + _IMPORT_CHUNK]))
            .output(load_json=True)
        ):
            stored[row.pop("code")] = row
    now = dt.datetime.now(dt.UTC)
    writes: list[LocationTable] = []
    created = updated = unchanged = 0
    for code, values in good.items():
        old = stored.get(code)
        if old == values:
            unchanged += 1
            continue
            continue
        created += old is None
        updated += old is not None
        writes.append(LocationTable(code=code, updated_at=now, **values))
    if writes:
        async with LocationTable._meta.db.transaction():
            for start in range(0, len(writes), _IMPORT_CHUNK):
                await LocationTable.insert(*writes[start : start + _IMPORT_CHUNK]).on_conflict(
                    target=LocationTable.code,
                    action="DO UPDATE",
                    values=[
                        LocationTable.name,
                        LocationTable.unit,
                        LocationTable.geometry,
                        LocationTable.radius_m,
                        LocationTable.max_accuracy_m,
                        # Set by hand: ON CONFLICT is not an update() that sets it by itself.
                        LocationTable.updated_at,
                    ],
                )
            # Fresh statistics after a bulk load: see org.imports.analyze_if_grown.
            if len(writes) >= _IMPORT_CHUNK and LocationTable._meta.db.engine_type == "postgres":
                await LocationTable.raw("ANALYZE geofence_location")
    return ImportReport(created=created, updated=updated, refused=refused, unchanged=unchanged)


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


# --- the fence editor (BKD / admin) -----------------------------------------------------------


class FenceEditor:
    """Reads and changes one location's fence: checked in metres first (geofence.checks),
    audited before/after in the change's transaction, and this process's fence snapshot told
    at once (it rereads only the changed row: see Geofences). Other api processes see the
    new `updated_at` at their next reload, within a minute."""

    def __init__(
        self,
        *,
        geofences: Geofences,
        transaction: Callable[[], contextlib.AbstractAsyncContextManager[None]],
        limits: checks.FenceLimits,
        default_max_accuracy_m: float,
        tile_url: str | None,
    ) -> None:
        self.geofences = geofences
        self._transaction = transaction
        self.limits = limits
        self.default_max_accuracy_m = default_max_accuracy_m
        self.tile_url = tile_url or None

    async def search(self, q: str, limit: int, cursor: str | None) -> LocationPage:
        """Locations whose code, name or unit (code or name) contain `q`, by id."""
        query = LocationTable.select(
            LocationTable.id,
            LocationTable.code,
            LocationTable.name,
            LocationTable.unit.code.as_alias("unit"),
            LocationTable.unit.name.as_alias("unit_name"),
            LocationTable.radius_m,
            LocationTable.updated_at,
        )
        if cursor:
            if not cursor.isdigit() or not 0 < int(cursor) < 2**31:
                raise Invalid("cursor tidak sah; mulai lagi dari halaman pertama")
            query = query.where(LocationTable.id > int(cursor))
        text = q.strip()
        if text:
            query = query.where(
                contains(LocationTable.code, text)
                | contains(LocationTable.name, text)
                | contains(LocationTable.unit.code, text)
                | contains(LocationTable.unit.name, text)
            )
        rows = await query.order_by(LocationTable.id).limit(limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        items = [
            LocationSummary(
                id=row["id"],
                code=row["code"],
                name=row["name"],
                unit=row["unit"],
                unit_name=row["unit_name"],
                kind="circle" if row["radius_m"] is not None else "polygon",
                updated_at=row["updated_at"],
            )
            for row in rows
        ]
        return LocationPage(
            items=items,
            next_cursor=str(rows[-1]["id"]) if more else None,
            tile_url=self.tile_url,
        )

    async def check(self, location_id: int, draft: FenceDraft) -> FenceReport:
        if not await location_exists(location_id):
            raise NotFound(f"Lokasi {location_id} tidak ditemukan")
        # Up to 5,000 corners: tenths of a second of Shapely, off the event loop.
        report, _ = await asyncio.to_thread(
            checks.check_fence, draft.geometry, draft.radius_m, self.limits
        )
        return report

    async def read(self, location_id: int) -> LocationFence:
        row = await self._row(location_id)
        report, _ = checks.check_fence(row["geometry"], row["radius_m"], self.limits)
        return self._fence(row, report)

    async def update(self, who: Principal, location_id: int, draft: FenceDraft) -> LocationFence:
        report, geometry = await asyncio.to_thread(
            checks.check_fence, draft.geometry, draft.radius_m, self.limits
        )
        if not report.ok or geometry is None:
            raise Invalid(
                "; ".join(p.message for p in report.errors),
                errors=[FieldError(field="geometry", message=p.message) for p in report.errors],
            )
        async with self._transaction():
            before = await self._row(location_id, lock=True)
            await LocationTable.update(
                {
                    LocationTable.geometry: geometry,
                    LocationTable.radius_m: draft.radius_m,
                    LocationTable.max_accuracy_m: draft.max_accuracy_m,
                }
            ).where(LocationTable.id == location_id)
            after = await self._row(location_id)
            await audit.record(
                actor=who.nip,
                action="geofence.update",
                target="geofence_location",
                target_key=str(location_id),
                before=_audited(before),
                after=_audited(after),
            )
        # This process's next check-in reads the new fence (only this row is reread).
        self.geofences.snapshot.invalidate()
        return self._fence(after, report)

    async def _row(self, location_id: int, *, lock: bool = False) -> dict[str, Any]:
        query = LocationTable.select(
            LocationTable.all_columns(),
            LocationTable.unit.code.as_alias("unit_code"),
            LocationTable.unit.name.as_alias("unit_name"),
        ).where(LocationTable.id == location_id)
        if lock and LocationTable._meta.db.engine_type == "postgres":
            query = query.lock_rows("NO KEY UPDATE", of=(LocationTable,))
        row = await query.output(load_json=True).first()
        if row is None:
            raise NotFound(f"Lokasi {location_id} tidak ditemukan")
        return row

    def _fence(self, row: dict[str, Any], report: FenceReport) -> LocationFence:
        return LocationFence(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            unit=row["unit_code"],
            unit_name=row["unit_name"],
            geometry=msgspec.convert(row["geometry"], Geometry),
            radius_m=row["radius_m"],
            max_accuracy_m=row["max_accuracy_m"],
            default_max_accuracy_m=self.default_max_accuracy_m,
            updated_at=row["updated_at"],
            report=report,
            tile_url=self.tile_url,
        )


def _audited(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("code", "name", "unit_code", "geometry", "radius_m", "max_accuracy_m", "updated_at")
    return {k: row[k] for k in keep}
