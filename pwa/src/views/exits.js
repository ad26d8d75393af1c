// "Keluar kantor tanpa izin": staff seen by an exit camera leaving in working hours with no
// approved izin keluar kantor or dinas luar (GET /api/v1/cctv/exits), for the head of unit (their
// own staff), BKD and admins. Newest first, a page at a time. Each item is evidence to be
// confirmed, never a sanction: the screen says so, and states the UU PDP purpose the server
// sends. Every image link is short-lived and its opening is logged on the server.
// Opened from "Akun" and from the push notification (/#/keluar-kantor).

import { api, ApiError } from '../api.js';
import { h } from '../ui.js';

const PAGE = 20;

// Indonesia's three zones by their everyday names; any other zone by the browser's short name.
const ZONES = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

// The server's certainty (backend/cctv/exits.py `certainty`) in words for the head of unit.
const CERTAINTY = {
  tinggi: 'Wajah sangat mirip',
  sedang: 'Wajah cukup mirip',
  rendah: 'Wajah agak mirip — periksa gambarnya',
};

export function when(iso, timeZone) {
  const zone = timeZone || 'Asia/Jakarta';
  const text = new Intl.DateTimeFormat('id-ID', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: zone,
    timeZoneName: ZONES[zone] ? undefined : 'short',
  }).format(new Date(iso));
  return ZONES[zone] ? `${text} ${ZONES[zone]}` : text;
}

// Only the time of day (the sightings of one event are minutes apart), named like `when`.
export function clock(iso, timeZone) {
  const zone = timeZone || 'Asia/Jakarta';
  const text = new Intl.DateTimeFormat('id-ID', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: zone,
    timeZoneName: ZONES[zone] ? undefined : 'short',
  }).format(new Date(iso));
  return ZONES[zone] ? `${text} ${ZONES[zone]}` : text;
}

function decimal(value) {
  return value.toFixed(2).replace('.', ',');
}

export async function exitsView(app) {
  const roles = (app.session && app.session.user && app.session.user.roles) || [];
  // Numbers are for BKD and admins, who know the thresholds; the head of unit reads words.
  const numbers = roles.includes('bkd') || roles.includes('admin');
  const purpose = h('p', { class: 'exit-purpose', id: 'exit-purpose' });
  const error = h('p', { class: 'error', id: 'exit-error', role: 'alert', hidden: true });
  const empty = h(
    'p',
    { class: 'hint', id: 'exit-empty', hidden: true },
    'Belum ada pegawai yang terlihat keluar kantor tanpa izin.',
  );
  const list = h('ol', { class: 'exit-list', id: 'exit-list', 'aria-live': 'polite' });
  const more = h(
    'button',
    { class: 'btn big wide', type: 'button', id: 'exit-more', hidden: true },
    'Muat berikutnya',
  );
  const el = h(
    'div',
    { class: 'screen exits' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'exit-title' },
      h('h2', { id: 'exit-title' }, 'Keluar kantor tanpa izin'),
      purpose,
      h(
        'p',
        { class: 'notice', id: 'exit-evidence' },
        'Ini bukti pendukung dari kamera CCTV, bukan sanksi. Pastikan dulu kepada pegawai ' +
          'yang bersangkutan: mungkin ia membawa surat tugas atau izin yang belum tercatat.',
      ),
    ),
    empty,
    list,
    error, // beside the button that failed, on any page
    more,
  );

  let cursor = null;
  let loading = false;

  function words(e) {
    if (e instanceof ApiError && e.status === 0) {
      return 'Tidak ada koneksi ke server. Daftar ini memerlukan sinyal.';
    }
    if (e instanceof ApiError && e.status === 403) {
      return 'Anda tidak berhak melihat daftar ini.';
    }
    return e.message;
  }

  function item(event) {
    const person = event.employee;
    const tz = person.timezone || app.timezone();
    const figure = h(
      'figure',
      { class: 'exit-photo' },
      event.image_url
        ? h('img', {
            src: event.image_url,
            alt: `CCTV ${event.camera_name}: ${person.name || 'pegawai'} keluar`,
            width: 320,
            height: 180,
            loading: 'lazy',
            decoding: 'async',
          })
        : h('div', { class: 'no-photo' }, 'Gambar sudah dihapus (masa simpan habis)'),
      h('figcaption', null, `${event.camera_name} (${event.camera_code})`),
    );
    const sightings =
      event.sightings > 1
        ? `Terlihat ${event.sightings} kali, terakhir pukul ${clock(event.last_seen_at, tz)}`
        : 'Terlihat 1 kali';
    const facts = [
      ['Waktu', when(event.seen_at, tz)],
      ['Unit kerja', person.unit_name || '–'],
      ['Kecocokan', CERTAINTY[event.certainty] || CERTAINTY.sedang],
      ['Tangkapan', sightings],
    ];
    return h(
      'li',
      { class: 'card exit-item', 'data-id': String(event.id) },
      figure,
      h(
        'div',
        { class: 'exit-body' },
        h('h3', { class: 'exit-name' }, person.name || 'Pegawai tidak dikenal'),
        h('p', { class: 'hint exit-nip' }, `NIP ${person.nip || '–'}`),
        h(
          'dl',
          { class: 'facts' },
          facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
        ),
        numbers
          ? h(
              'p',
              { class: 'exit-numbers' },
              `jarak ${decimal(event.distance)}` +
                (event.margin === null || event.margin === undefined
                  ? ' · tanpa pembanding'
                  : ` · selisih ${decimal(event.margin)}`),
            )
          : null,
      ),
    );
  }

  async function load() {
    if (loading) return;
    loading = true;
    more.disabled = true;
    error.hidden = true;
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) query.set('cursor', cursor);
      const page = await api(`/api/v1/cctv/exits?${query}`);
      purpose.textContent = `Tujuan pemrosesan (UU PDP): ${page.purpose}.`;
      list.append(...page.items.map(item));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
    } catch (e) {
      error.textContent = words(e);
      error.hidden = false;
    } finally {
      loading = false;
      more.disabled = false;
    }
  }

  more.addEventListener('click', load);
  await load();
  return { el };
}
