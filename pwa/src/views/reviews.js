// BKD's review desk. The backlog of flagged check-ins of every day and unit, paged (filters:
// unit with everything under it, a range of dates, the reason; highest spoof-risk first by
// default, or oldest / newest first). Each record shows its risk score, and the case lists
// the score's parts with their points, weights and sentences (numbers for BKD only). At a
// desk (1366 px and wider) the queue stands beside the case under review; on a phone they
// stack. The case: the selfie beside the employee's reference photos and the CCTV snapshots
// taken there within minutes, its reasons and where it was taken against the fence; Terima /
// Tolak always in view. The next item shows at once; the decision is sent behind it and put
// back on failure. After an acceptance, "Jadikan foto referensi" enrols that selfie.
//
// Keyboard (shown on screen): J/K or ↓/↑ move in the queue, A accepts, T (or R) rejects, N or /
// goes to the note, F makes the last accepted selfie a reference photo. In a text field every
// key is text; Escape leaves the field.

import { api, ApiError } from '../api.js';
import { chip, dayName, h, KIND, metres, STATUS, timeIn, toast } from '../ui.js';
import { fenceMap } from './geofence.js';

const PAGE = 20;

const REASONS = {
  '': 'Semua alasan',
  not_enrolled: 'Belum ada foto referensi',
  face_mismatch: 'Wajah tidak cocok',
  no_face: 'Tidak ada wajah',
  multiple_faces: 'Lebih dari satu wajah',
  liveness_failed: 'Gerak kepala gagal (liveness)',
  no_location: 'Tanpa lokasi',
  low_accuracy: 'Akurasi GPS rendah',
  near_fence: 'Dekat batas area',
  clock_skew: 'Jam ponsel menyimpang',
  late_sync: 'Terlambat dikirim',
  impossible_travel: 'Perpindahan mustahil',
  mock_location: 'Lokasi palsu',
  high_risk: 'Risiko pemalsuan tinggi',
  // Signed records (README "Signed records"): the phone's device key and its chain.
  device_unregistered: 'Perangkat tidak terdaftar',
  signature_invalid: 'Tanda tangan tidak sah',
  chain_broken: 'Rantai catatan terputus',
};

// The parts of the spoof-risk score (backend/attendance/risk.py), in the server's order.
const RISK_PARTS = {
  accuracy: 'Pola akurasi GPS',
  coordinates: 'Koordinat',
  travel: 'Perjalanan mustahil',
  device: 'Perangkat',
  clock: 'Jam ponsel',
  mock: 'Lokasi palsu',
  liveness: 'Tantangan gerak',
  face: 'Jarak wajah',
  cctv: 'CCTV',
};

// The reasons a record was flagged for, not the ones that passed (inside the fence, a match).
const PASSED = new Set(['inside_fence', 'face_match', 'liveness_passed']);

const SHORTCUTS = [
  [['J', '↓'], 'berikutnya'],
  [['K', '↑'], 'sebelumnya'],
  [['A'], 'terima'],
  [['T'], 'tolak'],
  [['N', '/'], 'catatan'],
  [['F'], 'jadikan foto referensi'],
  [['Esc'], 'keluar dari kolom teks'],
];

// A record's time in the reviewer's zone, named (WIB, WITA, WIT): the record's own work date
// is its employee's local day, which can differ near midnight across zones.
function clock(iso, timeZone) {
  return new Intl.DateTimeFormat('id-ID', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));
}

function shortDay(date) {
  return new Intl.DateTimeFormat('id-ID', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  }).format(new Date(`${date}T12:00:00Z`));
}

function decimal(value) {
  return value.toFixed(2).replace('.', ',');
}

// How far from the check-in a snapshot was taken, in words.
export function offsetWords(takenAt, checkinAt) {
  const seconds = (new Date(takenAt) - new Date(checkinAt)) / 1000;
  const minutes = Math.round(Math.abs(seconds) / 60);
  if (minutes === 0) return 'saat presensi';
  return `${minutes} menit ${seconds < 0 ? 'sebelum' : 'sesudah'} presensi`;
}

