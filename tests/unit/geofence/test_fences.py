"""Geofence maths against geographiclib's geodesics, at Indonesia's four corners and the equator."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic

from backend.geofence.fences import (
    CODE_INSIDE,
    CODE_OUTSIDE,
    CODE_UNCERTAIN,
    DECISION_BY_CODE,
    Decision,
    Fence,
    FenceIndex,
    best_check,
    check,
    distance_between_m,
)

WGS84 = Geodesic.WGS84

# The design's budget for metres-to-fence against the true WGS84 geodesic distance.
TOLERANCE_M = 0.5

PLACES = {
    "sabang": (95.32, 5.89),
    "merauke": (140.40, -8.50),
    "miangas": (126.58, 5.56),
    "pulau_rote": (123.05, -10.85),
    "pontianak_south": (109.33, -0.02),
    "pontianak_north": (109.33, 0.02),
}

Position = tuple[float, float]


# --- helpers: build fences and measure truth with geographiclib -------------------------------


def offset(lon: float, lat: float, east_m: float, north_m: float) -> Position:
    """The point reached by walking east_m due east, then north_m due north, along geodesics."""
    step = WGS84.Direct(lat, lon, 90.0, east_m)
    step = WGS84.Direct(step["lat2"], step["lon2"], 0.0, north_m)
    return step["lon2"], step["lat2"]


def walk(position: Position, azimuth: float, distance_m: float) -> Position:
    step = WGS84.Direct(position[1], position[0], azimuth, distance_m)
    return step["lon2"], step["lat2"]


def ring_at(lon: float, lat: float, offsets_m: list[tuple[float, float]]) -> list[Position]:
    ring = [offset(lon, lat, east, north) for east, north in offsets_m]
    return [*ring, ring[0]]


def polygon(*rings: list[Position]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in rings]}


def polygon_fence(
    geometry: dict[str, Any], location_id: int = 1, max_accuracy_m: float = 50
) -> Fence:
    return Fence.from_geojson(location_id, geometry, radius_m=None, max_accuracy_m=max_accuracy_m)


def circle_fence(centre: Position, radius_m: float, location_id: int = 1) -> Fence:
    return Fence.from_geojson(
        location_id,
        {"type": "Point", "coordinates": list(centre)},
        radius_m=radius_m,
        max_accuracy_m=50,
    )


def geodesic_distance(p: Position, q: Position) -> float:
    return WGS84.Inverse(p[1], p[0], q[1], q[0])["s12"]


def geodesic_distance_to_edge(p: Position, a: Position, b: Position) -> float:
    """Shortest geodesic distance from p to the geodesic segment a-b (golden-section search:
    the distance along a short segment is unimodal)."""
    line = WGS84.InverseLine(a[1], a[0], b[1], b[0])

    def at(u: float) -> float:
        q = line.Position(u * line.s13)
        return geodesic_distance(p, (q["lon2"], q["lat2"]))

    low, high = 0.0, 1.0
    ratio = (math.sqrt(5) - 1) / 2
    u1, u2 = high - ratio * (high - low), low + ratio * (high - low)
    f1, f2 = at(u1), at(u2)
    for _ in range(60):
        if f1 < f2:
            high, u2, f2 = u2, u1, f1
            u1 = high - ratio * (high - low)
            f1 = at(u1)
        else:
            low, u1, f1 = u1, u2, f2
            u2 = low + ratio * (high - low)
            f2 = at(u2)
    return min(f1, f2, at(0.0), at(1.0))


def geodesic_distance_to_rings(p: Position, rings: list[list[Position]]) -> float:
    return min(
        geodesic_distance_to_edge(p, ring[i], ring[i + 1])
        for ring in rings
        for i in range(len(ring) - 1)
    )


def convex_ring(lon: float, lat: float) -> list[Position]:
    """A slightly skewed 260 x 180 m quadrilateral, counter-clockwise, no edge on a parallel."""
    return ring_at(lon, lat, [(-130, -80), (120, -100), (140, 90), (-110, 80)])


# --- distances against geodesics -------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
def test_distance_to_edges_matches_geodesic(place: str) -> None:
    ring = convex_ring(*PLACES[place])
    fence = polygon_fence(polygon(ring))
    worst = 0.0
    for a, b in itertools.pairwise(ring):
        line = WGS84.InverseLine(a[1], a[0], b[1], b[0])
        for fraction in (0.2, 0.5, 0.8):
            foot = line.Position(fraction * line.s13)
            # Counter-clockwise ring: the outside is to the right of the direction of travel, and
            # a geodesic leaving the edge at a right angle keeps the foot as its nearest point.
            outward = foot["azi2"] + 90.0
            for distance_m in (1.0, 10.0, 100.0, 1000.0, 5000.0):
                p = walk((foot["lon2"], foot["lat2"]), outward, distance_m)
                result = check(fence, p[0], p[1], 0.0)
                assert result.decision is Decision.OUTSIDE
                worst = max(worst, abs(result.distance_m - distance_m))
    assert worst < TOLERANCE_M


@pytest.mark.parametrize("place", PLACES)
def test_distance_to_vertices_matches_geodesic(place: str) -> None:
    ring = convex_ring(*PLACES[place])
    fence = polygon_fence(polygon(ring))
    vertices = ring[:-1]
    for i, vertex in enumerate(vertices):
        before, after = vertices[i - 1], vertices[(i + 1) % len(vertices)]
        # Outward normals of the two edges meeting here bound the region nearest to the vertex.
        normal_in = WGS84.Inverse(before[1], before[0], vertex[1], vertex[0])["azi2"] + 90.0
        normal_out = WGS84.Inverse(vertex[1], vertex[0], after[1], after[0])["azi1"] + 90.0
        # The ring turns left at each vertex, so the vertex's region runs clockwise from the
        # outgoing edge's normal to the incoming one's.
        spread = (normal_in - normal_out) % 360.0
        assert 0 < spread < 180
        for share in (0.1, 0.5, 0.9):
            azimuth = normal_out + share * spread
            for distance_m in (1.0, 37.0, 480.0, 2500.0, 5000.0):
                p = walk(vertex, azimuth, distance_m)
                result = check(fence, p[0], p[1], 0.0)
                assert result.decision is Decision.OUTSIDE
                assert result.distance_m == pytest.approx(distance_m, abs=TOLERANCE_M)


@pytest.mark.parametrize("place", PLACES)
def test_distance_at_random_bearings_matches_geodesic_search(place: str) -> None:
    lon, lat = PLACES[place]
    ring = convex_ring(lon, lat)
    fence = polygon_fence(polygon(ring))
    rng = np.random.default_rng(20_240_917)
    for _ in range(8):
        p = walk((lon, lat), float(rng.uniform(0, 360)), float(rng.uniform(160, 5100)))
        truth = geodesic_distance_to_rings(p, [ring])
        assert check(fence, p[0], p[1], 0.0).distance_m == pytest.approx(truth, abs=TOLERANCE_M)


@pytest.mark.parametrize("place", PLACES)
def test_circle_distance_matches_geodesic(place: str) -> None:
    centre = PLACES[place]
    fence = circle_fence(centre, 150.0)
    for azimuth in range(0, 360, 30):
        for distance_m in (1.0, 25.0, 850.0, 5000.0):
            p = walk(centre, azimuth, 150.0 + distance_m)
            result = check(fence, p[0], p[1], 0.0)
            assert result.decision is Decision.OUTSIDE
            assert result.distance_m == pytest.approx(distance_m, abs=TOLERANCE_M)
        inside = walk(centre, azimuth, 149.0)
        assert check(fence, inside[0], inside[1], 0.0).decision is Decision.INSIDE
        on_circle = walk(centre, azimuth, 150.0)
        assert check(fence, on_circle[0], on_circle[1], 0.0) == (1, Decision.INSIDE, 0.0, False)


def test_fence_across_the_equator() -> None:
    lon = 109.33
    ring = [(lon - 0.01, -0.02), (lon + 0.01, -0.02), (lon + 0.01, 0.02), (lon - 0.01, 0.02)]
    ring.append(ring[0])
    fence = polygon_fence(polygon(ring))
    for lat in (-0.019, -1e-9, 0.0, 1e-9, 0.019):
        assert check(fence, lon, lat, 0.0).decision is Decision.INSIDE
    for p in [(lon, -0.0205), (lon, 0.0231), (lon + 0.0134, 0.0001), (lon - 0.0102, -0.0001)]:
        truth = geodesic_distance_to_rings(p, [ring])
        result = check(fence, p[0], p[1], 0.0)
        assert result.decision is Decision.OUTSIDE
        assert result.distance_m == pytest.approx(truth, abs=TOLERANCE_M)
    # 0.0005 degrees of latitude is ~55.3 m at the equator: a sanity check on the truth itself.
    assert check(fence, lon, 0.0205, 0.0).distance_m == pytest.approx(55.29, abs=0.05)


# --- shapes, edges, accuracy -----------------------------------------------------------------


def u_shape(lon: float, lat: float) -> list[Position]:
    """A 300 x 300 m U, opening north: a notch 100 m wide and 200 m deep between two arms."""
    return ring_at(
        lon,
        lat,
        [
            *[(-150, -150), (150, -150), (150, 150), (50, 150)],
            *[(50, -50), (-50, -50), (-50, 150), (-150, 150)],
        ],
    )


def test_point_in_the_notch_of_a_concave_polygon_is_outside_nearest_arm() -> None:
    lon, lat = PLACES["merauke"]
    ring = u_shape(lon, lat)
    fence = polygon_fence(polygon(ring))
    # 20 m from the left arm's inner edge, 80 m from the right one, 100 m above the notch's floor.
    p = offset(lon, lat, -30, 50)
    truth = geodesic_distance_to_rings(p, [ring])
    assert truth == pytest.approx(20.0, abs=0.2)
    result = check(fence, p[0], p[1], 5.0)
    assert result.decision is Decision.OUTSIDE
    assert result.distance_m == pytest.approx(truth, abs=TOLERANCE_M)
    assert check(fence, p[0], p[1], 25.0).decision is Decision.UNCERTAIN
    # Each arm and the base are inside.
    for east, north in [(-100, 100), (100, 100), (0, -100)]:
        q = offset(lon, lat, east, north)
        assert check(fence, q[0], q[1], 0.0).decision is Decision.INSIDE


def test_points_on_vertices_and_edges_are_inside() -> None:
    lon, lat = PLACES["pulau_rote"]
    ring = u_shape(lon, lat)
    fence = polygon_fence(polygon(ring))
    for a, b in itertools.pairwise(ring):
        assert check(fence, a[0], a[1], 0.0) == (1, Decision.INSIDE, 0.0, False)
        midpoint = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        assert check(fence, *midpoint, 0.0).decision is Decision.INSIDE
        line = WGS84.InverseLine(a[1], a[0], b[1], b[0])
        on_geodesic = line.Position(0.37 * line.s13)
        assert check(fence, on_geodesic["lon2"], on_geodesic["lat2"], 0.0).distance_m == 0.0
    # And 5 cm off an edge, outwards, is outside: the slack for "on the edge" is a centimetre.
    line = WGS84.InverseLine(ring[0][1], ring[0][0], ring[1][1], ring[1][0])
    foot = line.Position(line.s13 / 2)
    p = walk((foot["lon2"], foot["lat2"]), foot["azi2"] + 90, 0.05)
    result = check(fence, p[0], p[1], 0.0)
    assert result.decision is Decision.OUTSIDE
    assert result.distance_m == pytest.approx(0.05, abs=0.005)


def test_accuracy_decides_between_uncertain_and_outside() -> None:
    centre = PLACES["miangas"]
    fence = circle_fence(centre, 100.0)
    far = walk(centre, 45.0, 4100.0)
    assert check(fence, far[0], far[1], 5000.0).decision is Decision.UNCERTAIN
    assert check(fence, far[0], far[1], 3900.0).decision is Decision.OUTSIDE
    near = walk(centre, 200.0, 101.0)
    exact = check(fence, near[0], near[1], 0.0)
    assert exact.decision is Decision.OUTSIDE
    assert exact.distance_m == pytest.approx(1.0, abs=0.01)
    # "The accuracy circle reaches the fence" includes just touching it.
    assert check(fence, *near, exact.distance_m).decision is Decision.UNCERTAIN
    assert check(fence, *near, exact.distance_m - 1e-6).decision is Decision.OUTSIDE
    assert check(fence, *centre, 5000.0).decision is Decision.INSIDE


def test_accuracy_beyond_the_locations_limit_is_flagged_not_hidden() -> None:
    lon, lat = PLACES["sabang"]
    fence = polygon_fence(polygon(convex_ring(lon, lat)), location_id=7, max_accuracy_m=30)
    assert check(fence, lon, lat, 30.0).accuracy_exceeded is False
    inside = check(fence, lon, lat, 30.5)
    assert inside == (7, Decision.INSIDE, 0.0, True)
    far = offset(lon, lat, 0, 1000)
    assert check(fence, far[0], far[1], 2000.0).accuracy_exceeded is True
    assert check(fence, far[0], far[1], 0.0).accuracy_exceeded is False


def test_multipolygon_and_polygon_with_a_courtyard() -> None:
    lon, lat = PLACES["pontianak_north"]
    west = convex_ring(*offset(lon, lat, -600, 0))
    east = convex_ring(*offset(lon, lat, 600, 0))
    fence = Fence.from_geojson(
        3,
        {
            "type": "MultiPolygon",
            "coordinates": [[[list(p) for p in west]], [[list(p) for p in east]]],
        },
        radius_m=None,
        max_accuracy_m=50,
    )
    for centre in (offset(lon, lat, -600, 0), offset(lon, lat, 600, 0)):
        assert check(fence, *centre, 0.0).decision is Decision.INSIDE
    between = offset(lon, lat, 100, 0)
    result = check(fence, *between, 0.0)
    assert result.decision is Decision.OUTSIDE
    assert result.distance_m == pytest.approx(
        geodesic_distance_to_rings(between, [west, east]), abs=TOLERANCE_M
    )
    assert result.distance_m == pytest.approx(600 - 130 - 100, abs=15)

    shell = ring_at(lon, lat, [(-100, -100), (100, -100), (100, 100), (-100, 100)])
    courtyard = ring_at(lon, lat, [(-40, -40), (-40, 40), (40, 40), (40, -40)])
    fence = polygon_fence(polygon(shell, courtyard))
    in_courtyard = offset(lon, lat, 10, 0)
    result = check(fence, *in_courtyard, 0.0)
    assert result.decision is Decision.OUTSIDE
    assert result.distance_m == pytest.approx(30.0, abs=0.05)
    assert check(fence, *offset(lon, lat, 70, 0), 0.0).decision is Decision.INSIDE


def test_polygon_with_many_vertices_matches_geodesic() -> None:
    # Above 40 edges `check` hands the work to GEOS instead of its Python loop.
    lon, lat = PLACES["miangas"]
    angles = np.linspace(0, 2 * np.pi, 121)[:-1]
    radii = np.where(np.arange(120) % 2 == 0, 300.0, 200.0)
    ring = ring_at(
        lon, lat, [(r * np.cos(a), r * np.sin(a)) for r, a in zip(radii, angles, strict=True)]
    )
    fence = polygon_fence(polygon(ring))
    assert len(fence.edges) == 120
    assert check(fence, lon, lat, 0.0).decision is Decision.INSIDE
    assert check(fence, *ring[3], 0.0).decision is Decision.INSIDE
    for azimuth in (10.0, 133.0, 260.0):
        p = walk((lon, lat), azimuth, 900.0)
        truth = geodesic_distance_to_rings(p, [ring])
        assert check(fence, *p, 0.0).distance_m == pytest.approx(truth, abs=TOLERANCE_M)


def test_best_check_prefers_inside_then_uncertain_then_nearest() -> None:
    lon, lat = PLACES["merauke"]
    here = circle_fence((lon, lat), 50.0, location_id=1)
    near = circle_fence(offset(lon, lat, 300, 0), 50.0, location_id=2)
    nearer = circle_fence(offset(lon, lat, 0, 200), 50.0, location_id=3)
    far = circle_fence(offset(lon, lat, 3000, 0), 50.0, location_id=4)

    assert best_check([], lon, lat, 10.0) is None
    assert best_check([far, near, here, nearer], lon, lat, 10.0).location_id == 1
    # Nothing inside: uncertain beats outside; all outside: the nearest, with its distance.
    assert best_check([far, near], lon, lat, 260.0)[:2] == (2, Decision.UNCERTAIN)
    outside = best_check([far, near, nearer], lon, lat, 10.0)
    assert outside[:2] == (3, Decision.OUTSIDE)
    assert outside.distance_m == pytest.approx(150.0, abs=0.01)
    # Both uncertain: the nearer; equal in every way: the first given.
    assert best_check([far, near, nearer], lon, lat, 260.0)[:2] == (3, Decision.UNCERTAIN)
    twin = circle_fence(offset(lon, lat, 0, 200), 50.0, location_id=5)
    assert best_check([twin, nearer], lon, lat, 200.0).location_id == 5
    assert best_check([nearer, twin], lon, lat, 200.0).location_id == 3


def test_distance_between_points_matches_geodesic() -> None:
    pairs = [
        (PLACES["sabang"], PLACES["merauke"]),
        (PLACES["pontianak_south"], PLACES["pontianak_north"]),
        (PLACES["miangas"], PLACES["pulau_rote"]),
        ((106.8271, -6.1754), (106.8272, -6.1754)),
        ((106.8271, -6.1754), (106.8271, -6.1754)),
    ]
    for p, q in pairs:
        assert distance_between_m(*p, *q) == pytest.approx(geodesic_distance(p, q), abs=1e-3)
    with pytest.raises(ValueError, match="lat2"):
        distance_between_m(106.0, -6.0, 106.0, math.nan)


# --- FenceIndex --------------------------------------------------------------------------------


def random_fences(rng: np.random.Generator, count: int) -> list[Fence]:
    """Circles and star-shaped (concave) polygons of 3 to 60 vertices over Indonesia."""
    fences: list[Fence] = []
    for location_id in range(10, 10 + count):
        lon, lat = float(rng.uniform(95, 141)), float(rng.uniform(-11, 6))
        if rng.random() < 0.3:
            fences.append(circle_fence((lon, lat), float(rng.uniform(30, 300)), location_id))
            continue
        k = int(rng.integers(3, 61))
        angles = (np.arange(k) + rng.uniform(0, 0.8, k)) * 2 * np.pi / k
        radii = rng.uniform(0.3, 1.0, k) * rng.uniform(60, 400)
        ring = ring_at(
            lon, lat, list(zip(radii * np.cos(angles), radii * np.sin(angles), strict=True))
        )
        fences.append(polygon_fence(polygon(ring), location_id=location_id))
    # Two overlapping fences, so that locate has to break a tie between two "inside" answers.
    fences.append(circle_fence((fences[0].centre_lon, fences[0].centre_lat), 80.0, 9))
    return fences


def points_around(
    rng: np.random.Generator, fences: list[Fence], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(fence index, lons, lats, accuracies): half the fixes within 400 m of a fence's centre,
    half up to 7 km away; a tenth with accuracy 0."""
    which = rng.integers(0, len(fences), n)
    centre_lon = np.array([f.centre_lon for f in fences])[which]
    centre_lat = np.array([f.centre_lat for f in fences])[which]
    reach = np.where(rng.random(n) < 0.5, rng.uniform(0, 400, n), rng.uniform(0, 7000, n))
    bearing = rng.uniform(0, 2 * np.pi, n)
    lons = centre_lon + reach * np.sin(bearing) / (111_320 * np.cos(np.radians(centre_lat)))
    lats = centre_lat + reach * np.cos(bearing) / 110_574
    accuracies = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(1, 300, n))
    return which, lons, lats, accuracies


