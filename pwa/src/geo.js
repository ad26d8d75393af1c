// Distances from the phone to its unit's fences, for what the screen says and draws. The server
// makes the decision; this only has to agree with it to a few metres, so a local flat
// projection around the fence is enough (fences are at most a few kilometres across).

const EARTH_RADIUS_M = 6371008.8;
const rad = (deg) => (deg * Math.PI) / 180;

export function haversineM(lon1, lat1, lon2, lat2) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

// Metres east (x) and north (y) of an origin.
export function projector([lon0, lat0]) {
  const kx = (Math.PI / 180) * EARTH_RADIUS_M * Math.cos(rad(lat0));
  const ky = (Math.PI / 180) * EARTH_RADIUS_M;
  return ([lon, lat]) => [(lon - lon0) * kx, (lat - lat0) * ky];
}

// Polygons of a geometry as lists of rings ([outer, ...holes]).
export function polygons(geometry) {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

export function anchor(geometry) {
  if (geometry.type === 'Point') return geometry.coordinates;
  return polygons(geometry)[0][0][0];
}

function insideRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentDistance([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

// Metres from the point to the location's area; 0 inside.
export function distanceOutsideM(location, lon, lat) {
  const { geometry } = location;
  if (geometry.type === 'Point') {
    const [clon, clat] = geometry.coordinates;
    return Math.max(0, haversineM(clon, clat, lon, lat) - (location.radius_m || 0));
  }
  const project = projector(anchor(geometry));
  const p = project([lon, lat]);
  let best = Infinity;
  for (const rings of polygons(geometry)) {
    const projected = rings.map((ring) => ring.map(project));
    const [outer, ...holes] = projected;
    if (insideRing(p, outer) && !holes.some((hole) => insideRing(p, hole))) return 0;
    for (const ring of projected) {
      for (let i = 1; i < ring.length; i++)
        best = Math.min(best, segmentDistance(p, ring[i - 1], ring[i]));
    }
  }
  return best;
}

// The location nearest to the point, with its distance: {location, distanceM} or null.
export function nearestLocation(locations, lon, lat) {
  let best = null;
  for (const location of locations || []) {
    const distanceM = distanceOutsideM(location, lon, lat);
    if (!best || distanceM < best.distanceM) best = { location, distanceM };
  }
  return best;
}
