"""One check-in's fence decision, and /me's size, as a unit grows from 10 to 17,373 fences.

    uv run python bench/geofence_checkin.py [--fixes 2000] [--repeat 5]

The check-in path is `FenceIndex.best` (the unit's STRtree, exact metres on the candidates
only); the reference measured in the same run is `best_check` over every fence, what the
check-in did before. Fixes are phone-like: 3-60 m accuracy, 70 % inside a fence, the rest
0.5-5 km from one. Also: building a unit's index (what a reload pays for a changed unit) and
the bytes of /me's `locations` (all fences against the nearest `me_locations_max`).
Each figure is the best of --repeat runs, so that neighbours on a shared machine disturb less.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from functools import partial
from pathlib import Path

import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from geofence import make_fences, make_points

from backend.core.settings import Settings
from backend.geofence.fences import FenceIndex, best_check
from backend.geofence.schemas import Geometry, Location
from backend.geofence.service import compact

COUNTS = (10, 100, 1_000, 10_000, 17_373)


def per_call_us(run, fixes: list[tuple[float, float, float]], repeat: int) -> float:
    for lon, lat, accuracy in fixes[:50]:
        run(lon, lat, accuracy)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for lon, lat, accuracy in fixes:
            run(lon, lat, accuracy)
        best = min(best, time.perf_counter() - start)
    return best / len(fixes) * 1e6


def brute_force(fences: list, lon: float, lat: float, accuracy: float) -> object:
    return best_check(fences, lon, lat, accuracy)


def locations_json(index: FenceIndex, count: int | None, lon: float, lat: float) -> bytes:
    """What /me's `locations` weighs: every fence as before, or the nearest `count` compacted."""
    chosen = list(index.fences) if count is None else [f for f, _ in index.nearest(lon, lat, count)]
    locations = [
        Location(
            id=f.location_id,
            code=f"LOC-{f.location_id:05d}",
            name=f"Lokasi presensi {f.location_id}",
            unit_id=1,
            geometry=msgspec.convert(f.geometry, Geometry),
            radius_m=f.radius_m,
            max_accuracy_m=f.max_accuracy_m,
        )
        for f in chosen
    ]
    return msgspec.json.encode(locations if count is None else [compact(x) for x in locations])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    limit = Settings.__struct_defaults__[Settings.__struct_fields__.index("me_locations_max")]
    print(
        f"machine  {platform.platform()}  {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"{args.fixes:,} fixes per run, best of {args.repeat}; /me sends the nearest {limit}")
    print()
    header = (
        f"{'fences':>8} {'index.best µs':>14} {'best_check µs':>14} {'candidates':>11}"
        f" {'build ms':>9} {'/me all':>11} {'/me near':>9}"
    )
    print(header)
    rng = np.random.default_rng(17_373)
    all_fences, safe = make_fences(rng, max(COUNTS))
    for count in COUNTS:
        fences, fence_safe = all_fences[:count], safe[:count]
        start = time.perf_counter()
        index = FenceIndex(fences)
        build_ms = (time.perf_counter() - start) * 1e3
        _, lons, lats, accuracies = make_points(rng, fences, fence_safe, args.fixes, 0.7)
        fixes = list(zip(lons.tolist(), lats.tolist(), accuracies.tolist(), strict=True))
        for lon, lat, accuracy in fixes[:200]:
            assert index.best(lon, lat, accuracy) == best_check(fences, lon, lat, accuracy)
        indexed = per_call_us(index.best, fixes, args.repeat)
        # The brute force grows with the count; fewer fixes keep the run short, same estimate.
        sample = fixes[: max(20, args.fixes * 10 // count)]
        brute = per_call_us(partial(brute_force, fences), sample, 1)
        candidates = np.mean(
            [len(index._within_positions(lo, la, max(ac, 0.01))) for lo, la, ac in fixes[:500]]
        )
        lon, lat = fixes[0][0], fixes[0][1]
        everything = len(locations_json(index, None, lon, lat))
        near = len(locations_json(index, limit, lon, lat))
        print(
            f"{count:>8,} {indexed:>14.1f} {brute:>14.1f} {candidates:>11.2f}"
            f" {build_ms:>9.1f} {everything / 1024:>9.0f}KB {near / 1024:>7.1f}KB"
        )


if __name__ == "__main__":
    main()
