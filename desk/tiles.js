// Map tiles behind the fence editor's drawing, only where the deployment configured a tile
// server (HADIR_TILE_URL; the CSP's img-src then allows its origin and no other).

import { s } from '/src/ui.js';

// Web Mercator tiles (x, y at zoom z) covering the view, placed in the drawing's metres. Only
// for the fence editor, where the deployment configured a tile server (HADIR_TILE_URL).
export function tileImages(tileUrl, view, project, origin, widthPx) {
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