def test_check_pairs_agrees_with_check() -> None:
    rng = np.random.default_rng(7)
    fences = random_fences(rng, 60)
    index = FenceIndex(fences)
    which, lons, lats, accuracies = points_around(rng, fences, 6000)
    # Points exactly on vertices are inside too, in the vectorised path.
    lons[:3] = [fences[1].geometry["coordinates"][0][j][0] for j in range(3)]
    lats[:3] = [fences[1].geometry["coordinates"][0][j][1] for j in range(3)]
    which[:3] = 1
    ids = np.array([f.location_id for f in fences])[which]
    codes, distances = index.check_pairs(ids, lons, lats, accuracies)
    assert codes.dtype == np.int8
    assert distances.dtype == np.float64
    assert set(np.unique(codes)) == {CODE_INSIDE, CODE_UNCERTAIN, CODE_OUTSIDE}
    assert codes[:3].tolist() == [CODE_INSIDE] * 3
    for i in range(len(lons)):
        one = check(fences[which[i]], float(lons[i]), float(lats[i]), float(accuracies[i]))
        assert DECISION_BY_CODE[codes[i]] is one.decision
        assert distances[i] == pytest.approx(one.distance_m, abs=1e-6)
    limits = index.max_accuracy_m(ids)
    assert np.array_equal(limits, [fences[w].max_accuracy_m for w in which])


