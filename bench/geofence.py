"""Geofence throughput: one full decision, and vectorised batches against 1 and 1,000 locations.

    uv run python bench/geofence.py [--points 1000000] [--repeat 5]

Targets (DESIGN.md, geofence): >= 2,000,000 points/s vectorised, distances in metres included;
< 50 µs for one decision. Each figure is the best of --repeat runs after a warm-up, because on a
shared machine the best run is the one least disturbed by neighbours.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from backend.geofence.fences import (
    Fence,
    FenceIndex,
    best_check,
    check,
)

# Indonesia's bounding box, where the locations are spread.
LON_RANGE = (95.0, 141.0)
LAT_RANGE = (-11.0, 6.0)


def ring_around(lon: float, lat: float, east: np.ndarray, north: np.ndarray) -> list[list[float]]:
    # Metres to degrees with a local flat approximation: good enough to shape test fences.
    lons = lon + east / (111_320 * math.cos(math.radians(lat)))
    lats = lat + north / 110_574
    ring = np.column_stack([lons, lats]).tolist()
    return [*ring, ring[0]]


def star_polygon(
    rng: np.random.Generator, lon: float, lat: float, vertices: int, size_m: float
) -> dict[str, Any]:
    """A concave star: every other vertex pulled in, the inner radius at least 0.4 of the outer."""
    angles = (np.arange(vertices) + rng.uniform(0, 0.5, vertices)) * 2 * np.pi / vertices
    radii = size_m * np.where(np.arange(vertices) % 2 == 0, 1.0, rng.uniform(0.4, 0.9, vertices))
    ring = ring_around(lon, lat, radii * np.cos(angles), radii * np.sin(angles))
    return {"type": "Polygon", "coordinates": [ring]}


def make_fences(rng: np.random.Generator, count: int) -> tuple[list[Fence], np.ndarray]:
    """70 % star polygons of 4-40 vertices and 60-400 m, 30 % circles of 50-300 m.

    Returns the fences and, for each, a radius (metres) inside which a point is surely inside.
    """
    fences: list[Fence] = []
    safe = np.empty(count)
    for i in range(count):
        lon, lat = rng.uniform(*LON_RANGE), rng.uniform(*LAT_RANGE)
        if rng.random() < 0.3:
            radius = float(rng.uniform(50, 300))
            geometry: dict[str, Any] = {"type": "Point", "coordinates": [lon, lat]}
            fences.append(Fence.from_geojson(i, geometry, radius_m=radius, max_accuracy_m=50))
            safe[i] = radius * 0.9
        else:
            size = float(rng.uniform(60, 400))
            geometry = star_polygon(rng, lon, lat, int(rng.integers(4, 41)), size)
            fences.append(Fence.from_geojson(i, geometry, radius_m=None, max_accuracy_m=50))
            safe[i] = size * 0.3
    return fences, safe


def make_points(
    rng: np.random.Generator, fences: list[Fence], safe: np.ndarray, n: int, inside_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n fixes, each aimed at a random fence: `inside_share` of them well inside it, the rest at
    0.5-5 km from its centre. Accuracy 3-60 m, like phones outdoors."""
    which = rng.integers(0, len(fences), n)
    inside = rng.random(n) < inside_share
    reach = np.where(inside, rng.uniform(0, 1, n) * safe[which], rng.uniform(500, 5000, n))
    bearing = rng.uniform(0, 2 * np.pi, n)
    centre_lon = np.array([f.centre_lon for f in fences])[which]
    centre_lat = np.array([f.centre_lat for f in fences])[which]
    lons = centre_lon + reach * np.sin(bearing) / (111_320 * np.cos(np.radians(centre_lat)))
    lats = centre_lat + reach * np.cos(bearing) / 110_574
    ids = np.array([f.location_id for f in fences])[which]
    return ids, lons, lats, rng.uniform(3, 60, n)


def best_seconds(repeat: int, run: Callable[..., object], *args: Any) -> float:
    run(*args)
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        run(*args)
        best = min(best, time.perf_counter() - start)
    return best


