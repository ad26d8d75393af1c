// The fence editor for BKD and admins ("Area presensi"): find a location, enter its circle
// (centre and radius) or polygon (one corner per line), or paste/upload GeoJSON; the drawing
// is to scale with a metres bar, and the server's metres check (area, largest distance,
// warnings, refusals in words) is shown before anything is saved. Map tiles appear behind the
// drawing only where the deployment configured a tile server.

import { api, ApiError } from '/src/api.js';
import { clear, h } from '/src/ui.js';
import { deskStyles } from './desk.js';
import { fenceMap } from '/src/views/geofence.js';
import { tileImages } from './tiles.js';

const CHECK_DELAY_MS = 350;

function num(value) {
  const text = String(value).trim().replace(',', '.');
  return text === '' ? NaN : Number(text);
}

function decimal(value, digits = 0) {
  return value.toLocaleString('id-ID', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function area(m2) {
  return m2 >= 10_000 ? `${decimal(m2 / 10_000, 2)} ha` : `${decimal(m2)} m²`;
}

function length(m) {
  return m >= 1000 ? `${decimal(m / 1000, 2)} km` : `${decimal(m, 1)} m`;
}

// "lintang, bujur" per line (as a map app copies a point) -> a closed GeoJSON ring [lon, lat].
export function ringFromLines(text) {
  const points = [];
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    // "-6.9686, 111.4177", "-6,9686; 111,4177", "-6,9686 111,4177" or "-6.9686,111.4177".
    let pieces = line.split(/\s*;\s*|\t+|,\s+|\s+/).filter(Boolean);
    if (pieces.length === 1) pieces = line.split(',');
    const parts = pieces.map(num);
    if (parts.length !== 2 || parts.some(Number.isNaN)) {
      throw new Error(`Baris ${i + 1}: tulis "lintang, bujur", misalnya -6.9686, 111.4177`);
    }
    points.push([parts[1], parts[0]]);
  }
  if (points.length < 3) throw new Error('Poligon perlu minimal 3 titik sudut, satu per baris.');
  const [first] = points;
  const last = points[points.length - 1];
  if (first[0] !== last[0] || first[1] !== last[1]) points.push([...first]);
  return points;
}

// A pasted or uploaded GeoJSON: a geometry, a Feature, or a FeatureCollection of one feature.
// A circle is a Point with `radius_m` in its properties.
export function draftFromGeoJson(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('Teks bukan GeoJSON yang sah (JSON tidak dapat dibaca).');
  }
  let radius = null;
  if (value && value.type === 'FeatureCollection') {
    const features = value.features || [];
    if (features.length !== 1) {
      throw new Error(`FeatureCollection berisi ${features.length} fitur; harus tepat satu.`);
    }
    value = features[0];
  }
  if (value && value.type === 'Feature') {
    radius = value.properties && value.properties.radius_m != null ? value.properties.radius_m : null;
    value = value.geometry;
  }
  if (!value || typeof value !== 'object' || !value.type) {
    throw new Error('GeoJSON harus berupa geometri, Feature, atau FeatureCollection.');
  }
  return { geometry: value, radius_m: value.type === 'Point' ? radius : null };
}

