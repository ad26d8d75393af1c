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

// `fix` is {lon, lat, accuracy} or null. Returns an <svg>. `background(view, project, origin,
// widthPx)` may add nodes behind the fence (the desk's map tiles); `widthPx` is the drawn width.
export function fenceMap(
  location,
  fix,
  { label = 'Peta area presensi', background = null, widthPx = WIDTH_PX } = {},
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
  const behind = background
    ? background([cx - w / 2, -cy - h / 2, w, h], project, anchor(location.geometry), widthPx)
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
    behind,
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