def test_check_pairs_agrees_with_check_on_holes_multipolygons_and_many_vertices() -> None:
    lon, lat = PLACES["pontianak_south"]
    shell = ring_at(lon, lat, [(-100, -100), (100, -100), (100, 100), (-100, 100)])
    courtyard = ring_at(lon, lat, [(-40, -40), (-40, 40), (40, 40), (40, -40)])
    west, east = convex_ring(lon - 0.01, lat), convex_ring(lon + 0.01, lat)
    angles = np.linspace(0, 2 * np.pi, 301)[:-1]
    radii = np.where(np.arange(300) % 2 == 0, 250.0, 150.0)
    star = ring_at(
        lon, lat - 0.01, list(zip(radii * np.cos(angles), radii * np.sin(angles), strict=True))
    )
    fences = [
        polygon_fence(polygon(shell, courtyard), location_id=1),
        Fence.from_geojson(
            2,
            {
                "type": "MultiPolygon",
                "coordinates": [polygon(west)["coordinates"], polygon(east)["coordinates"]],
            },
            radius_m=None,
            max_accuracy_m=50,
        ),
        polygon_fence(polygon(star), location_id=3),
    ]
    index = FenceIndex(fences)
    rng = np.random.default_rng(3)
    which, lons, lats, accuracies = points_around(rng, fences, 3000)
    # Half the fixes right around the courtyard and the star's spikes, where holes and many
    # edges matter.
    lons[::2] = lon + rng.uniform(-0.002, 0.002, 1500)
    lats[::2] = np.where(which[::2] == 2, lat - 0.01, lat) + rng.uniform(-0.002, 0.002, 1500)
    ids = np.array([f.location_id for f in fences])[which]
    codes, distances = index.check_pairs(ids, lons, lats, accuracies)
    assert set(np.unique(codes)) == {CODE_INSIDE, CODE_UNCERTAIN, CODE_OUTSIDE}
    for i in range(len(lons)):
        one = check(fences[which[i]], float(lons[i]), float(lats[i]), float(accuracies[i]))
        assert DECISION_BY_CODE[codes[i]] is one.decision
        assert distances[i] == pytest.approx(one.distance_m, abs=1e-6)