export function fencesView() {
  deskStyles();
  const search = h('input', {
    id: 'fence-search',
    type: 'search',
    placeholder: 'Kode, nama lokasi, atau unit',
    maxLength: 100,
  });
  const results = h('ul', { class: 'list picks', id: 'fence-results', 'aria-live': 'polite' });
  const finder = h(
    'form',
    { class: 'card', role: 'search', 'aria-labelledby': 'fence-title' },
    h('h2', { id: 'fence-title' }, 'Area presensi'),
    h(
      'p',
      { class: 'hint' },
      'Cari lokasi, lalu masukkan lingkaran (titik pusat dan jari-jari) atau poligon. ' +
        'Ukuran dalam meter diperiksa sebelum disimpan.',
    ),
    h('label', { for: 'fence-search' }, 'Cari lokasi'),
    search,
    h('button', { class: 'btn primary', type: 'submit' }, 'Cari'),
    results,
  );
  const editor = h('section', { class: 'card', id: 'fence-editor', hidden: true });
  const side = h('section', { class: 'card', id: 'fence-side', hidden: true });
  let tileUrl = null;
  let current = null; // the location being edited
  let timer = null;
  let asked = 0;

  async function find() {
    clear(results, h('li', { class: 'hint' }, 'Mencari…'));
    try {
      const page = await api(`/api/v1/admin/locations?${new URLSearchParams({ q: search.value, limit: '20' })}`);
      tileUrl = page.tile_url;
      if (!page.items.length) {
        clear(results, h('li', { class: 'hint' }, 'Tidak ada lokasi yang cocok.'));
        return;
      }
      clear(
        results,
        page.items.map((loc) =>
          h(
            'li',
            { class: 'item' },
            h(
              'button',
              {
                class: 'btn link',
                type: 'button',
                'data-location': loc.code,
                onclick: () => open(loc.id),
              },
              `${loc.name} (${loc.code})`,
            ),
            h('span', { class: 'hint' }, `${loc.unit_name} · ${loc.kind === 'circle' ? 'lingkaran' : 'poligon'}`),
          ),
        ),
      );
    } catch (e) {
      clear(results, h('li', { class: 'error', role: 'alert' }, e.message));
    }
  }
  finder.addEventListener('submit', (event) => {
    event.preventDefault();
    find();
  });

  // --- the editor of one location ---------------------------------------------------------

  const kind = h(
    'select',
    { id: 'fence-kind' },
    h('option', { value: 'circle' }, 'Lingkaran (titik pusat dan jari-jari)'),
    h('option', { value: 'polygon' }, 'Poligon (titik-titik sudut)'),
    h('option', { value: 'geojson' }, 'GeoJSON (tempel atau unggah berkas)'),
  );
  const lat = h('input', { id: 'fence-lat', inputMode: 'decimal', autocomplete: 'off' });
  const lon = h('input', { id: 'fence-lon', inputMode: 'decimal', autocomplete: 'off' });
  const radius = h('input', { id: 'fence-radius', inputMode: 'decimal', autocomplete: 'off' });
  const corners = h('textarea', { id: 'fence-corners', rows: 6, spellcheck: false });
  const geojson = h('textarea', { id: 'fence-geojson', rows: 6, spellcheck: false });
  const upload = h('input', { id: 'fence-upload', type: 'file', accept: '.geojson,.json,application/geo+json,application/json' });
  const accuracy = h('input', { id: 'fence-accuracy', inputMode: 'decimal', autocomplete: 'off' });
  const circleBox = h(
    'div',
    { id: 'fence-circle' },
    h('label', { for: 'fence-lat' }, 'Lintang pusat (contoh -6,9686)'),
    lat,
    h('label', { for: 'fence-lon' }, 'Bujur pusat (contoh 111,4177)'),
    lon,
    h('label', { for: 'fence-radius' }, 'Jari-jari (meter)'),
    radius,
  );
  const polygonBox = h(
    'div',
    { id: 'fence-polygon', hidden: true },
    h('label', { for: 'fence-corners' }, 'Titik sudut: satu per baris, "lintang, bujur"'),
    corners,
  );
  const geojsonBox = h(
    'div',
    { id: 'fence-geojson-box', hidden: true },
    h('label', { for: 'fence-geojson' }, 'Tempel GeoJSON (Point dengan radius_m, Polygon, MultiPolygon)'),
    geojson,
    h('label', { for: 'fence-upload' }, 'atau unggah berkas .geojson'),
    upload,
  );
  const parseError = h('p', { class: 'error', id: 'fence-parse-error', role: 'alert', hidden: true });
  const save = h('button', { class: 'btn primary big', type: 'submit', id: 'fence-save', disabled: true }, 'Simpan area');
  const saved = h('p', { class: 'notice', id: 'fence-saved', role: 'status', hidden: true });
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'fence-editor-title' },
    h('h2', { id: 'fence-editor-title' }, 'Lokasi'),
    h('p', { class: 'hint', id: 'fence-editor-unit' }),
    h('label', { for: 'fence-kind' }, 'Bentuk area'),
    kind,
    circleBox,
    polygonBox,
    geojsonBox,
    h('label', { for: 'fence-accuracy' }, 'Batas akurasi GPS (meter, boleh kosong: bawaan)'),
    accuracy,
    parseError,
    save,
    saved,
  );
  editor.append(form);
  const preview = h('div', { class: 'map-box', id: 'fence-preview' });
  const report = h('div', { id: 'fence-report', 'aria-live': 'polite' });
  side.append(h('h2', null, 'Pratinjau dan pemeriksaan'), preview, report);

  function showKind() {
    circleBox.hidden = kind.value !== 'circle';
    polygonBox.hidden = kind.value !== 'polygon';
    geojsonBox.hidden = kind.value !== 'geojson';
  }

  function draft() {
    let body;
    if (kind.value === 'circle') {
      const c = [num(lon.value), num(lat.value)];
      const r = num(radius.value);
      if (c.some(Number.isNaN)) throw new Error('Isi lintang dan bujur titik pusat dengan angka.');
      if (Number.isNaN(r)) throw new Error('Isi jari-jari dalam meter.');
      body = { geometry: { type: 'Point', coordinates: c }, radius_m: r };
    } else if (kind.value === 'polygon') {
      body = { geometry: { type: 'Polygon', coordinates: [ringFromLines(corners.value)] }, radius_m: null };
    } else {
      body = draftFromGeoJson(geojson.value);
    }
    const acc = num(accuracy.value);
    body.max_accuracy_m = Number.isNaN(acc) ? null : acc;
    return body;
  }

  function drawPreview(body) {
    try {
      clear(
        preview,
        fenceMap({ geometry: body.geometry, radius_m: body.radius_m }, null, {
          label: 'Pratinjau area presensi',
          background: tileUrl
            ? (view, project, origin, widthPx) => tileImages(tileUrl, view, project, origin, widthPx)
            : null,
          widthPx: preview.clientWidth || 320,
        }),
      );
    } catch {
      clear(preview, h('p', { class: 'hint' }, 'Bentuk belum dapat digambar.'));
    }
  }

  function showReport(answer) {
    const parts = [];
    if (answer.ok) {
      parts.push(
        h(
          'dl',
          { class: 'facts', id: 'fence-figures' },
          h('dt', null, 'Luas'),
          h('dd', { id: 'fence-area' }, area(answer.area_m2)),
          h('dt', null, 'Jarak terjauh'),
          h('dd', { id: 'fence-largest' }, length(answer.largest_distance_m)),
          h('dt', null, 'Bagian tersempit'),
          h('dd', null, length(answer.narrowest_m)),
        ),
      );
    }
    for (const problem of answer.errors) {
      parts.push(h('p', { class: 'error fence-error', 'data-code': problem.code }, `Ditolak: ${problem.message}`));
    }
    for (const problem of answer.warnings) {
      parts.push(h('p', { class: 'notice fence-warning', 'data-code': problem.code }, `Perhatian: ${problem.message}`));
    }
    if (answer.ok && !answer.warnings.length) {
      parts.push(h('p', { class: 'tone-ok', id: 'fence-ok' }, 'Ukuran wajar untuk presensi dengan GPS.'));
    }
    clear(report, parts);
    save.disabled = !answer.ok;
  }

  async function check() {
    saved.hidden = true;
    let body;
    try {
      body = draft();
    } catch (e) {
      parseError.textContent = e.message;
      parseError.hidden = false;
      save.disabled = true;
      clear(report);
      return;
    }
    parseError.hidden = true;
    drawPreview(body);
    const token = ++asked;
    try {
      const answer = await api(`/api/v1/admin/locations/${current.id}/fence/check`, { method: 'POST', json: body });
      if (token === asked) showReport(answer);
    } catch (e) {
      if (token !== asked) return;
      parseError.textContent = e.message;
      parseError.hidden = false;
      save.disabled = true;
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, CHECK_DELAY_MS);
  }
  for (const input of [lat, lon, radius, corners, geojson, accuracy]) input.addEventListener('input', later);
  kind.addEventListener('change', () => {
    showKind();
    check();
  });
  upload.addEventListener('change', async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    geojson.value = await file.text();
    check();
  });

  function fill(fence) {
    const g = fence.geometry;
    accuracy.value = fence.max_accuracy_m == null ? '' : String(fence.max_accuracy_m);
    if (g.type === 'Point') {
      kind.value = 'circle';
      lon.value = String(g.coordinates[0]);
      lat.value = String(g.coordinates[1]);
      radius.value = String(fence.radius_m);
    } else if (g.type === 'Polygon' && g.coordinates.length === 1) {
      kind.value = 'polygon';
      corners.value = g.coordinates[0].slice(0, -1).map(([x, y]) => `${y}, ${x}`).join('\n');
    } else {
      kind.value = 'geojson';
      geojson.value = JSON.stringify(g, null, 1);
    }
    showKind();
  }

  async function open(id) {
    try {
      current = await api(`/api/v1/admin/locations/${id}/fence`);
    } catch (e) {
      clear(results, h('li', { class: 'error', role: 'alert' }, e.message));
      return;
    }
    tileUrl = current.tile_url;
    form.querySelector('#fence-editor-title').textContent = `${current.name} (${current.code})`;
    form.querySelector('#fence-editor-unit').textContent =
      `${current.unit_name} · batas akurasi bawaan ${decimal(current.default_max_accuracy_m)} m`;
    fill(current);
    editor.hidden = false;
    side.hidden = false;
    saved.hidden = true;
    drawPreview({ geometry: current.geometry, radius_m: current.radius_m });
    showReport(current.report);
    kind.focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (save.disabled) return;
    let body;
    try {
      body = draft();
    } catch (e) {
      parseError.textContent = e.message;
      parseError.hidden = false;
      return;
    }
    save.disabled = true;
    try {
      current = await api(`/api/v1/admin/locations/${current.id}/fence`, { method: 'PUT', json: body });
      showReport(current.report);
      saved.textContent = `Area ${current.name} disimpan. Presensi berikutnya memakai area ini.`;
      saved.hidden = false;
    } catch (e) {
      parseError.textContent =
        e instanceof ApiError && e.status === 0 ? 'Tidak ada koneksi ke server.' : e.message;
      parseError.hidden = false;
    } finally {
      save.disabled = false;
    }
  });

  const el = h('div', { class: 'screen desk' }, finder, h('div', { class: 'desk-grid' }, editor, side));
  find();
  return {
    el,
    focus: () => search.focus(),
    destroy: () => clearTimeout(timer),
  };
}
