"""The metres check of a fence before it is saved: its size in metres, and what is wrong with it
in words the BKD operator drawing it understands.

Pure functions, no I/O. A fence is refused (errors) when it cannot be used at all: a ring that is
not closed, edges that cross, a circle without a radius, a shape too large for the local
projection. It is saved with warnings when it can be used but probably is not what was meant: a
circle or polygon smaller than what a phone's GPS can tell apart, an area wider than any office,
or coordinates outside Indonesia (lat and lon swapped).
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

import msgspec
import numpy as np
import shapely

from backend.geofence import fences
from backend.geofence.schemas import FenceReport, Geometry, Problem

# Indonesia from Sabang to Merauke, Miangas to Rote, with some sea around it.
_INDONESIA = (94.0, -11.5, 141.5, 6.5)  # min lon, min lat, max lon, max lat


# Corners in one fence: a building or a compound drawn by hand has tens, a surveyed parcel a few
# hundred. More is a traced outline that no phone's GPS can tell apart, and the checks' cost
# grows with it.
MAX_CORNERS = 5000


def diameter(points: np.ndarray) -> float:
    """The largest distance between two of the points (those of a convex hull), computed in
    blocks so that 5,000 points cost tens of milliseconds and little memory."""
    if len(points) < 2:
        return 0.0
    best = 0.0
    for start in range(0, len(points), 512):
        block = points[start : start + 512]
        d = np.hypot(block[:, None, 0] - points[None, :, 0], block[:, None, 1] - points[None, :, 1])
        best = max(best, float(d.max()))
    return best


class FenceLimits(NamedTuple):
    """Where warnings start: settings `fence_min_radius_m` and `fence_max_extent_m`."""

    min_radius_m: float
    max_extent_m: float


def _number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _area_words(area_m2: float) -> str:
    if area_m2 >= 10_000:
        return f"{_number(area_m2 / 10_000, 2)} ha"
    return f"{_number(area_m2)} m²"


def _length_words(metres: float) -> str:
    if metres >= 1000:
        return f"{_number(metres / 1000, 1)} km"
    return f"{_number(metres)} m"


def _refused(code: str, message: str) -> FenceReport:
    return FenceReport(
        ok=False,
        kind=None,
        area_m2=None,
        largest_distance_m=None,
        narrowest_m=None,
        errors=[Problem(code, message)],
        warnings=[],
    )


def _position(value: Any, where: str) -> tuple[float, float] | str:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        return f"{where}: setiap titik harus [bujur, lintang]"
    lon, lat = value[0], value[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return f"{where}: bujur dan lintang harus angka"
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"{where}: bujur dan lintang harus angka"
    if not -180 <= lon <= 180:
        return f"{where}: bujur {lon} di luar -180..180"
    if not -90 <= lat <= 90:
        return f"{where}: lintang {lat} di luar -90..90 (bujur dan lintang tertukar?)"
    return float(lon), float(lat)


def _rings(polygon: Any, where: str) -> list[list[tuple[float, float]]] | str:
    if not isinstance(polygon, list) or not polygon:
        return f"{where}: koordinat harus daftar cincin titik"
    parsed = []
    for r, ring in enumerate(polygon):
        label = where if r == 0 else f"{where}, lubang {r}"
        if not isinstance(ring, list) or len(ring) < 4:
            return f"{label}: perlu minimal 3 titik sudut dan titik pertama diulang di akhir"
        points = []
        for i, value in enumerate(ring):
            point = _position(value, f"{label}, titik {i + 1}")
            if isinstance(point, str):
                return point
            points.append(point)
        if points[0] != points[-1]:
            return f"{label}: cincin tidak tertutup; titik terakhir harus sama dengan titik pertama"
        if len(set(points)) < 3:
            return f"{label}: perlu minimal 3 titik sudut yang berbeda"
        parsed.append(points)
    return parsed


_AT = re.compile(r"\[(?P<lon>[-\d.e]+) (?P<lat>[-\d.e]+)\]")


def _invalid_words(reason: str) -> str:
    """shapely.is_valid_reason (GEOS) in words, with where it happens as lat, lon."""
    where = ""
    if m := _AT.search(reason):
        where = f" di sekitar titik {float(m['lat']):.6f}, {float(m['lon']):.6f} (lintang, bujur)"
    if "Self-intersection" in reason:
        return (
            f"Sisi-sisi poligon saling bersilangan (memotong dirinya sendiri){where}. "
            "Urutkan titik-titik sudut berkeliling area, searah atau berlawanan jarum jam, "
            "tanpa melompat ke seberang."
        )
    if "Hole lies outside shell" in reason:
        return f"Lubang poligon berada di luar batas luarnya{where}."
    if "Nested shells" in reason or "Nested holes" in reason:
        return f"Dua bagian poligon saling bertumpuk{where}; gabungkan menjadi satu."
    if "Interior is disconnected" in reason:
        return f"Lubang poligon membelah area menjadi beberapa bagian{where}."
    if "Too few points" in reason:
        return "Poligon perlu minimal 3 titik sudut yang berbeda."
    return f"Bentuk poligon tidak sah{where}."


def _outside_indonesia(points: list[tuple[float, float]]) -> bool:
    min_lon, min_lat, max_lon, max_lat = _INDONESIA
    return any(not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat) for lon, lat in points)


def check_fence(
    geometry: Any, radius_m: float | None, limits: FenceLimits
) -> tuple[FenceReport, dict[str, Any] | None]:
    """The report of a fence as entered, and the geometry to store when it can be saved: the
    same shape in two dimensions (an altitude some GPS tools add is dropped)."""
    if not isinstance(geometry, dict):
        return _refused("geometry", "Bentuk area harus objek GeoJSON (Point atau Polygon)"), None
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    warnings: list[Problem] = []
    if kind == "Point":
        centre = _position(coordinates, "Titik pusat")
        if isinstance(centre, str):
            return _refused("position", centre), None
        if radius_m is None:
            return _refused("radius", "Lingkaran perlu jari-jari dalam meter"), None
        if not 0 < radius_m <= fences.MAX_FENCE_RADIUS_M:
            return _refused(
                "radius",
                f"Jari-jari harus lebih dari 0 dan paling besar "
                f"{_length_words(fences.MAX_FENCE_RADIUS_M)}",
            ), None
        points = [centre]
        clean: dict[str, Any] = {"type": "Point", "coordinates": list(centre)}
        area = math.pi * radius_m**2
        largest = narrowest = 2 * radius_m
        if radius_m < limits.min_radius_m:
            warnings.append(
                Problem(
                    "too_small",
                    f"Jari-jari {_length_words(radius_m)} lebih kecil dari "
                    f"{_length_words(limits.min_radius_m)}, ketelitian GPS ponsel yang umum: "
                    "pegawai yang berada di dalam bisa terbaca di luar area.",
                )
            )
    elif kind in ("Polygon", "MultiPolygon"):
        if radius_m is not None:
            return _refused("radius", "Jari-jari hanya untuk lingkaran, bukan poligon"), None
        if kind == "Polygon":
            polygons = [coordinates]
        elif isinstance(coordinates, list) and coordinates:
            polygons = coordinates
        else:
            return _refused("geometry", "MultiPolygon harus berisi daftar poligon"), None
        corners = sum(
            len(ring)
            for polygon in polygons
            if isinstance(polygon, list)
            for ring in polygon
            if isinstance(ring, list)
        )
        if corners > MAX_CORNERS:
            return _refused(
                "too_many_corners",
                f"Poligon berisi {_number(corners)} titik; paling banyak {_number(MAX_CORNERS)}. "
                "Sederhanakan batasnya (satu titik tiap beberapa meter sudah cukup untuk GPS).",
            ), None
        parsed = []
        for i, polygon in enumerate(polygons):
            rings = _rings(polygon, "Poligon" if len(polygons) == 1 else f"Poligon {i + 1}")
            if isinstance(rings, str):
                return _refused("ring", rings), None
            parsed.append(rings)
        shape = shapely.MultiPolygon([shapely.Polygon(r[0], r[1:]) for r in parsed])
        if shapely.area(shapely.convex_hull(shape)) == 0:
            return _refused(
                "zero_area",
                "Poligon tidak mempunyai luas: titik-titik sudutnya segaris atau berimpit.",
            ), None
        if not shapely.is_valid(shape):
            return _refused(
                "self_intersection", _invalid_words(shapely.is_valid_reason(shape))
            ), None
        points = [p for rings in parsed for ring in rings for p in ring]
        as_lists = [[[list(p) for p in ring] for ring in rings] for rings in parsed]
        clean = {
            "type": kind,
            "coordinates": as_lists[0] if kind == "Polygon" else as_lists,
        }
        try:
            fence = fences.Fence.from_geojson(0, clean, radius_m=None, max_accuracy_m=1)
        except ValueError as exc:
            if "too large" in str(exc):
                return _refused(
                    "too_large",
                    f"Area terlalu besar: titik sudut lebih dari "
                    f"{_length_words(fences.MAX_FENCE_RADIUS_M)} dari tengahnya "
                    "(bujur dan lintang tertukar?)",
                ), None
            return _refused("geometry", f"Bentuk area tidak dapat dipakai ({exc})"), None
        local = fence.local_geometry
        area = float(shapely.area(local))
        largest = diameter(shapely.get_coordinates(shapely.convex_hull(local)))
        # A tenth of a metre on a building, coarser on larger shapes: GEOS's search is
        # iterative and its cost grows with size / tolerance.
        inscribed = shapely.maximum_inscribed_circle(local, tolerance=max(0.1, largest / 2000))
        narrowest = 2 * float(shapely.length(inscribed))
        equal_radius = math.sqrt(area / math.pi)
        if equal_radius < limits.min_radius_m or narrowest < limits.min_radius_m:
            warnings.append(
                Problem(
                    "too_small",
                    f"Area {_area_words(area)} dengan bagian tersempit "
                    f"{_length_words(narrowest)} terlalu kecil untuk ketelitian GPS ponsel "
                    f"(±{_length_words(limits.min_radius_m)}): pegawai yang berada di dalam "
                    "bisa terbaca di luar area.",
                )
            )
    else:
        return _refused(
            "geometry", "Jenis bentuk harus Point (lingkaran), Polygon atau MultiPolygon"
        ), None
    if largest > limits.max_extent_m:
        warnings.append(
            Problem(
                "too_large",
                f"Area selebar {_length_words(largest)} jauh lebih besar dari satu kantor atau "
                f"sekolah (batas wajar {_length_words(limits.max_extent_m)}): periksa satuan "
                "(meter) dan titik-titiknya.",
            )
        )
    if _outside_indonesia(points):
        warnings.append(
            Problem(
                "outside_indonesia",
                "Koordinat berada di luar wilayah Indonesia: apakah bujur dan lintang tertukar? "
                "GeoJSON menulis [bujur, lintang].",
            )
        )
    msgspec.convert(clean, Geometry)  # what was checked above is exactly what the type allows
    report = FenceReport(
        ok=True,
        kind="circle" if kind == "Point" else "polygon",
        area_m2=round(area, 1),
        largest_distance_m=round(largest, 1),
        narrowest_m=round(narrowest, 1),
        errors=[],
        warnings=warnings,
    )
    return report, clean
