"""Geofence maths: is a GPS fix inside a location's fence, and how far away is it, in metres.

Pure functions over immutable `Fence` objects; no I/O. Shapely is planar, so every fence is
projected once into its own local east/north plane in metres (WGS84 -> ECEF -> ENU tangent
plane at the fence's centre, "up" dropped). Up to ~55 km from the centre that plane is within
~0.2 m of the ellipsoid over 5 km, and within millimetres for building-sized fences, which is
why distances agree with geodesics to well inside the 0.5 m the design asks for; a spherical or
equirectangular model is off by up to 0.7 % (35 m at 5 km) because the ellipsoid's meridian and
prime-vertical radii differ.

Decisions: `inside` (within or on the fence), `uncertain` (outside, but the accuracy circle
reaches the fence), `outside` (with the distance). `accuracy_exceeded` is reported on its own so
a poor fix is never silently accepted.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import shapely

__all__ = [
    "CODE_INSIDE",
    "CODE_OUTSIDE",
    "CODE_UNCERTAIN",
    "DECISION_BY_CODE",
    "EDGE_TOLERANCE_M",
    "MAX_FENCE_RADIUS_M",
    "Decision",
    "Fence",
    "FenceCheck",
    "FenceIndex",
    "best_check",
    "best_of",
    "check",
    "distance_between_m",
]

# WGS84 ellipsoid.
_A = 6_378_137.0
_F = 1 / 298.257_223_563
_B = _A * (1 - _F)
_E2 = _F * (2 - _F)

# A point given exactly on an edge lands a few nanometres either side of it after projection, and
# an edge that is straight in lon/lat bows by up to a few millimetres against the local plane on
# building-sized fences. No phone fix is better than decimetres, so a centimetre of slack costs
# nothing and makes "on the edge counts as inside" hold for such points.
EDGE_TOLERANCE_M = 0.01

# The local plane stays within the 0.5 m budget for points up to 5 km outside a fence whose
# vertices are at most this far from its centre. A presensi location is a building or a compound,
# never a regency, so anything bigger is a data-entry error (swapped lon/lat, wrong units).
MAX_FENCE_RADIUS_M = 50_000.0

CODE_INSIDE = 0
CODE_UNCERTAIN = 1
CODE_OUTSIDE = 2

# Below this many edges a plain Python loop beats numpy's per-call overhead for a single point.
_SCALAR_LOOP_MAX_EDGES = 40
# Points per pass of the vectorised edge kernel: keeps its temporaries inside L2 cache.
_CHUNK = 16384


class Decision(enum.StrEnum):
    INSIDE = "inside"
    UNCERTAIN = "uncertain"
    OUTSIDE = "outside"


DECISION_BY_CODE: tuple[Decision, Decision, Decision] = (
    Decision.INSIDE,
    Decision.UNCERTAIN,
    Decision.OUTSIDE,
)


class FenceCheck(NamedTuple):
    location_id: int
    decision: Decision
    distance_m: float
    accuracy_exceeded: bool


class _Frame(NamedTuple):
    """A local ENU tangent plane, reduced to what the rotation needs.

    ECEF -> ENU about an origin at longitude lon0 only depends on the point's longitude through
    lon - lon0, so with r = N cos(lat) (distance from the polar axis) and z the ECEF z:
    east = r sin(dlon), north = cos(lat0) (z - z0) - sin(lat0) (r cos(dlon) - r0).
    That is the exact rotation, with two fewer trig calls per point than going through x and y.
    """

    lon0: float
    r0: float
    z0: float
    sin_lat: float
    cos_lat: float


# One polygon edge, as the kernels want it: start point, direction, 1 / length² (0 for a
# zero-length edge, which then measures the distance to its start vertex).
_Edge = tuple[float, float, float, float, float]


@dataclass(frozen=True, slots=True, eq=False, kw_only=True)
class Fence:
    """A location's fence, projected once into its own local metre plane; build once, reuse.

    `geometry` and `radius_m` are the GeoJSON the fence was built from (for the API to return);
    `local_geometry` is the prepared shape in local metres: the (Multi)Polygon, or for a circle
    the centre point, whose distance minus `radius_m` is the distance to the circle.
    """

    location_id: int
    max_accuracy_m: float
    geometry: dict[str, Any]
    radius_m: float | None
    centre_lon: float
    centre_lat: float
    # lon/lat envelope (min_lon, min_lat, max_lon, max_lat); for a circle it encloses the circle.
    bounds_deg: tuple[float, float, float, float]
    local_geometry: shapely.Geometry = field(repr=False)
    frame: _Frame = field(repr=False)
    edges: tuple[_Edge, ...] = field(repr=False)
    edge_array: np.ndarray = field(repr=False)

    @property
    def is_circle(self) -> bool:
        return self.radius_m is not None

    @classmethod
    def from_geojson(
        cls,
        location_id: int,
        geometry: dict[str, Any],
        *,
        radius_m: float | None,
        max_accuracy_m: float,
    ) -> Fence:
        """Build a fence from a GeoJSON Polygon, MultiPolygon, or Point plus `radius_m`.

        Raises ValueError, with a message fit to show the person who drew the fence, for an
        unknown type, malformed coordinates, lon/lat out of range, an unclosed or too short ring,
        a self-intersecting or zero-area polygon, a missing or non-positive radius for a Point (or
        a radius given for a polygon), or a fence too large for the local projection.
        """
        if not _is_number(max_accuracy_m) or not 0 < max_accuracy_m < math.inf:
            raise ValueError(f"max_accuracy_m must be a positive number, got {max_accuracy_m!r}")
        if not isinstance(geometry, dict):
            raise ValueError(f"geometry must be a GeoJSON object, got {type(geometry).__name__}")
        kind = geometry.get("type")
        coordinates = geometry.get("coordinates")
        if kind == "Point":
            return cls._circle(location_id, coordinates, radius_m, float(max_accuracy_m))
        if kind not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"geometry type must be Polygon, MultiPolygon or Point, got {kind!r}")
        if radius_m is not None:
            raise ValueError("radius_m applies only to a Point geometry, not to a polygon")
        if kind == "Polygon":
            polygons = [_parse_polygon(coordinates, "polygon")]
        else:
            if not isinstance(coordinates, list | tuple) or not coordinates:
                raise ValueError("MultiPolygon coordinates must be a non-empty list of polygons")
            polygons = [
                _parse_polygon(polygon, f"polygon {i}") for i, polygon in enumerate(coordinates)
            ]
        return cls._polygonal(location_id, kind, polygons, float(max_accuracy_m))

    @classmethod
    def _circle(
        cls, location_id: int, coordinates: Any, radius_m: float | None, max_accuracy_m: float
    ) -> Fence:
        if radius_m is None:
            raise ValueError("a Point fence needs radius_m (the circle's radius in metres)")
        if not _is_number(radius_m) or not 0 < radius_m <= MAX_FENCE_RADIUS_M:
            raise ValueError(
                f"radius_m must be greater than 0 and at most {MAX_FENCE_RADIUS_M:.0f} m, "
                f"got {radius_m!r}"
            )
        lon, lat = _parse_position(coordinates, "point")
        radius_m = float(radius_m)
        # Degrees per metre at the centre, widened by 1 % so the envelope surely holds the circle.
        dlat = 1.01 * radius_m / _metres_per_degree_lat(lat)
        dlon = 1.01 * radius_m / _metres_per_degree_lon(lat)
        centre = shapely.Point(0.0, 0.0)
        shapely.prepare(centre)
        return cls(
            location_id=location_id,
            max_accuracy_m=max_accuracy_m,
            geometry={"type": "Point", "coordinates": [lon, lat]},
            radius_m=radius_m,
            centre_lon=lon,
            centre_lat=lat,
            bounds_deg=(lon - dlon, lat - dlat, lon + dlon, lat + dlat),
            local_geometry=centre,
            frame=_frame(lon, lat),
            edges=(),
            edge_array=np.empty((0, 5)),
        )

    @classmethod
    def _polygonal(
        cls,
        location_id: int,
        kind: str,
        polygons: list[list[list[tuple[float, float]]]],
        max_accuracy_m: float,
    ) -> Fence:
        lonlat_shape = shapely.MultiPolygon(
            [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
        )
        if not shapely.is_valid(lonlat_shape):
            raise ValueError(f"invalid polygon: {shapely.is_valid_reason(lonlat_shape)}")
        if shapely.area(lonlat_shape) <= 0:
            raise ValueError("polygon has zero area")
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in shapely.bounds(lonlat_shape))
        centre_lon = (min_lon + max_lon) / 2
        centre_lat = (min_lat + max_lat) / 2
        frame = _frame(centre_lon, centre_lat)

        local_polygons = []
        edges: list[_Edge] = []
        reach = 0.0
        for rings in polygons:
            local_rings = []
            for ring in rings:
                lonlat = np.asarray(ring, dtype=np.float64)
                east, north = _to_local(frame, lonlat[:, 0], lonlat[:, 1])
                reach = max(reach, float(np.max(np.hypot(east, north))))
                local_rings.append(np.column_stack([east, north]))
                edges.extend(_ring_edges(east, north))
            local_polygons.append(shapely.Polygon(local_rings[0], local_rings[1:]))
        if reach > MAX_FENCE_RADIUS_M:
            raise ValueError(
                f"fence is too large: a vertex lies {reach / 1000:.1f} km from its centre, "
                f"the limit is {MAX_FENCE_RADIUS_M / 1000:.0f} km (are lon and lat swapped?)"
            )
        local_shape = (
            local_polygons[0] if kind == "Polygon" else shapely.MultiPolygon(local_polygons)
        )
        shapely.prepare(local_shape)
        # GEOS builds a prepared geometry's indexes lazily, and not thread-safely
        # (libgeos/geos#825): build them now, before the fence is shared between threads.
        shapely.intersects_xy(local_shape, 0.0, 0.0)
        shapely.distance(local_shape, shapely.Point(2 * reach + 1, 0.0))
        edge_array = np.array(edges, dtype=np.float64).reshape(-1, 5)
        edge_array.setflags(write=False)
        coordinates: list[Any] = [[[list(p) for p in ring] for ring in rings] for rings in polygons]
        return cls(
            location_id=location_id,
            max_accuracy_m=max_accuracy_m,
            geometry={
                "type": kind,
                "coordinates": coordinates[0] if kind == "Polygon" else coordinates,
            },
            radius_m=None,
            centre_lon=centre_lon,
            centre_lat=centre_lat,
            bounds_deg=(min_lon, min_lat, max_lon, max_lat),
            local_geometry=local_shape,
            frame=frame,
            edges=tuple(edges),
            edge_array=edge_array,
        )

    def to_local(self, lon: float, lat: float) -> tuple[float, float]:
        """The point's (east, north) in metres in this fence's local plane."""
        return _to_local_scalar(self.frame, lon, lat)


# --- single point ----------------------------------------------------------------------------


def check(fence: Fence, lon: float, lat: float, accuracy_m: float) -> FenceCheck:
    """The full decision for one GPS fix against one fence."""
    _check_fix(lon, lat, accuracy_m)
    x, y = _to_local_scalar(fence.frame, lon, lat)
    radius = fence.radius_m
    if radius is not None:
        distance = math.hypot(x, y) - radius
        inside = distance <= EDGE_TOLERANCE_M
    elif len(fence.edges) <= _SCALAR_LOOP_MAX_EDGES:
        inside, distance = _polygon_scalar(fence.edges, x, y)
    else:
        inside, distance = _polygon_shapely_one(fence, x, y)
    if inside:
        decision, distance = Decision.INSIDE, 0.0
    elif distance <= accuracy_m:
        decision = Decision.UNCERTAIN
    else:
        decision = Decision.OUTSIDE
    return FenceCheck(fence.location_id, decision, distance, accuracy_m > fence.max_accuracy_m)


_RANK = {Decision.INSIDE: 0, Decision.UNCERTAIN: 1, Decision.OUTSIDE: 2}


def best_check(
    fences: Sequence[Fence], lon: float, lat: float, accuracy_m: float
) -> FenceCheck | None:
    """The best decision among an employee's allowed fences.

    Inside beats uncertain beats outside; between equals the nearer fence wins, then the earlier
    one in `fences`. None when there are no fences.
    """
    return best_of(check(fence, lon, lat, accuracy_m) for fence in fences)


def best_of(results: Iterable[FenceCheck]) -> FenceCheck | None:
    """The best of several decisions by `best_check`'s order; the earlier wins a tie."""
    best: FenceCheck | None = None
    for result in results:
        if best is None or (_RANK[result.decision], result.distance_m) < (
            _RANK[best.decision],
            best.distance_m,
        ):
            best = result
    return best


