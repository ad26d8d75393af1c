"""Bulk import on PostgreSQL: 20,000 employees from XLSX, and 17,373 GeoJSON fences.

    uv run python bench/imports.py [--employees 20000] [--fences 17373]

Builds a fresh database (127.0.0.1:5432, `hadir_bench_imports`, dropped and created), the demo
regency, and ~1,300 units imported first (one per 15 employees). Then times, through the same
service the API and `hadir import` use:

- the employee XLSX: a dry run, the apply (every row new: one-time passwords made and hashed),
  the same file again (nothing written), and the file with 1 % of the names changed;
- the fences: the import of a FeatureCollection of --fences star polygons and circles (all new),
  the same file again (all unchanged), and, as the reference measured in the same run, the
  previous one-statement-per-feature path on 1,000 of them, extrapolated to the full count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import platform
import random
import sys
import time
from pathlib import Path

import asyncpg
import msgspec
import numpy as np
import openpyxl

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
from geofence import LAT_RANGE, LON_RANGE, star_polygon

from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.geofence.service import import_geojson
from backend.geofence.tables import Location
from backend.imports.service import Imports
from backend.org import imports as org_imports
from backend.org.tables import Unit

PG = "postgresql://postgres@127.0.0.1:5432"
DB = "hadir_bench_imports"


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Pegawai")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def employees_file(count: int, units: list[str], rename: float = 0.0) -> bytes:
    rng = random.Random(7)
    header = ["No", "NIP Baru", "Nama Lengkap", "Jabatan", "Unit Kerja", "Jenis Pegawai"]
    rows: list[list[object]] = [header]
    for i in range(count):
        year = rng.randint(1965, 1998)
        pppk = i % 10 == 0
        nip = (
            f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{min(year + rng.randint(22, 30), 2024)}{'21' if pppk else f'{rng.randint(1, 12):02d}'}"
            f"{rng.choice('12')}{i % 999 + 1:03d}"
        )
        name = f"Pegawai {i}" + (" (ubah)" if rng.random() < rename else "")
        rows.append(
            [i + 1, nip, name, "Pelaksana", units[i % len(units)], "PPPK" if pppk else "PNS"]
        )
    return xlsx(rows)


def fences_file(count: int, units: list[str]) -> bytes:
    rng = np.random.default_rng(5)
    features = []
    for i in range(count):
        lon, lat = float(rng.uniform(*LON_RANGE)), float(rng.uniform(*LAT_RANGE))
        props = {"code": f"PULAU-{i:05d}", "unit": units[i % len(units)], "name": f"Pulau {i}"}
        if rng.random() < 0.3:
            geometry = {"type": "Point", "coordinates": [lon, lat]}
            props["radius_m"] = float(rng.uniform(50, 300))
        else:
            size = float(rng.uniform(60, 400))
            geometry = star_polygon(rng, lon, lat, int(rng.integers(4, 41)), size)
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return msgspec.json.encode({"type": "FeatureCollection", "features": features})


async def one_by_one(data: bytes) -> None:
    """What import_geojson did before: a SELECT and an INSERT or UPDATE per feature."""
    units = {row["code"]: row["id"] for row in await Unit.select(Unit.code, Unit.id)}
    for item in msgspec.json.decode(data)["features"]:
        props = item["properties"]
        existing = await Location.select(Location.id).where(Location.code == props["code"]).first()
        values = dict(
            name=props["name"],
            unit=units[props["unit"]],
            geometry=item["geometry"],
            radius_m=props.get("radius_m"),
        )
        if existing:
            await Location.update(values).where(Location.id == existing["id"])
        else:
            await Location.insert(Location(code=props["code"], **values))


async def timed(label: str, run) -> object:
    start = time.perf_counter()
    result = await run()
    seconds = time.perf_counter() - start
    print(f"| {label} | {seconds:.2f} s |", flush=True)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--fences", type=int, default=17_373)
    args = parser.parse_args()
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    settings = Settings(database_url=f"{PG}/{DB}", database_command_timeout_s=600)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}"
    )
    try:
        async with open_engine(settings) as engine:
            with contextlib.redirect_stdout(sys.stderr):
                await migrate(engine)
            await seed_demo(default_max_accuracy_m=100)
            imports = Imports(org_imports.importers(engine.transaction))
            unit_count = max(1, args.employees // 15)
            codes = [f"U{i:05d}" for i in range(unit_count)]
            units = xlsx(
                [["Kode Unit", "Nama Unit", "Jenis", "Kode Induk"]]
                + [[c, f"Sekolah {c}", "sekolah", "PEMDA"] for c in codes]
            )
            print("| what | time |\n|---|---|")
            await timed(
                f"units: {unit_count:,} new", lambda: imports.run("units", units, apply=True)
            )
            people = employees_file(args.employees, codes)
            changed = employees_file(args.employees, codes, rename=0.01)
            n = f"{args.employees:,}"
            dry = await timed(
                f"employees: dry run, {n} rows",
                lambda: imports.run("employees", people, apply=False),
            )
            done = await timed(
                f"employees: apply, {n} new", lambda: imports.run("employees", people, apply=True)
            )
            again = await timed(
                f"employees: same file again, {n} unchanged",
                lambda: imports.run("employees", people, apply=True),
            )
            some = await timed(
                "employees: 1 % of names changed",
                lambda: imports.run("employees", changed, apply=True),
            )
            assert dry.created == done.created == args.employees, (dry.refused[:3], done.created)  # type: ignore[attr-defined]
            assert again.unchanged == args.employees, again  # type: ignore[attr-defined]
            print(f"  (changed: {some.updated}, passwords handed out: {len(done.passwords)})")  # type: ignore[attr-defined]
            fences = fences_file(args.fences, codes)
            f = f"{args.fences:,}"
            created = await timed(
                f"fences: import, {f} new",
                lambda: import_geojson(fences, default_max_accuracy_m=100),
            )
            same = await timed(
                f"fences: same file again, {f} unchanged",
                lambda: import_geojson(fences, default_max_accuracy_m=100),
            )
            assert created.created == args.fences and same.unchanged == args.fences  # type: ignore[attr-defined]
            sample = msgspec.json.decode(fences)
            sample["features"] = [
                {
                    **feat,
                    "properties": {
                        **feat["properties"],
                        "code": "OLD-" + feat["properties"]["code"],
                    },
                }
                for feat in sample["features"][:1000]
            ]
            start = time.perf_counter()
            await one_by_one(msgspec.json.encode(sample))
            per = (time.perf_counter() - start) / 1000
            print(
                f"| reference: before, one statement per fence, 1,000 new | {per * 1000:.0f} s "
                f"(→ {per * args.fences:.0f} s for {f}) |"
            )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
