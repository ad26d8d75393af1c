"""The metres check of a fence before saving: sizes measured on the ellipsoid's local plane,
warnings for fences a phone's GPS cannot use well, and refusals in words."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backend.geofence import fences
from backend.geofence.checks import FenceLimits, check_fence, diameter
from backend.org import demo_data

LIMITS = FenceLimits(min_radius_m=25, max_extent_m=5000)
LON, LAT = 111.4177, -6.9686  # Blora
# Metres per degree at Blora's latitude (WGS84): east ~110,520, north ~110,600.
EAST = fences.distance_between_m(LON, LAT, LON + 0.001, LAT) * 1000
NORTH = fences.distance_between_m(LON, LAT, LON, LAT + 0.001) * 1000


def rect(width_m: float, height_m: float, lon: float = LON, lat: float = LAT) -> dict:
    dx, dy = width_m / EAST, height_m / NORTH
    ring = [[lon, lat], [lon + dx, lat], [lon + dx, lat + dy], [lon, lat + dy], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def circle(radius: float | None, lon: float = LON, lat: float = LAT):
    return check_fence({"type": "Point", "coordinates": [lon, lat]}, radius, LIMITS)


def codes(report) -> list[str]:
    return [p.code for p in report.warnings]


def test_a_circle_reports_its_area_and_diameter() -> None:
    report, geometry = circle(50)
    assert report.ok and report.kind == "circle"
    assert report.area_m2 == pytest.approx(math.pi * 2500, abs=0.1)
    assert report.largest_distance_m == 100 and report.narrowest_m == 100
    assert report.warnings == []
    assert geometry == {"type": "Point", "coordinates": [LON, LAT]}


def test_a_rectangle_is_measured_in_metres() -> None:
    report, _ = check_fence(rect(120, 80), None, LIMITS)
    assert report.ok and report.kind == "polygon"
    assert report.area_m2 == pytest.approx(120 * 80, rel=0.002)
    assert report.largest_distance_m == pytest.approx(math.hypot(120, 80), abs=0.3)
    assert report.narrowest_m == pytest.approx(80, abs=0.5)


def test_every_demo_fence_passes_without_warnings() -> None:
    for location in demo_data.LOCATIONS:
        report, _ = check_fence(location.geometry, location.radius_m, LIMITS)
        assert report.ok and report.errors == [], location.code


def test_fences_too_small_for_gps_are_warned_about_but_allowed() -> None:
    small, _ = circle(10)
    assert small.ok and codes(small) == ["too_small"]
    assert "Jari-jari 10 m lebih kecil dari 25 m" in small.warnings[0].message
    assert codes(circle(25)[0]) == []
    sliver, _ = check_fence(rect(400, 12), None, LIMITS)  # big enough in area, 12 m wide
    assert sliver.ok and codes(sliver) == ["too_small"]
    assert "tersempit 12 m" in sliver.warnings[0].message
    tiny, _ = check_fence(rect(20, 20), None, LIMITS)
    assert codes(tiny) == ["too_small"]


def test_absurdly_large_fences_are_warned_about_or_refused() -> None:
    wide, _ = circle(3000)
    assert wide.ok and codes(wide) == ["too_large"]
    assert "6,0 km" in wide.warnings[0].message
    huge, geometry = check_fence(rect(150_000, 150_000), None, LIMITS)
    assert not huge.ok and geometry is None
    assert huge.errors[0].code == "too_large"
    assert "bujur dan lintang tertukar" in huge.errors[0].message
    radius, _ = circle(60_000)
    assert not radius.ok and radius.errors[0].code == "radius"


def test_a_self_intersecting_polygon_is_refused_with_where_it_crosses() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [
                [LON, LAT],
                [LON + 0.001, LAT + 0.001],
                [LON + 0.001, LAT],
                [LON, LAT + 0.001],
                [LON, LAT],
            ]
        ],
    }
    report, geometry = check_fence(bowtie, None, LIMITS)
    assert not report.ok and geometry is None
    [error] = report.errors
    assert error.code == "self_intersection"
    assert "saling bersilangan" in error.message
    assert f"{LAT + 0.0005:.6f}, {LON + 0.0005:.6f} (lintang, bujur)" in error.message


@pytest.mark.parametrize(
    ("geometry", "radius", "words"),
    [
        ({"type": "Point", "coordinates": [LON, LAT]}, None, "Lingkaran perlu jari-jari"),
        ({"type": "Point", "coordinates": [LON]}, 50, "setiap titik harus [bujur, lintang]"),
        ({"type": "Point", "coordinates": [LAT, 111.4]}, 50, "lintang 111.4 di luar -90..90"),
        ({"type": "Point", "coordinates": ["a", LAT]}, 50, "harus angka"),
        (rect(100, 100), 30, "Jari-jari hanya untuk lingkaran"),
        (
            {"type": "Polygon", "coordinates": [rect(100, 100)["coordinates"][0][:-1]]},
            None,
            "cincin tidak tertutup",
        ),
        (
            {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 0.001, LAT], [LON, LAT]]]},
            None,
            "minimal 3 titik sudut",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON, LAT], [LON + 0.001, LAT], [LON + 0.002, LAT], [LON, LAT], [LON, LAT]]
                ],
            },
            None,
            "tidak mempunyai luas",
        ),
        ({"type": "LineString", "coordinates": [[LON, LAT], [LON, LAT]]}, None, "Jenis bentuk"),
        ("POLYGON((1 2, 3 4))", None, "objek GeoJSON"),
        ({"type": "MultiPolygon", "coordinates": []}, None, "daftar poligon"),
    ],
)
def test_refusals_say_why(geometry, radius, words: str) -> None:
    report, stored = check_fence(geometry, radius, LIMITS)
    assert not report.ok and stored is None
    assert words in report.errors[0].message


def test_a_hole_outside_its_shell_is_refused() -> None:
    outer = rect(100, 100)["coordinates"][0]
    hole = rect(20, 20, LON + 0.01, LAT)["coordinates"][0]
    report, _ = check_fence({"type": "Polygon", "coordinates": [outer, hole]}, None, LIMITS)
    assert not report.ok and "Lubang poligon berada di luar" in report.errors[0].message


def test_swapped_coordinates_outside_indonesia_are_warned_about() -> None:
    report, _ = circle(50, lon=-6.9686, lat=11.4177)
    assert report.ok and codes(report) == ["outside_indonesia"]


def test_altitudes_are_dropped_and_multipolygons_kept() -> None:
    a = rect(60, 60)["coordinates"][0]
    b = rect(60, 60, LON + 0.01)["coordinates"][0]
    with_alt = {"type": "MultiPolygon", "coordinates": [[[[*p, 90.0] for p in a]], [b]]}
    report, stored = check_fence(with_alt, None, LIMITS)
    assert report.ok
    assert stored == {"type": "MultiPolygon", "coordinates": [[a], [b]]}
    assert report.area_m2 == pytest.approx(2 * 3600, rel=0.002)
    assert report.largest_distance_m > 1000  # across both parts


def test_a_traced_outline_with_too_many_corners_is_refused_at_once() -> None:
    """A 1 MB body holds ~40,000 corners; the largest-distance search over a round outline's
    hull took 7 minutes for 20,000 before the cap."""
    n = 6000
    ring = [
        [LON + 0.01 * math.cos(2 * math.pi * i / n), LAT + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    report, stored = check_fence(
        {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}, None, LIMITS
    )
    assert not report.ok and stored is None
    assert report.errors[0].code == "too_many_corners"
    assert "6.001 titik; paling banyak 5.000" in report.errors[0].message


def test_the_largest_distance_of_a_round_outline_is_its_diameter() -> None:
    n = 4000
    ring = [
        [LON + 0.01 * math.cos(2 * math.pi * i / n), LAT + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    report, _ = check_fence({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}, None, LIMITS)
    assert report.ok
    # 0.02 degree across: ~2,210 m east-west, ~2,212 m north-south.
    assert report.largest_distance_m == pytest.approx(0.02 * NORTH, rel=0.002)
    assert report.narrowest_m == pytest.approx(0.02 * EAST, rel=0.002)


def test_diameter_agrees_with_every_pair() -> None:
    rng = np.random.default_rng(7)
    points = rng.uniform(-500, 500, size=(700, 2))
    brute = max(math.dist(a, b) for a in points for b in points)
    assert diameter(points) == pytest.approx(brute)
    assert diameter(points[:1]) == 0
