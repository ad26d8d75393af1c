// The fence and the phone's position drawn as SVG: no map tiles, so it works offline and costs
// nothing over 2G. North is up; one unit of the drawing is one metre.

import { anchor, nearestLocation, polygons, projector } from '../geo.js';
import { metres, s } from '../ui.js';

const WIDTH_PX = 320;

function bounds(points) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

// Web Mercator tiles (x, y at zoom z) covering the view, placed in the drawing's metres. Only
// for the fence editor, where the deployment configured a tile server (HADIR_TILE_URL).
function tileImages(tileUrl, origin, project, view, widthPx) {
  const [x0, y0, w, h] = view; // metres: left, top (south is +y in the drawing), width, height
  const [lon0, lat0] = origin;
  const mPerDegLat = 111_320;
  const mPerDegLon = 111_320 * Math.cos((lat0 * Math.PI) / 180);
  const toLonLat = (x, y) => [lon0 + x / mPerDegLon, lat0 - y / mPerDegLat];
  // A zoom whose tiles show the view at about twice the drawn width.
  const metresPerPx = w / (widthPx * 2);
  const zoom = Math.max(
    0,
    Math.min(19, Math.round(Math.log2((156543.03 * Math.cos((lat0 * Math.PI) / 180)) / metresPerPx))),
  );
  const n = 2 ** zoom;
  const tileX = (lon) => Math.floor(((lon + 180) / 360) * n);
  const tileY = (lat) => {
    const r = (lat * Math.PI) / 180;
    return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  };
  const lonOf = (x) => (x / n) * 360 - 180;
  const latOf = (y) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  const [west, north] = toLonLat(x0, y0);
  const [east, south] = toLonLat(x0 + w, y0 + h);
  const images = [];
  for (let tx = tileX(west); tx <= tileX(east) && images.length < 36; tx++) {
    for (let ty = tileY(north); ty <= tileY(south) && images.length < 36; ty++) {
      const [ax, ay] = project([lonOf(tx), latOf(ty)]);
      const [bx, by] = project([lonOf(tx + 1), latOf(ty + 1)]);
      const href = tileUrl.replace('{z}', zoom).replace('{x}', tx).replace('{y}', ty);
      images.push(
        s('image', {
          class: 'tile',
          href,
          x: ax,
          y: -ay,
          width: bx - ax,
          height: ay - by,
          preserveAspectRatio: 'none',
        }),
      );
    }
  }
  return images;
}

// `fix` is {lon, lat, accuracy} or null. Returns an <svg>. `tileUrl` draws map tiles behind
// the fence (the editor, where configured); `widthPx` is the drawing's width on screen.
export function fenceMap(
  location,
  fix,
  { label = 'Peta area presensi', tileUrl = null, widthPx = WIDTH_PX } = {},
) {
  const project = projector(anchor(location.geometry));
  const shapes = [];
  const extent = [];
  if (location.geometry.type === 'Point') {
    const r = location.radius_m || 0;
    extent.push([-r, -r], [r, r]);
    shapes.push(
      s('circle', { class: 'fence', cx: 0, cy: 0, r, 'vector-effect': 'non-scaling-stroke' }),
    );
  } else {
    for (const rings of polygons(location.geometry)) {
      const d = rings
        .map((ring) => {
          const pts = ring.map(project);
          extent.push(...pts);
          return `M${pts.map(([x, y]) => `${x.toFixed(1)},${(-y).toFixed(1)}`).join('L')}Z`;
        })
        .join('');
      shapes.push(
        s('path', {
          class: 'fence',
          d,
          'fill-rule': 'evenodd',
          'vector-effect': 'non-scaling-stroke',
        }),
      );
    }
  }
  let here = null;
  if (fix) {
    here = project([fix.lon, fix.lat]);
    // The accuracy circle is drawn but only widens the view up to a point: a 2 km
    // uncertainty would shrink the fence to a dot.
    const reach = Math.min(fix.accuracy || 0, 300);
    extent.push([here[0] - reach, here[1] - reach], [here[0] + reach, here[1] + reach]);
  }
  const [minX, minY, maxX, maxY] = bounds(extent);
  let w = Math.max(maxX - minX, 40);
  let h = Math.max(maxY - minY, 40);
  // A 16:10 frame with a margin, the content centred.
  const pad = 0.15;
  w *= 1 + 2 * pad;
  h *= 1 + 2 * pad;
  if (w / h < 1.6) w = h * 1.6;
  else h = w / 1.6;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const px = w / widthPx; // metres per pixel at the drawn width
  const view = [cx - w / 2, -cy - h / 2, w, h].map((v) => v.toFixed(1)).join(' ');
  const tiles = tileUrl
    ? tileImages(tileUrl, anchor(location.geometry), project, [cx - w / 2, -cy - h / 2, w, h], widthPx)
    : [];

  const svg = s(
    'svg',
    {
      class: 'map',
      viewBox: view,
      role: 'img',
      'aria-label': label,
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('rect', { class: 'map-bg', x: cx - w / 2, y: -cy - h / 2, width: w, height: h }),
    tiles,
    shapes,
  );
  if (here) {
    const [x, y] = here;
    if (fix.accuracy) {
      svg.append(
        s('circle', {
          class: 'accuracy',
          cx: x,
          cy: -y,
          r: fix.accuracy,
          'vector-effect': 'non-scaling-stroke',
        }),
      );
    }
    svg.append(s('circle', { class: 'me', cx: x, cy: -y, r: 7 * px, 'stroke-width': 3 * px }));
  }
  // A scale bar of a round length, about a quarter of the width.
  const steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  const scaleM = steps.find((step) => step >= w / 5) || steps[steps.length - 1];
  const x0 = cx - w / 2 + 12 * px;
  const y0 = -cy + h / 2 - 12 * px;
  svg.append(
    s('path', {
      class: 'scale',
      d: `M${x0},${y0 - 5 * px}V${y0}H${x0 + scaleM}V${y0 - 5 * px}`,
      'vector-effect': 'non-scaling-stroke',
    }),
    s(
      'text',
      { class: 'scale-text', x: x0 + scaleM + 6 * px, y: y0, 'font-size': 13 * px },
      metres(scaleM),
    ),
  );
  return svg;
}

// What the screen says about where the phone is: {text, tone, location, distanceM}.
export function whereAmI(locations, fix) {
  if (!locations || locations.length === 0) {
    return { text: 'Unit Anda belum memiliki area presensi. Hubungi BKD.', tone: 'warn' };
  }
  if (!fix) return { text: null, tone: 'muted', location: locations[0] };
  const near = nearestLocation(locations, fix.lon, fix.lat);
  const name = near.location.name;
  if (near.distanceM <= 0.5) {
    return { text: `Anda di dalam area ${name}`, tone: 'ok', ...near };
  }
  const within = fix.accuracy && near.distanceM <= fix.accuracy;
  return {
    text: `Anda ${metres(near.distanceM)} di luar area ${name}`,
    tone: within ? 'warn' : 'bad',
    hint: within ? 'Masih dalam jangkauan akurasi GPS; mendekatlah agar pasti.' : null,
    ...near,
  };
}