def test_locate_agrees_with_best_check_over_fences_in_reach() -> None:
    rng = np.random.default_rng(11)
    fences = random_fences(rng, 50)
    index = FenceIndex(fences)
    _, lons, lats, accuracies = points_around(rng, fences, 1500)
    # And some anywhere over Indonesia, mostly far from every fence.
    lons = np.r_[lons, rng.uniform(95, 141, 200)]
    lats = np.r_[lats, rng.uniform(-11, 6, 200)]
    accuracies = np.r_[accuracies, rng.uniform(0, 100, 200)]
    # Inside two overlapping fences: a tie that goes to the one listed first.
    lons[:3], lats[:3] = fences[0].centre_lon, fences[0].centre_lat
    assert check(fences[-1], lons[0], lats[0], 0.0).decision is Decision.INSIDE
    search_radius_m = 3000.0
    location, codes, distances = index.locate(
        lons, lats, accuracies, search_radius_m=search_radius_m
    )
    assert location[:3].tolist() == [fences[0].location_id] * 3
    assert (location == -1).sum() > 200
    assert (codes == CODE_INSIDE).sum() > 150
    assert (codes == CODE_UNCERTAIN).sum() > 50
    for i in range(len(lons)):
        p, accuracy = (float(lons[i]), float(lats[i])), float(accuracies[i])
        reachable = [f for f in fences if check(f, *p, 0.0).distance_m <= search_radius_m]
        best = best_check(reachable, *p, accuracy)
        if best is None:
            assert (location[i], codes[i], distances[i]) == (-1, CODE_OUTSIDE, np.inf)
            continue
        assert location[i] == best.location_id
        assert DECISION_BY_CODE[codes[i]] is best.decision
        assert distances[i] == pytest.approx(best.distance_m, abs=1e-6)