// What a CCTV match means, for BKD: a distance is evidence, never a verdict.
export function matchWords(distance) {
  if (distance === null || distance === undefined) {
    return 'Wajah pegawai tidak dikenali di gambar ini';
  }
  return `Wajah pegawai terlihat (jarak ${decimal(distance)}; makin kecil makin mirip)`;
}

function points(value) {
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return text.replace('.', ',');
}

// Red when the server flagged the score (`high_risk`: its threshold is a setting there).
function riskBadge(item) {
  const score = item.risk_score;
  const unknown = score === null || score === undefined;
  const high = (item.checkin.reasons || []).some((r) => r.code === 'high_risk');
  return h(
    'span',
    {
      class: `risk-badge${high ? ' risk-high' : ''}`,
      title: 'Skor risiko pemalsuan',
    },
    unknown ? 'Risiko –' : `Risiko ${points(score)}`,
  );
}

// Each part: its name, its points of its weight, and why in one sentence.
export function riskTable(item) {
  const parts = item.risk_parts || [];
  if (!parts.length) {
    return h(
      'p',
      { class: 'hint', id: 'review-risk' },
      'Skor risiko belum dihitung untuk presensi ini.',
    );
  }
  const head = ['Bagian', 'Poin', 'Alasan'].map((t) => h('th', { scope: 'col' }, t));
  const rows = parts.map((p) =>
    h(
      'tr',
      {
        class: p.points > 0 ? 'risk-up' : p.points < 0 ? 'risk-down' : null,
        'data-part': p.code,
      },
      h('th', { scope: 'row' }, RISK_PARTS[p.code] || p.code),
      h(
        'td',
        { class: 'risk-points' },
        `${p.points > 0 ? '+' : ''}${points(p.points)} / ${points(p.weight)}`,
      ),
      h('td', null, p.sentence),
    ),
  );
  return h(
    'section',
    { class: 'desk-risk', id: 'review-risk', 'aria-labelledby': 'review-risk-title' },
    h('h3', { id: 'review-risk-title' }, 'Skor risiko pemalsuan ', riskBadge(item)),
    h(
      'table',
      { class: 'risk-table' },
      h('thead', null, h('tr', null, head)),
      h('tbody', null, rows),
    ),
  );
}

function flagReasons(checkin) {
  return (checkin.reasons || []).filter((r) => !PASSED.has(r.code));
}

