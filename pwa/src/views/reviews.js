// BKD's review queue: a flagged check-in's selfie beside the reference photo, its reasons and
// where it was taken against the fence; Terima/Tolak with a note. Keyboard: A accept, R reject,
// N note. The next item shows at once; the decision is sent behind it and put back on failure.

import { api, ApiError } from '../api.js';
import { chip, dayName, h, KIND, metres, STATUS, timeIn, toast } from '../ui.js';
import { fenceMap } from './geofence.js';

const REASONS = {
  '': 'Semua alasan',
  not_enrolled: 'Belum ada foto referensi',
  face_mismatch: 'Wajah tidak cocok',
  no_face: 'Tidak ada wajah',
  multiple_faces: 'Lebih dari satu wajah',
  no_location: 'Tanpa lokasi',
  low_accuracy: 'Akurasi GPS rendah',
  near_fence: 'Dekat batas area',
  clock_skew: 'Jam ponsel menyimpang',
  late_sync: 'Terlambat dikirim',
  impossible_travel: 'Perpindahan mustahil',
  mock_location: 'Lokasi palsu',
};

export function reviewsView(app) {
  const tz = app.timezone();
  let date = app.today();
  let items = [];

  const reasonSelect = h(
    'select',
    { id: 'review-reason', class: 'select' },
    Object.entries(REASONS).map(([code, label]) => h('option', { value: code }, label)),
  );
  const picker = h('input', { type: 'date', id: 'review-date', value: date, max: date });
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const body = h('div', { class: 'screen', id: 'review' });
  const el = h(
    'div',
    { class: 'screen' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'review-title' },
      h('h2', { id: 'review-title' }, 'Verifikasi presensi'),
      h('label', { for: 'review-date' }, 'Tanggal'),
      picker,
      h('label', { for: 'review-reason' }, 'Alasan'),
      reasonSelect,
      status,
      h(
        'p',
        { class: 'hint' },
        'Pintasan: ',
        h('kbd', null, 'A'),
        ' terima, ',
        h('kbd', null, 'R'),
        ' tolak, ',
        h('kbd', null, 'N'),
        ' catatan.',
      ),
    ),
    body,
  );
  picker.addEventListener('change', () => {
    date = picker.value || app.today();
    load();
  });
  reasonSelect.addEventListener('change', load);

  async function load() {
    status.textContent = 'Memuat antrean…';
    try {
      const query = new URLSearchParams({ date });
      if (reasonSelect.value) query.set('reason', reasonSelect.value);
      const answer = await api(`/api/v1/reviews?${query}`);
      items = answer.items || [];
      render();
    } catch (e) {
      items = [];
      render(e.message);
    }
  }

  let note = null;
  function render(problem) {
    if (problem) status.textContent = problem;
    else if (items.length)
      status.textContent = `${items.length} presensi menunggu keputusan · ${dayName(date)}`;
    else status.textContent = `Tidak ada yang perlu diperiksa · ${dayName(date)}`;
    const item = items[0];
    if (!item) {
      body.replaceChildren();
      note = null;
      return;
    }
    // Warm the next photos so they show the moment this one is decided.
    for (const next of items.slice(1, 3)) {
      for (const url of [next.selfie_url, next.reference_url]) if (url) new Image().src = url;
    }
    const c = item.checkin;
    note = h('textarea', {
      id: 'review-note',
      maxLength: 500,
      'aria-describedby': 'review-note-hint',
    });
    const accept = h(
      'button',
      { class: 'btn big primary', type: 'button', id: 'review-accept' },
      'Terima (A)',
    );
    const reject = h(
      'button',
      { class: 'btn big danger', type: 'button', id: 'review-reject' },
      'Tolak (R)',
    );
    accept.addEventListener('click', () => decide('accept'));
    reject.addEventListener('click', () => decide('reject'));
    const photo = (url, caption) =>
      h(
        'figure',
        null,
        url
          ? h('img', { src: url, alt: caption, width: 180, height: 240 })
          : h('div', { class: 'no-photo' }, 'Belum ada foto referensi'),
        h('figcaption', null, caption),
      );
    const fix =
      c.lat !== null && c.lon !== null ? { lon: c.lon, lat: c.lat, accuracy: c.accuracy_m } : null;
    const where = c.geofence
      ? c.geofence.decision === 'inside'
        ? `Di dalam area ${c.geofence.location_name || ''}`
        : `${metres(c.geofence.distance_m)} di luar area ${c.geofence.location_name || ''}`
      : 'Tanpa lokasi GPS';
    body.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'review-who' },
        h('h2', { id: 'review-who' }, item.employee.name),
        h('p', { class: 'hint' }, `NIP ${item.employee.nip} · ${item.employee.unit_name}`),
        h(
          'p',
          null,
          `${KIND[c.kind] || c.kind} ${timeIn(c.corrected_captured_at || c.captured_at, tz)} `,
          chip(c.status),
        ),
        h(
          'div',
          { class: 'photos' },
          photo(item.selfie_url, 'Selfie'),
          photo(item.reference_url, 'Foto referensi'),
          item.location && fix
            ? h('figure', null, fenceMap(item.location, fix), h('figcaption', null, where))
            : h('p', { class: 'hint' }, where),
        ),
        h(
          'ul',
          { class: 'reasons' },
          (c.reasons || []).map((r) => h('li', null, r.message)),
        ),
        h('label', { for: 'review-note' }, 'Catatan (wajib bila ditolak)'),
        note,
        h(
          'p',
          { class: 'hint', id: 'review-note-hint', 'aria-live': 'polite' },
          'Catatan terlihat oleh pegawai.',
        ),
        h('div', { class: 'row' }, reject, accept),
      ),
    );
  }

  async function decide(decision) {
    const item = items[0];
    if (!item) return;
    const text = note ? note.value.trim() : '';
    if (decision === 'reject' && !text) {
      // Said beside the note, not in a toast that the next message could replace.
      const hint = document.getElementById('review-note-hint');
      if (hint) {
        hint.textContent = 'Tulis alasan penolakan di catatan ini; pegawai akan membacanya.';
        hint.className = 'error';
      }
      if (note) note.focus();
      return;
    }
    items = items.slice(1);
    render();
    try {
      await api(`/api/v1/reviews/${item.checkin.id}`, {
        method: 'POST',
        json: { decision, note: text },
      });
      toast(
        decision === 'accept'
          ? `${item.employee.name}: ${STATUS.accepted}`
          : `${item.employee.name}: ${STATUS.rejected}`,
      );
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        toast('Presensi ini sudah diputuskan verifikator lain.');
        return;
      }
      items = [item, ...items];
      render();
      toast(`Keputusan belum tersimpan: ${e.message}`);
    }
  }

  function onKey(event) {
    if (app.route !== 'verifikasi' || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing =
      event.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (typing) return;
    const key = event.key.toLowerCase();
    if (!['a', 'r', 'n'].includes(key) || !items.length) return;
    // Handled here: the letter must not also land in the note that may take focus now.
    event.preventDefault();
    if (key === 'a') decide('accept');
    else if (key === 'r') decide('reject');
    else note.focus();
  }
  document.addEventListener('keydown', onKey);

  load();
  return {
    el,
    refresh() {},
    destroy() {
      document.removeEventListener('keydown', onKey);
    },
  };
}
