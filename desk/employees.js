// Accounts for admins ("Kelola pegawai"): find an employee, change active, roles and unit
// (sessions end where they must: the server decides), reset a password (the one-time password
// is shown once, here), and read the employee's audit trail.

import { api } from '/src/api.js';
import { clear, h, momentText } from '/src/ui.js';
import { deskStyles } from './desk.js';
import { employeeFinder } from './faces.js';

const ROLES = [
  ['asn', 'ASN'],
  ['kepala_unit', 'Kepala unit'],
  ['bkd', 'BKD'],
  ['command', 'Command center'],
  ['admin', 'Admin'],
];
const ACTIONS = {
  'employee.update': 'Data akun diubah',
  'employee.password_reset': 'Kata sandi direset',
  'face.enrol': 'Foto referensi ditambah',
  'face.remove': 'Foto referensi dihapus',
  'face.enrol_from_review': 'Foto referensi dari presensi',
  'admin.update': 'Diubah lewat /admin/',
  'admin.create': 'Dibuat lewat /admin/',
};

function shown(value) {
  if (value === null || value === undefined) return '–';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'ya' : 'tidak';
  return String(value);
}

// What changed between before and after, one line per field.
function changes(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => k !== 'token_version' && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  return keys.map((k) => `${k}: ${shown(before[k])} → ${shown(after[k])}`).join('; ');
}

export function employeesView(app) {
  deskStyles();
  let employee = null;
  const finder = employeeFinder({
    id: 'emp',
    title: 'Kelola pegawai',
    hint: 'Cari pegawai untuk mengubah status aktif, peran, unit, atau mereset kata sandi.',
    onPick: (e) => pick(e),
  });
  const panel = h('section', { class: 'card', id: 'emp-panel', hidden: true });
  const heading = h('h2', { id: 'emp-name' });
  const active = h('input', { id: 'emp-active', type: 'checkbox', class: 'check' });
  const roleBoxes = ROLES.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', class: 'check', id: `emp-role-${value}`, value });
    return { value, box, el: h('label', { class: 'inline', for: `emp-role-${value}` }, box, ` ${label}`) };
  });
  const unit = h('input', { id: 'emp-unit', maxLength: 40, autocomplete: 'off' });
  const save = h('button', { class: 'btn primary', type: 'submit', id: 'emp-save' }, 'Simpan perubahan');
  const message = h('p', { id: 'emp-message', role: 'status', hidden: true });
  const reset = h('button', { class: 'btn danger', type: 'button', id: 'emp-reset' }, 'Reset kata sandi');
  const otp = h('div', { id: 'emp-otp', hidden: true });
  const trail = h('div', { id: 'emp-trail', 'aria-live': 'polite' });
  const form = h(
    'form',
    { novalidate: true },
    h('label', { class: 'inline', for: 'emp-active' }, active, ' Akun aktif'),
    h('fieldset', { class: 'roles' }, h('legend', null, 'Peran'), roleBoxes.map((r) => r.el)),
    h('label', { for: 'emp-unit' }, 'Kode unit kerja'),
    unit,
    save,
  );
  panel.append(
    heading,
    h('p', { class: 'hint', id: 'emp-unit-name' }),
    form,
    message,
    h('h3', null, 'Kata sandi'),
    h('p', { class: 'hint' }, 'Kata sandi sementara hanya ditampilkan sekali; pegawai wajib menggantinya saat masuk.'),
    reset,
    otp,
    h('h3', null, 'Riwayat perubahan'),
    trail,
  );

  function say(text, tone) {
    message.textContent = text;
    message.className = tone === 'bad' ? 'error' : 'notice';
    message.hidden = false;
  }

  function fill(account) {
    employee = account;
    heading.textContent = `${account.name} · ${account.nip}`;
    panel.querySelector('#emp-unit-name').textContent = account.unit_name
      ? `${account.unit_name} · ${account.position || ''}`
      : `Unit ${account.unit}`;
    active.checked = account.active;
    for (const r of roleBoxes) r.box.checked = account.roles.includes(r.value);
    unit.value = account.unit;
    const own = app.session.user.nip === account.nip;
    reset.disabled = own; // one's own password is changed with the old one, under "Akun"
  }

  async function loadTrail() {
    clear(trail, h('p', { class: 'hint' }, 'Memuat…'));
    try {
      const page = await api(`/api/v1/admin/employees/${employee.nip}/audit?limit=50`);
      if (!page.items.length) {
        clear(trail, h('p', { class: 'hint', id: 'emp-trail-empty' }, 'Belum ada perubahan tercatat.'));
        return;
      }
      clear(
        trail,
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'data', id: 'emp-trail-table' },
            h('thead', null, h('tr', null, ['Waktu', 'Oleh', 'Tindakan', 'Perubahan'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              null,
              page.items.map((e) =>
                h(
                  'tr',
                  { 'data-action': e.action },
                  h('td', null, momentText(e.at)),
                  h('td', null, e.actor_name || e.actor),
                  h('td', null, ACTIONS[e.action] || e.action),
                  h('td', null, changes(e)),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      clear(trail, h('p', { class: 'error' }, e.message));
    }
  }

  async function pick(e) {
    message.hidden = true;
    otp.hidden = true;
    fill(e);
    panel.hidden = false;
    await loadTrail();
    panel.scrollIntoView({ block: 'start' });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const patch = {};
    if (active.checked !== employee.active) patch.active = active.checked;
    const roles = roleBoxes.filter((r) => r.box.checked).map((r) => r.value);
    if (roles.join() !== employee.roles.join()) patch.roles = roles;
    if (unit.value.trim() !== employee.unit) patch.unit = unit.value.trim();
    if (!Object.keys(patch).length) {
      say('Tidak ada yang diubah.', 'ok');
      return;
    }
    save.disabled = true;
    try {
      const account = await api(`/api/v1/admin/employees/${employee.nip}`, { method: 'PATCH', json: patch });
      fill({ ...employee, ...account, unit_name: account.unit === employee.unit ? employee.unit_name : null });
      say('Perubahan disimpan. Sesi pegawai di perangkat lain berakhir bila status, peran, atau unit berubah.', 'ok');
      await loadTrail();
    } catch (e) {
      say(e.message, 'bad');
    } finally {
      save.disabled = false;
    }
  });

  reset.addEventListener('click', async () => {
    if (reset.dataset.confirm !== 'yes') {
      reset.dataset.confirm = 'yes';
      reset.textContent = 'Yakin reset kata sandi?';
      return;
    }
    reset.disabled = true;
    try {
      const answer = await api(`/api/v1/admin/employees/${employee.nip}/password-reset`, { method: 'POST' });
      clear(
        otp,
        h('p', { class: 'notice' }, 'Kata sandi sementara (hanya ditampilkan sekali ini; serahkan kepada pegawai):'),
        h('p', { class: 'otp', id: 'emp-otp-value' }, answer.one_time_password),
      );
      otp.hidden = false;
      await loadTrail();
    } catch (e) {
      say(e.message, 'bad');
    } finally {
      reset.disabled = false;
      delete reset.dataset.confirm;
      reset.textContent = 'Reset kata sandi';
    }
  });

  const el = h('div', { class: 'screen desk' }, finder.el, panel);
  return { el, focus: finder.focus };
}
