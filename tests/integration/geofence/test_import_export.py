"""`hadir import-geofences` / `export-geofences`: a FeatureCollection carrying each location's code
and unit, with a report of every feature refused and why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec

from backend.geofence.service import export_geojson, import_geojson
from backend.org import demo_data


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_export_then_import_round_trips(db) -> None:
    exported = msgspec.json.decode(await export_geojson())
    assert exported["type"] == "FeatureCollection"
    codes = {f["properties"]["code"]: f for f in exported["features"]}
    assert set(codes) >= {loc.code for loc in demo_data.LOCATIONS}
    school = codes[next(loc.code for loc in demo_data.LOCATIONS if loc.geometry["type"] == "Point")]
    assert school["geometry"]["type"] == "Point" and school["properties"]["radius_m"] > 0
    report = await import_geojson(msgspec.json.encode(exported), default_max_accuracy_m=100)
    assert report.created == report.updated == 0 and report.refused == []
    assert report.unchanged == len(codes)  # nothing written, so no process reloads them


async def test_every_bad_feature_is_refused_with_its_reason(db) -> None:
    unit = demo_data.UNITS[1].code
    good = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [111.4, -6.97]},
        "properties": {"code": "LOC-TEST-OK", "unit": unit, "name": "Pos uji", "radius_m": 50},
    }
    bowtie = [[111.40, -6.97], [111.41, -6.96], [111.41, -6.97], [111.40, -6.96], [111.40, -6.97]]
    bad = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [111.4, -6.97]},
            "properties": {"code": "LOC-NO-RADIUS", "unit": unit, "name": "Tanpa radius"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [bowtie]},
            "properties": {"code": "LOC-BOWTIE", "unit": unit, "name": "Menyilang"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [111.4, -6.97]},
            "properties": {
                "code": "LOC-NO-UNIT",
                "unit": "TIDAK-ADA",
                "name": "Unit salah",
                "radius_m": 20,
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [200, -6.97]},
            "properties": {"code": "LOC-LON", "unit": unit, "name": "Bujur salah", "radius_m": 20},
        },
    ]
    data = msgspec.json.encode({"type": "FeatureCollection", "features": [good, *bad]})
    report = await import_geojson(data, default_max_accuracy_m=100)
    assert report.created == 1
    reasons = {r.code: r.reason for r in report.refused}
    assert set(reasons) == {"LOC-NO-RADIUS", "LOC-BOWTIE", "LOC-NO-UNIT", "LOC-LON"}
    assert "radius" in reasons["LOC-NO-RADIUS"]
    assert "unknown unit" in reasons["LOC-NO-UNIT"]
    assert "180" in reasons["LOC-LON"] or "lon" in reasons["LOC-LON"].lower()
    from backend.geofence.tables import Location

    await Location.delete().where(Location.code == "LOC-TEST-OK")


def test_the_commands_write_and_read_geojson_files(server_env, clean, tmp_path: Path) -> None:
    out = tmp_path / "fences.geojson"
    done = run(server_env, "export-geofences", str(out))
    assert done.returncode == 0, done.stderr
    assert len(msgspec.json.decode(out.read_bytes())["features"]) >= len(demo_data.LOCATIONS)
    again = run(server_env, "import-geofences", str(out))
    assert again.returncode == 0, again.stderr
    report = msgspec.json.decode(again.stdout[again.stdout.rindex("{\n") :])
    assert report["refused"] == [] and report["unchanged"] >= len(demo_data.LOCATIONS)