def distance_between_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Ground distance in metres between two points on the WGS84 ellipsoid (Vincenty inverse).

    Sub-millimetre for any pair that converges; nearly antipodal pairs (never two points in
    Indonesia) fall back to a sphere of the ellipsoid's mean radius.
    """
    for value, name, limit in (
        (lon1, "lon1", 180),
        (lat1, "lat1", 90),
        (lon2, "lon2", 180),
        (lat2, "lat2", 90),
    ):
        if not (_is_number(value) and -limit <= value <= limit):
            raise ValueError(f"{name} must be a number in [-{limit}, {limit}], got {value!r}")
    u1 = math.atan((1 - _F) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - _F) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    sin_u1, cos_u1 = math.sin(u1), math.cos(u1)
    sin_u2, cos_u2 = math.sin(u2), math.cos(u2)
    lam = big_l
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha * sin_alpha
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha != 0 else 0.0
        c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
        previous = lam
        lam = big_l + (1 - c) * _F * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm * cos_2sm))
        )
        if abs(lam - previous) < 1e-12:
            break
    else:
        return _haversine_m(lon1, lat1, lon2, lat2)
    u_sq = cos2_alpha * (_A * _A - _B * _B) / (_B * _B)
    k_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    k_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = (
        k_b
        * sin_sigma
        * (
            cos_2sm
            + k_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm * cos_2sm)
                - k_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm * cos_2sm)
            )
        )
    )
    return _B * k_a * (sigma - delta_sigma)


# --- many points -----------------------------------------------------------------------------


class _EdgeBucket(NamedTuple):
    """Polygon fences with a similar edge count, edges padded to the same count `k`.

    Each table is (k, fences in bucket): row j holds edge j of every fence, so one `take` per edge
    and column gathers that edge for a whole chunk of points at once. Padding repeats the last
    vertex as a zero-length edge, which cannot lower the minimum distance.
    """

    ax: np.ndarray
    ay: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    inv: np.ndarray


class FenceIndex:
    """Many fences for batch work (recap, offline sync): vectorised decisions, one spatial index.

    Each fence keeps its prepared geometry in its own local metre plane, so there is no common
    planar frame to index them in; the STRtree therefore holds their lon/lat envelopes and only
    proposes candidates, which are then decided exactly, in metres, in each fence's own plane.
    """

    def __init__(self, fences: Sequence[Fence]) -> None:
        self.fences: tuple[Fence, ...] = tuple(fences)
        ids = np.array([f.location_id for f in self.fences], dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("FenceIndex needs one fence per location_id")
        self._ids = ids
        self._id_order = np.argsort(ids, kind="stable")
        self._sorted_ids = ids[self._id_order]
        # Location ids are database serials, so usually dense: a lookup table then replaces a
        # binary search per point.
        self._position_of_id: np.ndarray | None = None
        if len(ids) and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1024:
            self._position_of_id = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
            self._position_of_id[ids] = np.arange(len(ids))
        frames = np.array([f.frame for f in self.fences], dtype=np.float64).reshape(-1, 5)
        self._frame_columns = tuple(np.ascontiguousarray(frames[:, i]) for i in range(5))
        self._radius = np.array([f.radius_m or 0.0 for f in self.fences])
        self._is_circle = np.array([f.is_circle for f in self.fences], dtype=bool)
        self._max_accuracy = np.array([f.max_accuracy_m for f in self.fences])
        self._geoms = np.array([f.local_geometry for f in self.fences], dtype=object)
        local_bounds = np.array(
            [shapely.bounds(f.local_geometry) for f in self.fences], dtype=np.float64
        ).reshape(-1, 4)
        self._local_bounds = tuple(np.ascontiguousarray(local_bounds[:, i]) for i in range(4))
        bounds = np.array([f.bounds_deg for f in self.fences], dtype=np.float64).reshape(-1, 4)
        self._bounds = tuple(np.ascontiguousarray(bounds[:, i]) for i in range(4))
        self._tree = shapely.STRtree(shapely.box(*bounds.T))
        self._extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
        if len(bounds):
            low, high = bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)
            self._extent = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
        self._max_abs_lat = max(abs(self._extent[1]), abs(self._extent[3]))
        self._build_buckets()

    def _build_buckets(self) -> None:
        counts = np.array([len(f.edges) for f in self.fences], dtype=np.int64)
        # Edge counts rounded up in steps of a quarter of their power of two (8 at least): at most
        # 25 % padding, and still only a handful of buckets to loop over.
        step = np.maximum(
            8, np.left_shift(1, np.floor(np.log2(np.maximum(counts, 1))).astype(np.int64)) // 4
        )
        padded = np.where(counts > 0, -(-counts // step) * step, 0)
        self._bucket_of = np.full(len(self.fences), -1, dtype=np.int64)
        self._row_of = np.zeros(len(self.fences), dtype=np.int64)
        self._buckets: list[_EdgeBucket] = []
        for k in np.unique(padded[padded > 0]):
            members = np.flatnonzero(padded == k)
            table = np.empty((5, int(k), len(members)))
            for column, position in enumerate(members):
                edges = self.fences[position].edge_array
                table[:, : len(edges), column] = edges.T
                last_x, last_y = edges[-1, 0] + edges[-1, 2], edges[-1, 1] + edges[-1, 3]
                table[:, len(edges) :, column] = np.array([[last_x], [last_y], [0], [0], [0]])
            self._bucket_of[members] = len(self._buckets)
            self._row_of[members] = np.arange(len(members))
            self._buckets.append(_EdgeBucket(*table))

    def __len__(self) -> int:
        return len(self.fences)

    def positions(self, location_ids: np.ndarray) -> np.ndarray:
        """Positions in `fences` of the given location ids; ValueError for an unknown id."""
        location_ids = np.asarray(location_ids, dtype=np.int64)
        if len(self._sorted_ids) == 0:
            if len(location_ids):
                raise ValueError("this index holds no fences")
            return np.empty(0, dtype=np.int64)
        if self._position_of_id is not None:
            table = self._position_of_id
            in_table = (location_ids >= 0) & (location_ids < len(table))
            positions = table[np.where(in_table, location_ids, 0)]
            known = in_table & (positions >= 0)
        else:
            at = np.searchsorted(self._sorted_ids, location_ids)
            at = np.minimum(at, len(self._sorted_ids) - 1)
            known = self._sorted_ids[at] == location_ids
            positions = self._id_order[at]
        if not np.all(known):
            unknown = np.unique(location_ids[~known])[:5].tolist()
            raise ValueError(f"no fence in this index for location_id {unknown}")
        return positions

    def max_accuracy_m(self, location_ids: np.ndarray) -> np.ndarray:
        """Each location's accuracy limit, so callers can flag `accuracies > limit`."""
        return self._max_accuracy[self.positions(location_ids)]

    def check_pairs(
        self,
        location_ids: np.ndarray,
        lons: np.ndarray,
        lats: np.ndarray,
        accuracies: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point i against location `location_ids[i]`, all at once.

        Returns (decision codes as int8: 0 inside, 1 uncertain, 2 outside; distance_m, 0 when
        inside), the same answers `check` gives one at a time.
        """
        lons, lats, accuracies = _fix_arrays(lons, lats, accuracies)
        positions = self.positions(location_ids)
        if len(positions) != len(lons):
            raise ValueError("location_ids, lons, lats and accuracies must have the same length")
        distance = self._distances(positions, lons, lats)
        return _codes(distance, accuracies), distance

    def locate(
        self,
        lons: np.ndarray,
        lats: np.ndarray,
        accuracies: np.ndarray,
        *,
        search_radius_m: float = 5000,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each point, the best fence among all fences within `search_radius_m`.

        Returns (location_id, -1 when no fence is that close; decision code, 2 when none;
        distance_m, inf when none). Best means what `best_check` means, ties going to the fence
        earlier in `fences`.
        """
        lons, lats, accuracies = _fix_arrays(lons, lats, accuracies)
        if not _is_number(search_radius_m) or not 0 <= search_radius_m < math.inf:
            raise ValueError(f"search_radius_m must be a number >= 0, got {search_radius_m!r}")
        n = len(lons)
        location = np.full(n, -1, dtype=np.int64)
        codes = np.full(n, CODE_OUTSIDE, dtype=np.int8)
        distance = np.full(n, np.inf)
        points, fences = self.candidates(lons, lats, search_radius_m)
        if len(points) == 0:
            return location, codes, distance
        pair_distance = self._distances(fences, lons[points], lats[points])
        near = pair_distance <= search_radius_m
        points, fences, pair_distance = points[near], fences[near], pair_distance[near]
        if len(points) == 0:
            return location, codes, distance
        pair_codes = _codes(pair_distance, accuracies[points])
        # Pairs come grouped by point and, within a point, in fence order: the first pair with
        # its point's best code and, among those, the smallest distance is best_check's pick.
        new_point = np.r_[True, points[1:] != points[:-1]]
        if new_point.all():
            # One fence within reach of each point, the usual case: nothing to choose between.
            location[points] = self._ids.take(fences)
            codes[points] = pair_codes
            distance[points] = pair_distance
            return location, codes, distance
        starts = np.flatnonzero(new_point)
        group = np.cumsum(new_point) - 1
        best_code = np.minimum.reduceat(pair_codes, starts)[group]
        at_best = pair_codes == best_code
        best_distance = np.minimum.reduceat(np.where(at_best, pair_distance, np.inf), starts)
        winners = np.flatnonzero(at_best & (pair_distance == best_distance[group]))
        winners = winners[np.r_[True, points[winners[1:]] != points[winners[:-1]]]]
        won = points[winners]
        location[won] = self._ids[fences[winners]]
        codes[won] = pair_codes[winners]
        distance[won] = pair_distance[winners]
        return location, codes, distance

    def best(self, lon: float, lat: float, accuracy_m: float) -> FenceCheck | None:
        """`best_check` over every fence of the index, at a cost set by the fences near the point.

        The answer (fence, decision, distance) is the one `best_check(index.fences, ...)` gives.
        Inside and uncertain need the fence within the accuracy circle, so the fences whose
        envelopes reach that circle are enough to find them. Failing that the answer is the
        nearest fence: the tree's nearest envelope gives a fence whose exact distance d bounds
        the answer, and every fence within d is then measured exactly.
        """
        _check_fix(lon, lat, accuracy_m)
        if not self.fences:
            return None
        result = best_check(
            self._within(lon, lat, max(accuracy_m, EDGE_TOLERANCE_M)), lon, lat, accuracy_m
        )
        if result is not None and result.decision is not Decision.OUTSIDE:
            return result
        # No fence is inside or uncertain; the answer is the nearest one, ties to the earlier.
        if result is None:
            nearest = int(self._tree.nearest(shapely.Point(lon, lat)))
            result = check(self.fences[nearest], lon, lat, accuracy_m)
        return best_check(self._within(lon, lat, result.distance_m), lon, lat, accuracy_m)

    def nearest(self, lon: float, lat: float, count: int) -> list[tuple[Fence, float]]:
        """Up to `count` fences nearest to the point, nearest first, with their distances in metres.

        The search box grows fourfold until it holds `count` fences within its own radius, so the
        cost follows the fences near the point rather than all of them.
        """
        _check_fix(lon, lat, 0.0)
        if count <= 0 or not self.fences:
            return []
        count = min(count, len(self.fences))
        reach = 1000.0
        while True:
            positions = self._within_positions(lon, lat, reach)
            distance = self._distances(
                positions, np.full(len(positions), lon), np.full(len(positions), lat)
            )
            order = np.lexsort((positions, distance))
            found = int(np.count_nonzero(distance <= reach))
            if found >= count or len(positions) == len(self.fences):
                return [(self.fences[int(positions[i])], float(distance[i])) for i in order[:count]]
            reach *= 4

    def _within(self, lon: float, lat: float, reach_m: float) -> list[Fence]:
        """A superset of the fences within `reach_m` of the point, in index order."""
        return [self.fences[int(p)] for p in self._within_positions(lon, lat, reach_m)]

    def _within_positions(self, lon: float, lat: float, reach_m: float) -> np.ndarray:
        # Local-plane distances are a little shorter than geodesics far from a fence (the plane
        # drops the earth's curvature: R sin θ against R θ), so the box is widened by that ratio
        # (arcsin x / x <= 1 + x²/3 up to x = 0.7) plus a margin for the fence's own extent; past
        # 2,000 km the box is the whole index, which only a fix far from every fence ever needs.
        if reach_m > 2_000_000:
            return np.arange(len(self.fences))
        x = reach_m / _B
        dlat, dlon = self._search_degrees(reach_m * 1.01 * (1 + x * x / 3) + 100.0)
        box = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
        return np.sort(self._tree.query(box)).astype(np.int64)

    def candidates(
        self, lons: np.ndarray, lats: np.ndarray, search_radius_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(point index, fence position) pairs whose lon/lat envelopes are within reach.

        A superset of the fences within `search_radius_m`, grouped by point, fence positions
        ascending within a point. Points are binned into grid cells about one search radius wide
        and the tree is queried once per occupied cell, because building a shapely geometry per
        point costs more than everything else in `locate` together.
        """
        empty = np.empty(0, dtype=np.int64)
        if len(self.fences) == 0 or len(lons) == 0:
            return empty, empty
        dlat, dlon = self._search_degrees(search_radius_m)
        # Only points inside the fences' envelope, widened by the search radius, can have any.
        min_lon, min_lat, max_lon, max_lat = self._extent
        reachable = np.flatnonzero(
            (lons >= min_lon - dlon)
            & (lons <= max_lon + dlon)
            & (lats >= min_lat - dlat)
            & (lats <= max_lat + dlat)
        )
        if len(reachable) == 0:
            return empty, empty
        cell = max(dlat, dlon, 1e-4)
        ix = ((lons[reachable] - (min_lon - dlon)) / cell).astype(np.int64)
        iy = ((lats[reachable] - (min_lat - dlat)) / cell).astype(np.int64)
        height = int((max_lat - min_lat + 2 * dlat) / cell) + 1
        keys = ix * height + iy
        width = int((max_lon - min_lon + 2 * dlon) / cell) + 1
        if width * height <= 4 * len(keys) + 1_000_000:
            # A dense grid over the fences' extent: marking occupied cells is O(n), where
            # np.unique would sort every point.
            occupied = np.zeros(width * height, dtype=bool)
            occupied[keys] = True
            cell_keys = np.flatnonzero(occupied)
            compact = np.empty(width * height, dtype=np.int64)
            compact[cell_keys] = np.arange(len(cell_keys))
            cell_of_point = compact[keys]
        else:
            cell_keys, cell_of_point = np.unique(keys, return_inverse=True)
        x0 = (min_lon - dlon) + (cell_keys // height) * cell
        y0 = (min_lat - dlat) + (cell_keys % height) * cell
        boxes = shapely.box(x0 - dlon, y0 - dlat, x0 + cell + dlon, y0 + cell + dlat)
        cell_idx, fence_idx = self._tree.query(boxes)
        order = np.lexsort((fence_idx, cell_idx))
        cell_idx, fence_idx = cell_idx[order], fence_idx[order]
        per_cell = np.bincount(cell_idx, minlength=len(cell_keys))
        cell_start = np.cumsum(per_cell) - per_cell
        per_point = per_cell[cell_of_point]
        total = int(per_point.sum())
        points = np.repeat(reachable, per_point)
        point_start = np.cumsum(per_point) - per_point
        within = np.arange(total, dtype=np.int64) - np.repeat(point_start, per_point)
        fences = fence_idx[np.repeat(cell_start[cell_of_point], per_point) + within]
        # The cell's box is looser than the point's own: drop pairs outside the fence's envelope
        # widened by the search radius before the exact (and costlier) check.
        min_lon, min_lat, max_lon, max_lat = self._bounds
        plon, plat = lons[points], lats[points]
        keep = (
            (plon >= min_lon[fences] - dlon)
            & (plon <= max_lon[fences] + dlon)
            & (plat >= min_lat[fences] - dlat)
            & (plat <= max_lat[fences] + dlat)
        )
        return points[keep], fences[keep].astype(np.int64)

    def _search_degrees(self, search_radius_m: float) -> tuple[float, float]:
        # A degree is shortest in latitude at the equator (meridian radius a(1-e²)) and in
        # longitude at the highest latitude a candidate can have; erring long keeps the search a
        # superset, and the exact check in metres trims it.
        dlat = 1.001 * search_radius_m / (_A * (1 - _E2) * math.pi / 180)
        max_lat = min(self._max_abs_lat + dlat, 89.0)
        dlon = 1.001 * search_radius_m / (_A * math.cos(math.radians(max_lat)) * math.pi / 180)
        return dlat, dlon

    def _distances(self, positions: np.ndarray, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Metres from each point to fence `positions[i]`, 0 when inside or on the edge."""
        frame = _Frame(*(column.take(positions) for column in self._frame_columns))
        x, y = _to_local(frame, lons, lats)
        distance = np.empty(len(x))
        circle = self._is_circle.take(positions)
        circles = int(np.count_nonzero(circle))
        # Slices rather than index arrays when a batch is all of one kind: no copies.
        if circles:
            at = slice(None) if circles == len(x) else np.flatnonzero(circle)
            distance[at] = np.hypot(x[at], y[at]) - self._radius.take(positions[at])
        if circles < len(x):
            at = slice(None) if circles == 0 else np.flatnonzero(~circle)
            distance[at] = self._polygon_distances(positions[at], x[at], y[at])
        distance[distance <= EDGE_TOLERANCE_M] = 0.0
        return distance

    def _polygon_distances(self, positions: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.zeros(len(x))
        # Outside a fence's local bounding box is outside the fence: only fixes within it need
        # GEOS's containment test (prepared geometries), and only fixes not contained need the
        # distance to the boundary.
        min_x, min_y, max_x, max_y = self._local_bounds
        boxed = np.flatnonzero(
            (x >= min_x.take(positions))
            & (x <= max_x.take(positions))
            & (y >= min_y.take(positions))
            & (y <= max_y.take(positions))
        )
        todo = np.ones(len(x), dtype=bool)
        if len(boxed):
            geometries = self._geoms.take(positions[boxed])
            todo[boxed[shapely.intersects_xy(geometries, x[boxed], y[boxed])]] = False
        todo_at = np.flatnonzero(todo)
        if len(todo_at) == 0:
            return out
        positions, x, y = positions[todo_at], x[todo_at], y[todo_at]
        # Point-to-segment distance over every edge, in numpy: 5-10x faster than building a
        # shapely point per fix and calling shapely.distance.
        bucket_of = self._bucket_of.take(positions)
        for b, bucket in enumerate(self._buckets):
            members = np.flatnonzero(bucket_of == b) if len(self._buckets) > 1 else slice(None)
            rows = self._row_of.take(positions[members])
            out[todo_at[members]] = _bucket_distances(bucket, rows, x[members], y[members])
        return out


def _bucket_distances(
    bucket: _EdgeBucket, rows: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    n = len(x)
    out = np.empty(n)
    single = bucket.ax.shape[1] == 1
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        px, py = x[start:stop], y[start:stop]
        chunk_rows = rows[start:stop]
        best = np.full(stop - start, np.inf)
        # Every step writes into these buffers: allocating temporaries costs as much as the maths.
        ex, ey, t, tmp = (np.empty_like(px) for _ in range(4))
        for j in range(bucket.ax.shape[0]):
            if single:
                ax, ay, dx, dy, inv = (float(c[j, 0]) for c in bucket)
            else:
                ax, ay, dx, dy, inv = (c[j].take(chunk_rows) for c in bucket)
            np.subtract(px, ax, out=ex)
            np.subtract(py, ay, out=ey)
            # t: where the foot of the perpendicular falls along the edge, clamped to the edge.
            np.multiply(ex, dx, out=t)
            np.multiply(ey, dy, out=tmp)
            t += tmp
            t *= inv
            np.maximum(t, 0.0, out=t)
            np.minimum(t, 1.0, out=t)
            np.multiply(t, dx, out=tmp)
            ex -= tmp
            np.multiply(t, dy, out=tmp)
            ey -= tmp
            ex *= ex
            ey *= ey
            ex += ey
            np.minimum(best, ex, out=best)
        np.sqrt(best, out=out[start:stop])
    return out


def _codes(distance: np.ndarray, accuracies: np.ndarray) -> np.ndarray:
    codes = np.where(distance <= accuracies, CODE_UNCERTAIN, CODE_OUTSIDE).astype(np.int8)
    codes[distance == 0.0] = CODE_INSIDE
    return codes


# --- projection ------------------------------------------------------------------------------


def _frame(lon: float, lat: float) -> _Frame:
    phi = math.radians(lat)
    sin_phi = math.sin(phi)
    n = _A / math.sqrt(1 - _E2 * sin_phi * sin_phi)
    return _Frame(lon, n * math.cos(phi), n * (1 - _E2) * sin_phi, sin_phi, math.cos(phi))


def _to_local_scalar(frame: _Frame, lon: float, lat: float) -> tuple[float, float]:
    phi = math.radians(lat)
    sin_phi = math.sin(phi)
    n = _A / math.sqrt(1 - _E2 * sin_phi * sin_phi)
    r = n * math.cos(phi)
    dlon = math.radians(lon - frame.lon0)
    east = r * math.sin(dlon)
    north = frame.cos_lat * (n * (1 - _E2) * sin_phi - frame.z0) - frame.sin_lat * (
        r * math.cos(dlon) - frame.r0
    )
    return east, north


def _to_local(frame: _Frame, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(east, north) in metres; the frame's fields may be scalars or one value per point."""
    phi = np.radians(lats)
    sin_phi = np.sin(phi)
    n = _A / np.sqrt(1 - _E2 * (sin_phi * sin_phi))
    r = n * np.cos(phi)
    dlon = np.radians(lons - frame.lon0)
    east = r * np.sin(dlon)
    north = frame.cos_lat * (n * (1 - _E2) * sin_phi - frame.z0)
    north -= frame.sin_lat * (r * np.cos(dlon) - frame.r0)
    return east, north


def _metres_per_degree_lat(lat: float) -> float:
    sin_phi = math.sin(math.radians(lat))
    return _A * (1 - _E2) / (1 - _E2 * sin_phi * sin_phi) ** 1.5 * math.pi / 180


def _metres_per_degree_lon(lat: float) -> float:
    phi = math.radians(lat)
    n = _A / math.sqrt(1 - _E2 * math.sin(phi) ** 2)
    return max(n * math.cos(phi), 1.0) * math.pi / 180


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * (2 * _A + _B) / 3 * math.asin(min(1.0, math.sqrt(h)))


# --- polygon kernels -------------------------------------------------------------------------


def _ring_edges(east: np.ndarray, north: np.ndarray) -> list[_Edge]:
    edges: list[_Edge] = []
    for i in range(len(east) - 1):
        ax, ay = float(east[i]), float(north[i])
        dx, dy = float(east[i + 1]) - ax, float(north[i + 1]) - ay
        length2 = dx * dx + dy * dy
        if length2 > 0:
            edges.append((ax, ay, dx, dy, 1.0 / length2))
    return edges


def _polygon_scalar(edges: tuple[_Edge, ...], x: float, y: float) -> tuple[bool, float]:
    """(inside, distance to the boundary) for one point; even-odd over all rings of all parts."""
    crossings = False
    for ax, ay, dx, dy, _ in edges:
        ey = y - ay
        # Ray cast towards +x: the edge straddles the point's horizontal and meets it to the
        # right of the point (x - ax < ey * dx / dy, multiplied out by dy: no division).
        if (ey < 0) != (ey < dy) and (((x - ax) * dy < ey * dx) == (dy > 0)):
            crossings = not crossings
    if crossings:
        return True, 0.0
    best = math.inf
    for ax, ay, dx, dy, inv in edges:
        ex, ey = x - ax, y - ay
        t = (ex * dx + ey * dy) * inv
        if t > 0:
            if t >= 1:
                ex -= dx
                ey -= dy
            else:
                ex -= t * dx
                ey -= t * dy
        d2 = ex * ex + ey * ey
        if d2 < best:
            best = d2
    distance = math.sqrt(best)
    return distance <= EDGE_TOLERANCE_M, distance


def _polygon_shapely_one(fence: Fence, x: float, y: float) -> tuple[bool, float]:
    """The same as `_polygon_scalar` for large polygons, where GEOS's prepared index and C loop
    beat Python's per-edge cost despite the ~7 µs it takes to build a shapely Point."""
    if shapely.intersects_xy(fence.local_geometry, x, y):
        return True, 0.0
    distance = float(shapely.distance(fence.local_geometry, shapely.Point(x, y)))
    return distance <= EDGE_TOLERANCE_M, distance


# --- input checks ----------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_fix(lon: float, lat: float, accuracy_m: float) -> None:
    if not (_is_number(lon) and -180 <= lon <= 180):
        raise ValueError(f"lon must be a number in [-180, 180], got {lon!r}")
    if not (_is_number(lat) and -90 <= lat <= 90):
        raise ValueError(f"lat must be a number in [-90, 90], got {lat!r}")
    if not (_is_number(accuracy_m) and accuracy_m >= 0):
        raise ValueError(f"accuracy_m must be a number >= 0, got {accuracy_m!r}")


def _fix_arrays(
    lons: np.ndarray, lats: np.ndarray, accuracies: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lons = np.asarray(lons, dtype=np.float64)
    lats = np.asarray(lats, dtype=np.float64)
    accuracies = np.asarray(accuracies, dtype=np.float64)
    if not (lons.ndim == lats.ndim == accuracies.ndim == 1) or not (
        len(lons) == len(lats) == len(accuracies)
    ):
        raise ValueError("lons, lats and accuracies must be 1-D arrays of the same length")
    # Written as "not (in range)" so that NaN fails too.
    if not np.all((lons >= -180) & (lons <= 180)):
        raise ValueError("every lon must be a number in [-180, 180]")
    if not np.all((lats >= -90) & (lats <= 90)):
        raise ValueError("every lat must be a number in [-90, 90]")
    if not np.all(accuracies >= 0):
        raise ValueError("every accuracy must be a number >= 0")
    return lons, lats, accuracies


def _parse_position(position: Any, where: str) -> tuple[float, float]:
    if not isinstance(position, list | tuple) or len(position) not in (2, 3):
        raise ValueError(f"{where}: a position must be [lon, lat] (or [lon, lat, alt])")
    lon, lat = position[0], position[1]
    if not (_is_number(lon) and _is_number(lat) and math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"{where}: lon and lat must be finite numbers, got {position!r}")
    if not -180 <= lon <= 180:
        raise ValueError(f"{where}: lon {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        raise ValueError(f"{where}: lat {lat} is outside [-90, 90] (are lon and lat swapped?)")
    return float(lon), float(lat)


def _parse_polygon(rings: Any, where: str) -> list[list[tuple[float, float]]]:
    if not isinstance(rings, list | tuple) or not rings:
        raise ValueError(f"{where}: coordinates must be a non-empty list of linear rings")
    parsed = []
    for r, ring in enumerate(rings):
        label = f"{where}, ring {r}"
        if not isinstance(ring, list | tuple) or len(ring) < 4:
            raise ValueError(f"{label}: a linear ring needs at least 4 positions (closed)")
        points = [_parse_position(p, label) for p in ring]
        if points[0] != points[-1]:
            raise ValueError(f"{label}: ring is not closed (first and last positions differ)")
        if len(set(points)) < 3:
            raise ValueError(f"{label}: ring needs at least 3 distinct positions")
        parsed.append(points)
    return parsed