def micros_per_call(run: Callable[[], object], repeat: int, number: int = 20_000) -> float:
    return min(timeit.repeat(run, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, repeat = args.points, args.repeat
    rng = np.random.default_rng(2024)

    print(f"machine  {platform.platform()}  {platform.machine()}  {platform.processor() or '?'}")
    print(f"         {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"         numpy {np.__version__}, shapely {shapely.__version__}, GEOS {shapely.geos_version_string}"
    )
    print()

    # --- one decision ------------------------------------------------------------------------
    jakarta = (106.8272, -6.1754)
    small = Fence.from_geojson(
        1, star_polygon(rng, *jakarta, 12, 150.0), radius_m=None, max_accuracy_m=50
    )
    large = Fence.from_geojson(
        2, star_polygon(rng, *jakarta, 200, 150.0), radius_m=None, max_accuracy_m=50
    )
    circle = Fence.from_geojson(
        3, {"type": "Point", "coordinates": list(jakarta)}, radius_m=100.0, max_accuracy_m=50
    )
    away = (jakarta[0] + 0.01, jakarta[1] + 0.004)
    singles = [
        ("polygon, 12 vertices, fix inside", lambda: check(small, *jakarta, 10.0)),
        ("polygon, 12 vertices, fix 1.2 km out", lambda: check(small, *away, 10.0)),
        ("polygon, 200 vertices, fix inside", lambda: check(large, *jakarta, 10.0)),
        ("polygon, 200 vertices, fix 1.2 km out", lambda: check(large, *away, 10.0)),
        ("circle, fix 1.2 km out", lambda: check(circle, *away, 10.0)),
        (
            "best_check over the 3 fences above",
            lambda: best_check([small, large, circle], *away, 10.0),
        ),
    ]
    print("one full decision (check)                       µs/call   target < 50")
    for label, run in singles:
        print(f"  {label:<44} {micros_per_call(run, repeat):8.2f}")
    print()

    # --- vectorised ----------------------------------------------------------------------------
    one_fence = [
        Fence.from_geojson(
            0, star_polygon(rng, *jakarta, 20, 200.0), radius_m=None, max_accuracy_m=50
        )
    ]
    one_safe = np.array([200.0 * 0.3])
    many_fences, many_safe = make_fences(np.random.default_rng(2), 1000)
    build = best_seconds(1, FenceIndex, many_fences)
    one_index, many_index = FenceIndex(one_fence), FenceIndex(many_fences)
    polygons = sum(not f.is_circle for f in many_fences)
    print("1 location: a concave 20-vertex polygon of 200 m")
    print(
        f"1,000 locations: {polygons} polygons, {1000 - polygons} circles; "
        f"FenceIndex built in {build * 1e3:.0f} ms"
    )
    print(f"{n:,} fixes per batch; 'inside share' = fixes aimed well inside their fence")
    print()
    header = f"  {'':<46}{'inside share':>13}{'seconds':>10}{'points/s':>14}"
    print("vectorised                                                        target >= 2,000,000/s")
    print(header)
    for locations, index, fences, safe in (
        (1, one_index, one_fence, one_safe),
        (1000, many_index, many_fences, many_safe),
    ):
        for inside_share in (1.0, 0.5, 0.0):
            ids, lons, lats, acc = make_points(rng, fences, safe, n, inside_share)
            seconds = best_seconds(repeat, index.check_pairs, ids, lons, lats, acc)
            label = f"check_pairs, {locations} location(s)"
            print(f"  {label:<46}{inside_share:>12.0%}{seconds:>10.3f}{n / seconds:>14,.0f}")
        for inside_share in (1.0, 0.5, 0.0):
            ids, lons, lats, acc = make_points(rng, fences, safe, n, inside_share)
            seconds = best_seconds(repeat, index.locate, lons, lats, acc)
            label = f"locate (5 km search), {locations} location(s)"
            print(f"  {label:<46}{inside_share:>12.0%}{seconds:>10.3f}{n / seconds:>14,.0f}")
    # A typical offline-sync batch: a few hundred records, so per-call overhead shows.
    ids, lons, lats, acc = make_points(rng, many_fences, many_safe, 500, 0.8)
    seconds = best_seconds(repeat, many_index.check_pairs, ids, lons, lats, acc)
    label = "check_pairs, 1000 locations, batch of 500"
    print(f"  {label:<46}{0.8:>12.0%}{seconds:>10.5f}{500 / seconds:>14,.0f}")
    seconds = best_seconds(repeat, many_index.locate, lons, lats, acc)
    label = "locate, 1000 locations, batch of 500"
    print(f"  {label:<46}{0.8:>12.0%}{seconds:>10.5f}{500 / seconds:>14,.0f}")
    # Fixes anywhere over Indonesia: nearly all far from every fence.
    lons = rng.uniform(*LON_RANGE, n)
    lats = rng.uniform(*LAT_RANGE, n)
    acc = rng.uniform(3, 60, n)
    seconds = best_seconds(repeat, many_index.locate, lons, lats, acc)
    label = "locate, 1000 locations, fixes anywhere"
    print(f"  {label:<46}{'~0%':>12}{seconds:>10.3f}{n / seconds:>14,.0f}")
    print()

    # --- the spatial index alone -------------------------------------------------------------
    ids, lons, lats, acc = make_points(rng, many_fences, many_safe, n, 0.5)
    tree = shapely.STRtree(shapely.box(*np.array([f.bounds_deg for f in many_fences]).T))
    # 5 km in degrees of longitude at 11 degrees latitude: a conservative search distance.
    search_deg = 5000 / (6_378_137 * math.cos(math.radians(11)) * math.pi / 180)
    points = shapely.points(lons, lats)
    print("spatial index alone, 1,000 locations, 50 % inside" + " " * 14 + "points/s")
    raw = [
        ("shapely.points(lons, lats)  (geometry per fix)", lambda: shapely.points(lons, lats)),
        ("STRtree.query(points)  (envelopes only)", lambda: tree.query(points)),
        (
            "STRtree.query(points, dwithin 5 km)",
            lambda: tree.query(points, predicate="dwithin", distance=search_deg),
        ),
        (
            "FenceIndex.candidates  (grid cells + STRtree)",
            lambda: many_index.candidates(lons, lats, 5000),
        ),
    ]
    for label, run in raw:
        seconds = best_seconds(repeat, run)
        print(f"  {label:<60}{n / seconds:>14,.0f}")


if __name__ == "__main__":
    main()