def test_locate_searches_the_full_radius_east_and_west_at_high_latitude() -> None:
    # Longitude degrees are shortest far from the equator: a search box sized in degrees at the
    # equator would miss these.
    lon, lat = PLACES["sabang"]
    index = FenceIndex([circle_fence((lon, lat), 50.0, location_id=42)])
    inside_reach = [walk((lon, lat), azimuth, 50 + 4990) for azimuth in (90, 270, 0, 180, 45)]
    out_of_reach = [walk((lon, lat), azimuth, 50 + 5010) for azimuth in (90, 270, 0, 180, 45)]
    points = inside_reach + out_of_reach
    location, codes, distances = index.locate(
        np.array([p[0] for p in points]), np.array([p[1] for p in points]), np.full(10, 5.0)
    )
    assert location.tolist() == [42] * 5 + [-1] * 5
    assert codes.tolist() == [CODE_OUTSIDE] * 10
    assert distances[:5] == pytest.approx([4990.0] * 5, abs=TOLERANCE_M)


def test_index_with_one_fence_and_empty_batches() -> None:
    lon, lat = PLACES["pulau_rote"]
    index = FenceIndex([polygon_fence(polygon(u_shape(lon, lat)), location_id=5)])
    base = offset(lon, lat, 0, -100)
    codes, distances = index.check_pairs(
        np.array([5, 5]), np.array([base[0], lon]), np.array([base[1], lat + 0.01]), np.zeros(2)
    )
    assert codes.tolist() == [CODE_INSIDE, CODE_OUTSIDE]
    assert distances[1] == pytest.approx(
        geodesic_distance_to_rings((lon, lat + 0.01), [u_shape(lon, lat)]), abs=TOLERANCE_M
    )
    empty = np.empty(0)
    codes, distances = index.check_pairs(np.empty(0, dtype=np.int64), empty, empty, empty)
    assert len(codes) == len(distances) == 0
    location, codes, distances = index.locate(empty, empty, empty)
    assert len(location) == len(codes) == len(distances) == 0
    assert FenceIndex([]).locate(np.array([lon]), np.array([lat]), np.array([1.0]))[0][0] == -1


