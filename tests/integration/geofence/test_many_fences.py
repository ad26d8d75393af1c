"""A regency-sized unit: 17,373 fences (as many as Indonesia has islands) on real PostgreSQL.

The check-in's decision goes through the unit's spatial index and must equal the brute-force
decision over every fence; /me sends the nearest fences only; the per-process snapshot reloads
only what changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import numpy as np
import pytest

from backend.core.app import create_app
from backend.core.settings import Settings
from backend.geofence import fences
from backend.geofence.service import Geofences, import_geojson
from backend.geofence.tables import Location
from backend.org import demo_data
from backend.org.tables import Unit
from tests.support.factories import TEACHER, checkin_files, login, meta
from tests.support.services import asgi_client

ISLANDS = 17_373
CODE_PREFIX = "LOC-ISLAND-"


def island_fences(seed: int, count: int) -> list[dict[str, Any]]:
    """Circles of 40-400 m and small squares, spread over Indonesia's extent."""
    rng = np.random.default_rng(seed)
    lons, lats = rng.uniform(95, 141, count), rng.uniform(-11, 6, count)
    out = []
    for i, (lon, lat) in enumerate(zip(lons.tolist(), lats.tolist(), strict=True)):
        if i % 3:
            geometry: dict[str, Any] = {"type": "Point", "coordinates": [lon, lat]}
            radius: float | None = float(rng.uniform(40, 400))
        else:
            d = 0.002
            ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
            geometry, radius = {"type": "Polygon", "coordinates": [ring]}, None
        out.append({"code": f"{CODE_PREFIX}{i:05d}", "geometry": geometry, "radius_m": radius})
    return out


@pytest.fixture
async def islands(db: Settings) -> AsyncIterator[list[dict[str, Any]]]:
    """17,373 more fences for the teacher's unit; removed afterwards (the session shares them)."""
    unit = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
    assert unit is not None
    items = island_fences(8, ISLANDS)
    rows = [
        Location(
            code=item["code"],
            name=f"Pulau {item['code'][-5:]}",
            unit=unit["id"],
            geometry=item["geometry"],
            radius_m=item["radius_m"],
        )
        for item in items
    ]
    for start in range(0, len(rows), 2000):
        await Location.insert(*rows[start : start + 2000])
    try:
        yield items
    finally:
        await Location.delete().where(Location.code.like(f"{CODE_PREFIX}%"))


async def unit_fences(settings: Settings) -> list[fences.Fence]:
    """Every fence of the teacher's unit, built straight from the table, in id order."""
    unit = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
    assert unit is not None
    rows = (
        await Location.select()
        .where(Location.unit == unit["id"])
        .order_by(Location.id)
        .output(load_json=True)
    )
    return [
        fences.Fence.from_geojson(
            row["id"],
            row["geometry"],
            radius_m=row["radius_m"],
            max_accuracy_m=row["max_accuracy_m"] or settings.default_max_accuracy_m,
        )
        for row in rows
    ]


async def test_checkin_decision_with_17373_fences_equals_brute_force(islands, db) -> None:
    every = await unit_fences(db)
    assert len(every) > ISLANDS
    rng = np.random.default_rng(99)
    app = create_app(db, face_executor=lambda: None)
    decisions: dict[str, int] = {}
    async with asgi_client(app) as client:
        headers = await login(client)
        for k in range(24):
            target = islands[int(rng.integers(0, ISLANDS))]["geometry"]["coordinates"]
            if target and isinstance(target[0], list):
                target = target[0][0]
            # Near an island fence (inside, on the rim, or a few km off), or out at sea.
            spread = [0.0005, 0.004, 0.03, 0.5][k % 4]
            lon = float(np.clip(target[0] + rng.normal(0, spread), 95, 141))
            lat = float(np.clip(target[1] + rng.normal(0, spread), -11, 6))
            accuracy = float(rng.choice([0.0, 15.0, 300.0]))
            body = meta(lon=lon, lat=lat, accuracy_m=accuracy)
            response = await client.post(
                "/api/v1/checkins", files=checkin_files(body), headers=headers
            )
            assert response.status_code == 201, response.text
            got = response.json()["geofence"]
            expected = fences.best_check(every, lon, lat, accuracy)
            assert expected is not None
            assert got["location_id"] == expected.location_id, (lon, lat, accuracy)
            assert got["decision"] == str(expected.decision)
            assert got["distance_m"] == round(expected.distance_m, 1)
            decisions[got["decision"]] = decisions.get(got["decision"], 0) + 1
    assert decisions.get("outside", 0) > 0 and decisions.get("inside", 0) > 0