export function reviewsView(app) {
  const tz = app.timezone();
  let items = [];
  let total = 0;
  let cursor = null;
  let selected = 0;
  let loading = false;
  let generation = 0; // a reload drops the answers of the one before it
  const decided = []; // this session's decisions, newest first: the place for "Jadikan…"

  // --- filters ---------------------------------------------------------------------------------
  const unitSelect = h(
    'select',
    { id: 'review-unit', class: 'select' },
    h('option', { value: '' }, 'Semua unit'),
  );
  const reasonSelect = h(
    'select',
    { id: 'review-reason', class: 'select' },
    Object.entries(REASONS).map(([code, label]) => h('option', { value: code }, label)),
  );
  const startInput = h('input', { type: 'date', id: 'review-start', max: app.today() });
  const endInput = h('input', { type: 'date', id: 'review-end', max: app.today() });
  const orderSelect = h(
    'select',
    { id: 'review-order', class: 'select' },
    h('option', { value: 'risk' }, 'Risiko tertinggi dulu'),
    h('option', { value: 'oldest' }, 'Terlama dulu'),
    h('option', { value: 'newest' }, 'Terbaru dulu'),
  );
  const field = (id, label, control) =>
    h('div', { class: 'desk-field' }, h('label', { for: id }, label), control);
  const status = h('p', { class: 'hint', id: 'review-status', 'aria-live': 'polite' });

  const list = h('ol', {
    class: 'desk-list',
    id: 'review-queue',
    'aria-label': 'Antrean presensi yang perlu diperiksa',
  });
  const more = h(
    'button',
    { class: 'btn small wide', type: 'button', id: 'review-more', hidden: true },
    'Muat berikutnya',
  );
  more.addEventListener('click', () => loadMore());
  const counter = h('p', { class: 'hint', id: 'review-count' });
  // The order in words beside the queue: the filters it is chosen in may be folded.
  const sortedBy = h('p', { class: 'hint', id: 'review-sort' });

  const body = h('div', { class: 'screen desk-case', id: 'review' });
  const recent = h('section', {
    class: 'card',
    id: 'review-recent',
    hidden: true,
    'aria-labelledby': 'review-recent-title',
  });

  const keys = h(
    'p',
    { class: 'hint desk-keys', id: 'review-keys' },
    'Pintasan: ',
    SHORTCUTS.map(([combo, what], n) => [
      n ? ' · ' : '',
      combo.map((k, i) => [i ? '/' : '', h('kbd', null, k)]),
      ` ${what}`,
    ]),
  );

  // Folded on a phone and on a 768 px tall desk screen (the queue needs the height), open on
  // a taller one.
  const filters = h(
    'details',
    {
      class: 'desk-filter-box',
      id: 'review-filters',
      open: window.innerWidth >= 1200 && window.innerHeight >= 900,
    },
    h('summary', null, 'Saring: unit, tanggal, alasan, urutan'),
    h(
      'div',
      { class: 'desk-filter-grid' },
      field('review-unit', 'Unit (termasuk unit di bawahnya)', unitSelect),
      field('review-start', 'Dari tanggal', startInput),
      field('review-end', 'Sampai tanggal', endInput),
      field('review-reason', 'Alasan', reasonSelect),
      field('review-order', 'Urutan', orderSelect),
    ),
  );

  const el = h(
    'div',
    { class: 'screen desk' },
    h(
      'section',
      { class: 'card desk-filters', 'aria-labelledby': 'review-title' },
      h('div', { class: 'desk-title' }, h('h2', { id: 'review-title' }, 'Verifikasi presensi'), status),
      keys,
    ),
    h(
      'div',
      { class: 'desk-columns' },
      h(
        'section',
        { class: 'card desk-queue', 'aria-labelledby': 'review-queue-title' },
        h('h2', { id: 'review-queue-title' }, 'Antrean'),
        sortedBy,
        filters,
        counter,
        list,
        more,
      ),
      h('div', { class: 'screen desk-main' }, body, recent),
    ),
  );
  for (const control of [unitSelect, reasonSelect, startInput, endInput, orderSelect]) {
    control.addEventListener('change', () => load());
  }

  async function loadUnits() {
    try {
      const units = await api('/api/v1/reviews/units');
      unitSelect.append(
        ...units.map((u) =>
          h(
            'option',
            { value: u.code },
            `${'\u00a0\u00a0'.repeat(u.depth)}${u.name}${u.flagged ? ` (${u.flagged})` : ''}`,
          ),
        ),
      );
    } catch {
      // The filter stays at "Semua unit"; the queue itself still loads.
    }
  }

  function query(extra = {}) {
    const q = new URLSearchParams({ limit: String(PAGE), order: orderSelect.value });
    if (unitSelect.value) q.set('unit', unitSelect.value);
    if (reasonSelect.value) q.set('reason', reasonSelect.value);
    if (startInput.value) q.set('start', startInput.value);
    if (endInput.value) q.set('end', endInput.value);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q;
  }

  async function load() {
    const mine = ++generation;
    if (startInput.value && endInput.value && endInput.value < startInput.value) {
      items = [];
      total = 0;
      cursor = null;
      render('Tanggal "sampai" harus sama dengan atau setelah tanggal "dari".');
      return;
    }
    status.textContent = 'Memuat antrean…';
    loading = true;
    try {
      const answer = await api(`/api/v1/reviews?${query()}`);
      if (mine !== generation) return;
      items = answer.items || [];
      total = answer.total ?? items.length;
      cursor = answer.next_cursor || null;
      selected = 0;
      render();
    } catch (e) {
      if (mine !== generation) return;
      items = [];
      total = 0;
      cursor = null;
      render(e.message);
    } finally {
      if (mine === generation) loading = false;
    }
  }

  async function loadMore() {
    if (!cursor || loading) return;
    const mine = generation;
    loading = true;
    more.disabled = true;
    try {
      const answer = await api(`/api/v1/reviews?${query({ cursor })}`);
      if (mine !== generation) return;
      const known = new Set(items.map((i) => i.checkin.id));
      items = [...items, ...(answer.items || []).filter((i) => !known.has(i.checkin.id))];
      total = answer.total ?? total;
      cursor = answer.next_cursor || null;
      render();
    } catch (e) {
      toast(`Halaman berikutnya belum termuat: ${e.message}`);
    } finally {
      loading = false;
      more.disabled = false;
    }
  }

  // --- rendering -------------------------------------------------------------------------------
  let note = null;

  function render(problem) {
    if (problem) status.textContent = problem;
    else if (total) status.textContent = `${total} presensi menunggu keputusan`;
    else status.textContent = 'Tidak ada yang perlu diperiksa';
    selected = Math.max(0, Math.min(selected, items.length - 1));
    sortedBy.textContent = `Urutan: ${orderSelect.selectedOptions[0].textContent.toLowerCase()}`;
    counter.textContent = items.length
      ? `Menampilkan ${items.length} dari ${total}`
      : 'Antrean kosong untuk pilihan ini';
    more.hidden = !cursor;
    renderList();
    renderCase();
  }

  function renderList() {
    list.replaceChildren(
      ...items.map((item, n) => {
        const c = item.checkin;
        const flags = flagReasons(c);
        const row = h(
          'li',
          {
            class: `desk-row${n === selected ? ' selected' : ''}`,
            id: `review-row-${c.id}`,
            'aria-current': n === selected ? 'true' : null,
          },
          h(
            'button',
            { type: 'button', class: 'desk-pick', 'data-index': String(n) },
            h('span', { class: 'desk-row-name' }, item.employee.name, ' ', riskBadge(item)),
            h(
              'span',
              { class: 'desk-row-meta' },
              `${shortDay(c.work_date)} · ${KIND[c.kind] || c.kind} ${timeIn(
                c.corrected_captured_at || c.captured_at,
                tz,
              )} · ${item.employee.unit_name}`,
            ),
            flags.length
              ? h('span', { class: 'desk-row-why' }, flags.map((r) => r.message).join('; '))
              : null,
          ),
        );
        row.firstChild.addEventListener('click', () => select(n));
        return row;
      }),
    );
  }

  function select(n, { scroll = true } = {}) {
    if (!items.length) return;
    selected = Math.max(0, Math.min(n, items.length - 1));
    renderList();
    renderCase();
    if (scroll) {
      const row = list.children[selected];
      if (row && row.scrollIntoView) row.scrollIntoView({ block: 'nearest' });
    }
    // At the end of what is loaded, the next page comes in behind.
    if (selected >= items.length - 2 && cursor) loadMore();
  }

  function photo(url, caption, alt) {
    return h(
      'figure',
      { class: 'desk-photo' },
      url
        ? h('img', { src: url, alt: alt || caption, width: 180, height: 240 })
        : h('div', { class: 'no-photo' }, 'Belum ada foto referensi'),
      h('figcaption', null, caption),
    );
  }

  function cctvFigure(evidence, checkinAt) {
    const matched = evidence.distance !== null && evidence.distance !== undefined;
    return h(
      'figure',
      { class: `desk-photo desk-cctv${matched ? ' matched' : ''}` },
      evidence.image_url
        ? h('img', {
            src: evidence.image_url,
            alt: `CCTV ${evidence.camera_name}`,
            width: 240,
            height: 180,
          })
        : h('div', { class: 'no-photo' }, 'Gambar sudah dihapus (masa simpan habis)'),
      h(
        'figcaption',
        null,
        h('strong', null, evidence.camera_name),
        ` · ${timeIn(evidence.taken_at, tz)} (${offsetWords(evidence.taken_at, checkinAt)})`,
        h('br'),
        h('span', { class: matched ? 'cctv-yes' : 'cctv-no' }, matchWords(evidence.distance)),
      ),
    );
  }

  function cctvSummary(item) {
    const shots = item.cctv || [];
    if (!item.location) return 'Tanpa lokasi: tidak ada CCTV yang dapat dikaitkan.';
    if (!shots.length) return 'Tidak ada gambar CCTV di lokasi ini sekitar waktu presensi.';
    const seen = shots.filter((e) => e.distance !== null && e.distance !== undefined).length;
    return seen
      ? `Wajah pegawai terlihat di ${seen} dari ${shots.length} gambar CCTV sekitar waktu presensi (±5 menit). Bukti pendukung, bukan keputusan.`
      : `${shots.length} gambar CCTV sekitar waktu presensi (±5 menit); wajah pegawai tidak dikenali di gambar mana pun.`;
  }

  function renderCase() {
    const item = items[selected];
    if (!item) {
      body.replaceChildren();
      note = null;
      return;
    }
    // Warm the photos around this one so they show the moment it is decided.
    for (const near of [items[selected + 1], items[selected + 2], items[selected - 1]]) {
      if (!near) continue;
      for (const url of [near.selfie_url, near.reference_url]) if (url) new Image().src = url;
    }
    const c = item.checkin;
    const at = c.corrected_captured_at || c.captured_at;
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
      'Tolak (T)',
    );
    accept.addEventListener('click', () => decide('accept'));
    reject.addEventListener('click', () => decide('reject'));
    const fix =
      c.lat !== null && c.lon !== null ? { lon: c.lon, lat: c.lat, accuracy: c.accuracy_m } : null;
    const where = c.geofence
      ? c.geofence.decision === 'inside'
        ? `Di dalam area ${c.geofence.location_name || ''}`
        : `${metres(c.geofence.distance_m)} di luar area ${c.geofence.location_name || ''}`
      : 'Tanpa lokasi GPS';
    const references = item.reference_urls && item.reference_urls.length
      ? item.reference_urls
      : [item.reference_url];
    body.replaceChildren(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'review-who' },
        h('h2', { id: 'review-who' }, item.employee.name),
        h('p', { class: 'hint' }, `NIP ${item.employee.nip} · ${item.employee.unit_name}`),
        h(
          'p',
          null,
          `${KIND[c.kind] || c.kind} · hari kerja ${dayName(c.work_date)} · ${clock(at, tz)} `,
          chip(c.status),
        ),
        h(
          'div',
          { class: 'desk-gallery' },
          photo(item.selfie_url, 'Selfie'),
          references.map((url, n) =>
            n === 0
              ? photo(url, 'Foto referensi')
              : photo(url, `Referensi ke-${n + 1}`, `Referensi ke-${n + 1}`),
          ),
          h(
            'div',
            { class: 'desk-cctv-block', id: 'review-cctv' },
            (item.cctv || []).length
              ? h(
                  'div',
                  { class: 'desk-cctv-figs' },
                  item.cctv.map((e) => cctvFigure(e, at)),
                )
              : null,
            h('p', { class: 'hint desk-cctv-words' }, cctvSummary(item)),
          ),
        ),
        h(
          'div',
          { class: 'desk-where' },
          item.location && fix
            ? h('figure', { class: 'desk-map' }, fenceMap(item.location, fix), h('figcaption', null, where))
            : h('p', { class: 'hint' }, where),
        ),
        h(
          'ul',
          { class: 'reasons' },
          (c.reasons || []).map((r) => h('li', null, r.message)),
        ),
        riskTable(item),
        h('label', { for: 'review-note' }, 'Catatan (wajib bila ditolak)'),
        note,
        h(
          'p',
          { class: 'hint', id: 'review-note-hint', 'aria-live': 'polite' },
          'Catatan terlihat oleh pegawai.',
          h('span', { class: 'desk-keys' }, ' ', h('kbd', null, 'Esc'), ' kembali ke pintasan.'),
        ),
      ),
      h('div', { class: 'actions desk-actions', id: 'review-actions' }, reject, accept),
    );
  }

  function renderRecent() {
    if (!decided.length) {
      recent.hidden = true;
      return;
    }
    recent.hidden = false;
    recent.replaceChildren(
      h('h2', { id: 'review-recent-title' }, 'Baru diputuskan'),
      h(
        'ul',
        { class: 'list' },
        decided.slice(0, 5).map((d) => {
          const accepted = d.decision === 'accept';
          let action = null;
          if (accepted && d.reference) {
            action = h('p', { class: 'hint' }, 'Sudah menjadi foto referensi.');
          } else if (accepted && d.state === 'saved' && d.item.selfie_url) {
            const button = h(
              'button',
              { class: 'btn small', type: 'button', 'data-checkin': String(d.item.checkin.id) },
              'Jadikan foto referensi (F)',
            );
            button.addEventListener('click', () => useAsReference(d));
            action = button;
          }
          return h(
            'li',
            { class: 'item' },
            h(
              'div',
              { class: 'item-head' },
              h('strong', null, d.item.employee.name),
              chip(accepted ? 'accepted' : 'rejected'),
              d.state === 'sending' ? h('span', { class: 'hint' }, 'menyimpan…') : null,
            ),
            h(
              'p',
              { class: 'hint' },
              `${shortDay(d.item.checkin.work_date)} · ${d.item.employee.unit_name}`,
            ),
            action,
          );
        }),
      ),
    );
  }

  // --- actions ---------------------------------------------------------------------------------
  async function decide(decision) {
    const item = items[selected];
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
    const at = selected;
    items = items.filter((i) => i !== item);
    total = Math.max(0, total - 1);
    const record = { item, decision, state: 'sending', reference: null };
    decided.unshift(record);
    render();
    renderRecent();
    if (items.length < 3 && cursor) loadMore();
    try {
      await api(`/api/v1/reviews/${item.checkin.id}`, {
        method: 'POST',
        json: { decision, note: text },
      });
      record.state = 'saved';
      toast(
        decision === 'accept'
          ? `${item.employee.name}: ${STATUS.accepted}`
          : `${item.employee.name}: ${STATUS.rejected}`,
      );
    } catch (e) {
      decided.splice(decided.indexOf(record), 1);
      if (e instanceof ApiError && e.status === 409) {
        toast('Presensi ini sudah diputuskan verifikator lain.');
      } else {
        items = [...items.slice(0, at), item, ...items.slice(at)];
        total += 1;
        selected = at;
        render();
        toast(`Keputusan belum tersimpan: ${e.message}`);
      }
    }
    renderRecent();
  }

  async function useAsReference(record) {
    if (record.busy || record.reference) return;
    record.busy = true;
    try {
      const made = await api(`/api/v1/reviews/${record.item.checkin.id}/reference`, {
        method: 'POST',
      });
      record.reference = made;
      toast(
        made.created
          ? `Selfie ${record.item.employee.name} kini menjadi foto referensi.`
          : 'Selfie ini sudah menjadi foto referensi.',
      );
    } catch (e) {
      toast(`Belum menjadi foto referensi: ${e.message}`);
    } finally {
      record.busy = false;
    }
    renderRecent();
  }

  function lastAccepted() {
    return decided.find((d) => d.decision === 'accept' && d.state === 'saved' && !d.reference);
  }

  // --- keyboard --------------------------------------------------------------------------------
  function onKey(event) {
    if (app.route !== 'verifikasi' || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing =
      target instanceof HTMLElement &&
      (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable);
    if (typing) {
      // Every key is text here; Escape hands the keyboard back to the shortcuts.
      if (event.key === 'Escape') {
        event.preventDefault();
        target.blur();
      }
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const actions = {
      j: () => select(selected + 1),
      ArrowDown: () => select(selected + 1),
      k: () => select(selected - 1),
      ArrowUp: () => select(selected - 1),
      a: () => decide('accept'),
      t: () => decide('reject'),
      r: () => decide('reject'), // the desk's first shortcut, kept for hands that learnt it
      n: () => note && note.focus(),
      '/': () => note && note.focus(),
      f: () => {
        const record = lastAccepted();
        if (record) useAsReference(record);
        else toast('Belum ada presensi yang diterima untuk dijadikan foto referensi.');
      },
    };
    const act = actions[key];
    if (!act || (!items.length && key !== 'f')) return;
    // Handled here: the letter must not also land in the note that may take focus now, and
    // the arrows must not scroll the page.
    event.preventDefault();
    act();
  }
  document.addEventListener('keydown', onKey);

  loadUnits();
  load();
  return {
    el,
    refresh() {},
    destroy() {
      document.removeEventListener('keydown', onKey);
    },
  };
}