def test_index_rejects_unknown_locations_duplicates_and_bad_fixes() -> None:
    lon, lat = PLACES["sabang"]
    fence = circle_fence((lon, lat), 50.0, location_id=1)
    index = FenceIndex([fence, circle_fence((lon, lat), 80.0, location_id=1_000_000)])
    one = np.array([1.0])
    with pytest.raises(ValueError, match="location_id"):
        index.check_pairs(np.array([2]), np.array([lon]), np.array([lat]), one)
    with pytest.raises(ValueError, match="one fence per location_id"):
        FenceIndex([fence, fence])
    with pytest.raises(ValueError, match="lat"):
        index.check_pairs(np.array([1]), np.array([lon]), np.array([np.nan]), one)
    with pytest.raises(ValueError, match="accuracy"):
        index.locate(np.array([lon]), np.array([lat]), np.array([-1.0]))
    with pytest.raises(ValueError, match="same length"):
        index.check_pairs(np.array([1, 1]), np.array([lon]), np.array([lat]), one)


# --- input validation ------------------------------------------------------------------------


SQUARE = [[106.0, -6.0], [106.001, -6.0], [106.001, -5.999], [106.0, -5.999], [106.0, -6.0]]


def test_fence_keeps_its_geojson_for_export() -> None:
    fence = polygon_fence({"type": "Polygon", "coordinates": [SQUARE]}, location_id=9)
    assert fence.geometry == {"type": "Polygon", "coordinates": [SQUARE]}
    assert fence.radius_m is None
    assert fence.is_circle is False
    circle = circle_fence((106.0, -6.0), 75)
    assert circle.geometry == {"type": "Point", "coordinates": [106.0, -6.0]}
    assert circle.radius_m == 75.0