async def test_me_sends_the_nearest_fences_not_all_17373(islands, db) -> None:
    app = create_app(db, face_executor=lambda: None)
    async with asgi_client(app) as client:
        headers = await login(client)
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.text
        me = response.json()
        assert me["locations_total"] == ISLANDS + 1
        assert len(me["locations"]) == db.me_locations_max
        assert len(response.content) < 4_000, len(response.content)
        # Every field the PWA's map and local hint read is still there.
        assert {"id", "name", "geometry", "radius_m", "max_accuracy_m"} <= set(me["locations"][0])

        school = next(loc for loc in demo_data.LOCATIONS if loc.unit_code == TEACHER.unit_code)
        lon, lat = school.geometry["coordinates"]
        near_school = await client.get(
            "/api/v1/me", params={"lon": lon, "lat": lat}, headers=headers
        )
        assert near_school.json()["locations"][0]["code"] == school.code

        island = islands[1]  # a circle
        lon, lat = island["geometry"]["coordinates"]
        near_island = (
            await client.get("/api/v1/me", params={"lon": lon, "lat": lat}, headers=headers)
        ).json()["locations"]
        assert near_island[0]["code"] == island["code"]
        every = await unit_fences(db)
        distances = sorted(fences.check(f, lon, lat, 0.0).distance_m for f in every)
        by_id = {f.location_id: f for f in every}
        got = [fences.check(by_id[loc["id"]], lon, lat, 0.0).distance_m for loc in near_island]
        assert got == pytest.approx(distances[: db.me_locations_max])

        refused = await client.get("/api/v1/me", params={"lon": 200, "lat": 0}, headers=headers)
        assert refused.status_code == 400


def feature(code: str, lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "code": code,
            "unit": demo_data.UNITS[1].code,
            "name": code,
            "radius_m": radius_m,
        },
    }


async def import_features(settings: Settings, *features: dict[str, Any]) -> None:
    data = msgspec.json.encode({"type": "FeatureCollection", "features": list(features)})
    report = await import_geojson(data, default_max_accuracy_m=settings.default_max_accuracy_m)
    assert report.refused == []


async def test_the_snapshot_reloads_only_what_changed(db) -> None:
    await import_features(
        db,
        feature("LOC-RELOAD-MOVED", 111.40, -6.95, 50),
        feature("LOC-RELOAD-GONE", 111.41, -6.95, 50),
    )
    try:
        geofences = Geofences(db.default_max_accuracy_m)
        first = await geofences.snapshot.get()
        assert geofences.last_reload is not None
        assert geofences.last_reload.read == len(first.fences)
        # Nothing changed: the same book, nothing read in full.
        geofences.snapshot.invalidate()
        assert await geofences.snapshot.get() is first
        assert geofences.last_reload.read == 0

        ids = {loc.code: i for i, loc in first.locations.items()}
        moved_id, gone_id = ids["LOC-RELOAD-MOVED"], ids["LOC-RELOAD-GONE"]
        await import_features(
            db,
            feature("LOC-RELOAD-MOVED", 111.40, -6.947, 60),  # moved 330 m north, wider
            feature("LOC-RELOAD-NEW", 111.45, -6.95, 30),
        )
        await Location.delete().where(Location.code == "LOC-RELOAD-GONE")

        geofences.snapshot.invalidate()
        second = await geofences.snapshot.get()
        assert geofences.last_reload.read == 2
        assert geofences.last_reload.removed == 1
        assert geofences.last_reload.units_rebuilt == 1
        new_id = next(i for i, loc in second.locations.items() if loc.code == "LOC-RELOAD-NEW")
        assert gone_id not in second.fences and gone_id not in second.locations
        assert second.fences[moved_id] is not first.fences[moved_id]
        assert second.fences[moved_id].radius_m == 60
        assert second.fences[moved_id].centre_lat == pytest.approx(-6.947)
        assert second.fences[new_id].radius_m == 30
        for location_id, fence in second.fences.items():
            if location_id not in (moved_id, new_id):
                assert fence is first.fences[location_id]  # not rebuilt
        unit_id = second.locations[new_id].unit_id
        for other, index in second.indexes.items():
            if other != unit_id:
                assert index is first.indexes[other]
            assert [f.location_id for f in index.fences] == second.by_unit[other]
        # The same book as one loaded from scratch.
        fresh = await Geofences(db.default_max_accuracy_m).snapshot.get()
        assert fresh.by_unit == second.by_unit
        assert fresh.versions == second.versions
        best = await geofences.check_unit(unit_id, 111.40, -6.947, 5.0)
        assert best[0] is not None and best[0].location_id == moved_id
        assert best[0].decision is fences.Decision.INSIDE
        # The first book, still held by requests in flight, is as it was.
        assert first.fences[moved_id].radius_m == 50 and gone_id in first.fences
    finally:
        await Location.delete().where(Location.code.like("LOC-RELOAD-%"))
