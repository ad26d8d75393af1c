// "Kiosk wajah" (BKD and admins): register a face kiosk for one location and read its one-time
// activation code (shown this once), list the kiosks, revoke one. The tablet itself opens
// /#/kiosk and types the code (src/views/kiosk.js). Online only, opened from "Akun".

import { api, ApiError } from '../api.js';
import { h, momentText } from '../ui.js';

const STATES = {
  waiting: 'Menunggu aktivasi',
  expired: 'Kode kedaluwarsa',
  active: 'Aktif',
  revoked: 'Dicabut',
};

function words(e) {
  if (e instanceof ApiError && e.status === 0) return 'Tidak ada koneksi ke server.';
  return e.message;
}

export async function kiosksView() {
  const name = h('input', { id: 'kiosk-new-name', maxlength: 100, required: true });
  const search = h('input', { id: 'kiosk-location-search', type: 'search', placeholder: 'Cari lokasi' });
  const location = h('select', { id: 'kiosk-location', required: true });
  const error = h('p', { class: 'error', id: 'kiosk-admin-error', role: 'alert', hidden: true });
  const created = h('div', { class: 'notice', id: 'kiosk-created', role: 'status', hidden: true });
  const list = h('ol', { class: 'plain-list', id: 'kiosk-admin-list' });
  const submit = h('button', { class: 'btn big primary', type: 'submit', id: 'kiosk-register' }, 'Daftarkan kiosk');
  const form = h(
    'form',
    { class: 'card' },
    h('h2', null, 'Daftarkan kiosk wajah'),
    h(
      'p',
      { class: 'hint' },
      'Kiosk adalah tablet bersama di pintu kantor. Pegawai unit lokasi itu (dan yang dinas ' +
        'luar ke sana) presensi dengan wajah. Di tablet, buka alamat aplikasi ini dengan ' +
        'akhiran /#/kiosk lalu masukkan kode aktivasi.',
    ),
    h('label', { for: 'kiosk-new-name' }, 'Nama kiosk'),
    name,
    h('label', { for: 'kiosk-location-search' }, 'Lokasi'),
    search,
    location,
    submit,
    error,
  );
  const el = h(
    'div',
    { class: 'screen kiosks' },
    form,
    created,
    h('section', { class: 'card' }, h('h2', null, 'Kiosk terdaftar'), list),
  );

  async function findLocations() {
    try {
      const query = new URLSearchParams({ q: search.value.trim(), limit: '20' });
      const page = await api(`/api/v1/admin/locations?${query}`);
      location.replaceChildren(
        ...page.items.map((l) => h('option', { value: String(l.id) }, `${l.name} (${l.unit_name})`)),
      );
    } catch (e) {
      error.textContent = words(e);
      error.hidden = false;
    }
  }

  async function load() {
    try {
      const page = await api('/api/v1/kiosks?limit=50');
      list.replaceChildren(...page.items.map(row));
    } catch (e) {
      error.textContent = words(e);
      error.hidden = false;
    }
  }

  function row(kiosk) {
    const revoke =
      kiosk.state === 'revoked'
        ? null
        : h('button', { class: 'btn small danger', type: 'button' }, 'Cabut');
    if (revoke) {
      revoke.addEventListener('click', async () => {
        if (!confirm(`Cabut kiosk "${kiosk.name}"? Tablet itu tidak dapat dipakai lagi.`)) return;
        try {
          await api(`/api/v1/kiosks/${kiosk.id}/revoke`, { method: 'POST' });
          await load();
        } catch (e) {
          error.textContent = words(e);
          error.hidden = false;
        }
      });
    }
    const seen = kiosk.last_seen_at ? ` · terakhir aktif ${momentText(kiosk.last_seen_at)}` : '';
    return h(
      'li',
      { class: 'kiosk-row', 'data-id': String(kiosk.id), 'data-state': kiosk.state },
      h('strong', null, kiosk.name),
      ` · ${kiosk.location_name} · ${STATES[kiosk.state] || kiosk.state}${seen} `,
      revoke,
    );
  }

  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(findLocations, 300);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const answer = await api('/api/v1/kiosks', {
        method: 'POST',
        json: { name: name.value.trim(), location_id: Number(location.value) },
      });
      created.replaceChildren(
        h('p', null, `Kiosk "${answer.kiosk.name}" terdaftar di ${answer.kiosk.location_name}.`),
        h('p', null, 'Kode aktivasi (hanya ditampilkan sekali):'),
        h('p', { class: 'activation-code', id: 'kiosk-activation-code' }, answer.activation_code),
        h('p', { class: 'hint' }, `Berlaku sampai ${momentText(answer.code_expires_at)}.`),
      );
      created.hidden = false;
      name.value = '';
      await load();
    } catch (e) {
      error.textContent = words(e);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  findLocations();
  load();
  return { el };
}