@pytest.mark.parametrize(
    ("geometry", "radius_m", "message"),
    [
        ({"type": "LineString", "coordinates": SQUARE}, None, "Polygon, MultiPolygon or Point"),
        ({"coordinates": [SQUARE]}, None, "geometry type"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", None, "GeoJSON object"),
        ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, None, "at least 4 positions"),
        ({"type": "Polygon", "coordinates": [SQUARE[:4]]}, None, "not closed"),
        (
            {"type": "Polygon", "coordinates": [[SQUARE[0], SQUARE[1], SQUARE[1], SQUARE[0]]]},
            None,
            "3 distinct",
        ),
        ({"type": "Polygon", "coordinates": []}, None, "non-empty list"),
        (
            {
                "type": "Polygon",
                "coordinates": [[SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3], SQUARE[0]]],
            },
            None,
            "Self-intersection",
        ),
        (
            {"type": "Polygon", "coordinates": [[[200.0, -6.0], *SQUARE[1:4], [200.0, -6.0]]]},
            None,
            "outside \\[-180, 180\\]",
        ),
        (
            {"type": "Polygon", "coordinates": [[[106.0, -95.0], *SQUARE[1:4], [106.0, -95.0]]]},
            None,
            "outside \\[-90, 90\\]",
        ),
        (
            {"type": "Polygon", "coordinates": [[["106", -6.0], *SQUARE[1:4], ["106", -6.0]]]},
            None,
            "finite numbers",
        ),
        (
            {"type": "Polygon", "coordinates": [[[math.nan, -6.0], *SQUARE[1:]]]},
            None,
            "finite numbers",
        ),
        ({"type": "Polygon", "coordinates": [[[True, -6.0], *SQUARE[1:]]]}, None, "finite"),
        ({"type": "Polygon", "coordinates": [[[106.0], *SQUARE[1:]]]}, None, "\\[lon, lat\\]"),
        ({"type": "Polygon", "coordinates": [SQUARE]}, 50.0, "only to a Point"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[-6.0, 106.0], [-6.0, 106.1], [-5.9, 106.1], [-6.0, 106.0]]],
            },
            None,
            "lat 106.0 is outside .* swapped",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[106.0, -6.0], [107.0, -6.0], [107.0, -5.0], [106.0, -6.0]]],
            },
            None,
            "too large",
        ),
        ({"type": "MultiPolygon", "coordinates": []}, None, "non-empty list of polygons"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, None, "invalid polygon"),
        ({"type": "Point", "coordinates": [106.0, -6.0]}, None, "needs radius_m"),
        ({"type": "Point", "coordinates": [106.0, -6.0]}, 0.0, "greater than 0"),
        ({"type": "Point", "coordinates": [106.0, -6.0]}, -5.0, "greater than 0"),
        ({"type": "Point", "coordinates": [106.0, -6.0]}, math.nan, "greater than 0"),
        ({"type": "Point", "coordinates": [106.0, -6.0]}, 80_000.0, "at most"),
        ({"type": "Point", "coordinates": [106.0]}, 50.0, "\\[lon, lat\\]"),
    ],
)
def test_invalid_geojson_is_refused_with_a_clear_message(
    geometry: Any, radius_m: float | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Fence.from_geojson(1, geometry, radius_m=radius_m, max_accuracy_m=50)


def test_invalid_limits_and_fixes_are_refused() -> None:
    with pytest.raises(ValueError, match="max_accuracy_m"):
        Fence.from_geojson(
            1, {"type": "Polygon", "coordinates": [SQUARE]}, radius_m=None, max_accuracy_m=0
        )
    fence = polygon_fence({"type": "Polygon", "coordinates": [SQUARE]})
    for lon, lat, accuracy in [
        (106.0, 91.0, 1.0),
        (181.0, -6.0, 1.0),
        (106.0, -6.0, -1.0),
        (106.0, -6.0, math.nan),
        (math.nan, -6.0, 1.0),
    ]:
        with pytest.raises(ValueError):
            check(fence, lon, lat, accuracy)


# --- FenceIndex.best and .nearest: the check-in's decision at a cost independent of the count ----


def clustered_fences(rng: np.random.Generator, count: int) -> list[Fence]:
    """`random_fences` spread over Indonesia, plus towns of a dozen fences a few hundred metres
    apart (so the tree proposes several candidates and ties are broken) and one huge circle."""
    fences = random_fences(rng, count)
    location_id = 10_000
    for _ in range(8):
        lon, lat = float(rng.uniform(95, 141)), float(rng.uniform(-11, 6))
        for _ in range(12):
            east, north = rng.uniform(-800, 800, 2)
            centre = offset(lon, lat, float(east), float(north))
            fences.append(circle_fence(centre, float(rng.uniform(20, 150)), location_id))
            location_id += 1
    fences.append(circle_fence((120.0, -2.0), 40_000.0, location_id))
    return fences


def test_index_best_equals_best_check_over_every_fence() -> None:
    rng = np.random.default_rng(2024)
    fences = clustered_fences(rng, 600)
    index = FenceIndex(fences)
    _, lons, lats, accuracies = points_around(rng, fences, 700)
    # And fixes far from any fence (open sea, another island): the nearest fence is kilometres
    # to hundreds of kilometres away, found through the tree's nearest envelope.
    far = 150
    lons = np.r_[lons, rng.uniform(93, 143, far)]
    lats = np.r_[lats, rng.uniform(-12, 7, far)]
    accuracies = np.r_[accuracies, rng.uniform(0, 5000, far)]
    decisions = set()
    for lon, lat, accuracy in zip(lons, lats, accuracies, strict=True):
        expected = best_check(fences, float(lon), float(lat), float(accuracy))
        got = index.best(float(lon), float(lat), float(accuracy))
        assert got == expected, (lon, lat, accuracy)
        assert expected is not None
        decisions.add(expected.decision)
    assert decisions == set(Decision)


def test_index_best_on_an_empty_index_and_far_from_a_single_fence() -> None:
    assert FenceIndex([]).best(110.0, -7.0, 10.0) is None
    fence = circle_fence((95.32, 5.89), 100.0)
    far = FenceIndex([fence]).best(140.4, -8.5, 10.0)  # Sabang to Merauke
    assert far == check(fence, 140.4, -8.5, 10.0)
    assert far is not None and far.decision is Decision.OUTSIDE and far.distance_m > 4_000_000


def test_index_nearest_equals_sorting_every_fence() -> None:
    rng = np.random.default_rng(11)
    fences = clustered_fences(rng, 300)
    index = FenceIndex(fences)
    _, lons, lats, _ = points_around(rng, fences, 40)
    for lon, lat in zip(lons, lats, strict=True):
        everything = sorted(
            ((check(f, float(lon), float(lat), 0.0).distance_m, i) for i, f in enumerate(fences)),
        )
        for count in (1, 5, 20):
            got = index.nearest(float(lon), float(lat), count)
            assert [f.location_id for f, _ in got] == [
                fences[i].location_id for _, i in everything[:count]
            ]
            assert [d for _, d in got] == pytest.approx([d for d, _ in everything[:count]])
    assert index.nearest(110.0, -7.0, 0) == []
    assert len(FenceIndex(fences[:3]).nearest(110.0, -7.0, 20)) == 3


def test_index_best_measures_only_the_fences_near_the_point(monkeypatch) -> None:
    from backend.geofence import fences as module

    rng = np.random.default_rng(5)
    many = clustered_fences(rng, 3000)
    index = FenceIndex(many)
    _, lons, lats, accuracies = points_around(rng, many, 200)
    measured = 0
    real_check = module.check

    def counting(fence: Fence, lon: float, lat: float, accuracy_m: float):
        nonlocal measured
        measured += 1
        return real_check(fence, lon, lat, accuracy_m)

    monkeypatch.setattr(module, "check", counting)
    for lon, lat, accuracy in zip(lons, lats, accuracies, strict=True):
        index.best(float(lon), float(lat), float(accuracy))
    # A handful of exact checks per fix (the fences in reach, then those within the nearest's
    # distance), against the 3,000 that best_check over every fence measures.
    assert measured / len(lons) < 15
