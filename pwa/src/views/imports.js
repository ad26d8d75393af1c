// Bulk import for BKD and admins ("Impor data induk"): pick the kind and the file as the
// personnel system exports it, see the dry run (what would be created, updated, unchanged and
// every refused row with its reason), then apply the same file. New employees' one-time
// passwords are shown once, after the apply, and nowhere else.

import { api, ApiError } from '../api.js';
import { getSession } from '../outbox/store.js';
import { fetchWithTimeout } from '../outbox/sync.js';
import { clear, h } from '../ui.js';

const KINDS = [
  ['employees', 'Pegawai'],
  ['units', 'Unit kerja'],
  ['schedules', 'Jadwal kerja'],
  ['holidays', 'Hari libur'],
];
const TIMEOUT_MS = 180_000; // 20,000 employees take seconds on the server, more over 3G

export function importsView() {
  const kind = h(
    'select',
    { id: 'import-kind', name: 'kind' },
    KINDS.map(([value, label]) => h('option', { value }, label)),
  );
  const file = h('input', {
    id: 'import-file',
    name: 'file',
    type: 'file',
    accept: '.csv,.xlsx,.xls,.ods',
    required: true,
  });
  const sheet = h('input', { id: 'import-sheet', name: 'sheet', maxLength: 100 });
  const check = h('button', { class: 'btn primary big', type: 'submit' }, 'Periksa (uji coba)');
  const apply = h(
    'button',
    { class: 'btn big', type: 'button', id: 'import-apply', hidden: true },
    'Terapkan',
  );
  const error = h('p', { class: 'error', id: 'import-error', role: 'alert', hidden: true });
  const report = h('section', {
    class: 'card',
    id: 'import-report',
    'aria-live': 'polite',
    hidden: true,
  });
  let checked = null; // the kind and file of the last dry run: only those can be applied

  const form = h(
    'form',
    { class: 'card login', novalidate: true, 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, 'Impor data induk'),
    h(
      'p',
      { class: 'hint' },
      'Berkas CSV atau XLSX seperti diekspor dari sistem kepegawaian. Judul kolom dikenali ' +
        'menurut namanya; kolom lain diabaikan. Uji coba dulu, lalu terapkan.',
    ),
    h('label', { for: 'import-kind' }, 'Jenis data'),
    kind,
    h('label', { for: 'import-file' }, 'Berkas'),
    file,
    h('label', { for: 'import-sheet' }, 'Nama sheet (boleh kosong: sheet pertama)'),
    sheet,
    error,
    check,
    apply,
  );

  function reset() {
    checked = null;
    apply.hidden = true;
    report.hidden = true;
  }
  kind.addEventListener('change', reset);
  file.addEventListener('change', reset);
  sheet.addEventListener('input', reset);

  async function run(doApply) {
    error.hidden = true;
    const chosen = file.files && file.files[0];
    if (!chosen) {
      error.textContent = 'Pilih berkas CSV atau XLSX dulu.';
      error.hidden = false;
      file.focus();
      return;
    }
    const form = new FormData();
    form.append('file', chosen, chosen.name);
    const query = new URLSearchParams({ apply: doApply ? 'true' : 'false' });
    if (sheet.value.trim()) query.set('sheet', sheet.value.trim());
    const button = doApply ? apply : check;
    const label = button.textContent;
    check.disabled = apply.disabled = true;
    button.textContent = doApply ? 'Menerapkan…' : 'Memeriksa…';
    try {
      const answer = await api(`/api/v1/admin/imports/${kind.value}?${query}`, {
        method: 'POST',
        form,
        timeoutMs: TIMEOUT_MS,
      });
      show(answer);
      checked = doApply ? null : { kind: kind.value, file: chosen };
      apply.hidden = doApply || answer.rows === answer.refused.length;
    } catch (e) {
      error.textContent =
        e instanceof ApiError && e.status === 0
          ? 'Tidak ada koneksi ke server. Impor memerlukan sinyal.'
          : e.message;
      error.hidden = false;
    } finally {
      check.disabled = apply.disabled = false;
      button.textContent = label;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(false);
  });
  apply.addEventListener('click', () => {
    const chosen = file.files && file.files[0];
    if (!checked || checked.kind !== kind.value || checked.file !== chosen) {
      reset();
      return;
    }
    run(true);
  });

  function show(answer) {
    const counts = [
      ['Baris dibaca', answer.rows],
      [answer.applied ? 'Dibuat' : 'Akan dibuat', answer.created],
      [answer.applied ? 'Diperbarui' : 'Akan diperbarui', answer.updated],
      ['Tidak berubah', answer.unchanged],
      ['Ditolak', answer.refused.length],
    ];
    const parts = [
      h('h2', { id: 'import-result' }, answer.applied ? 'Hasil impor' : 'Hasil uji coba'),
      h(
        'p',
        { class: answer.applied ? 'notice' : 'hint' },
        answer.applied
          ? 'Data sudah disimpan. Baris yang ditolak tidak disimpan; perbaiki lalu impor lagi.'
          : 'Belum ada yang disimpan. Periksa baris yang ditolak, lalu tekan "Terapkan".',
      ),
      h(
        'dl',
        { class: 'facts', id: 'import-counts' },
        counts.map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))]),
      ),
    ];
    if (answer.refused.length) {
      parts.push(
        h('h3', null, 'Baris yang ditolak'),
        table(
          'import-refused',
          ['Baris', 'Kolom', 'Alasan'],
          answer.refused.map((r) => [String(r.row), r.column, r.reason]),
        ),
      );
    }
    if (answer.passwords && answer.passwords.length) {
      parts.push(
        h('h3', null, 'Kata sandi sementara pegawai baru'),
        h(
          'p',
          { class: 'notice', id: 'import-passwords-note' },
          'Hanya ditampilkan sekali ini. Catat atau cetak sekarang dan serahkan kepada ' +
            'masing-masing pegawai; mereka wajib menggantinya saat pertama masuk.',
        ),
        table(
          'import-passwords',
          ['NIP', 'Nama', 'Unit', 'Kata sandi'],
          answer.passwords.map((p) => [p.nip, p.name, p.unit, p.password]),
        ),
      );
      if (answer.handout) parts.push(handoutCard(answer.handout));
    }
    clear(report, parts);
    report.hidden = false;
  }

  const el = h('div', { class: 'screen' }, form, report);
  return { el, focus: () => kind.focus() };
}

// The printable handout (XLSX, a sheet per unit): each unit's page downloads once, then the
// server forgets those passwords; "Semua unit" takes every page not yet downloaded.
function handoutCard(handout) {
  const note = h('p', { class: 'hint', id: 'handout-note', 'aria-live': 'polite' });
  const until = new Date(handout.expires_at).toLocaleTimeString('id-ID', {
    hour: '2-digit',
    minute: '2-digit',
  });
  const buttons = [
    ...handout.units.map((u) => [
      `${u.name} (${u.people})`,
      `${handout.url}?unit=${encodeURIComponent(u.code)}`,
      `kata-sandi-awal-${u.code}.xlsx`,
    ]),
    ['Semua unit', handout.url, 'kata-sandi-awal-pegawai-baru.xlsx'],
  ].map(([label, url, name]) => {
    const button = h('button', { class: 'btn small', type: 'button' }, label);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const blob = await fetchFile(url);
        const href = URL.createObjectURL(blob);
        const link = h('a', { href, download: name, class: 'link' }, name);
        clear(note, 'Diunduh: ', link);
        link.click();
        setTimeout(() => URL.revokeObjectURL(href), 60_000);
      } catch (e) {
        note.textContent = e.message;
      }
    });
    return button;
  });
  return h(
    'div',
    { id: 'import-handout' },
    h('h3', null, 'Lembar kata sandi untuk dicetak (XLSX)'),
    h(
      'p',
      { class: 'hint' },
      `Satu lembar per unit, berisi petunjuk mengganti kata sandi. Tiap lembar hanya dapat ` +
        `diunduh sekali, paling lambat pukul ${until}; setelah itu kata sandi dihapus dari server.`,
    ),
    h('div', { class: 'row handout-buttons' }, buttons),
    note,
  );
}

// A file behind the bearer token: fetched here and handed to the browser as a Blob.
async function fetchFile(url) {
  const session = await getSession();
  if (!session || !session.token) throw new ApiError(401, 'Silakan masuk lagi');
  let response;
  try {
    response = await fetchWithTimeout(
      url,
      { headers: { Authorization: `Bearer ${session.token}` } },
      TIMEOUT_MS,
    );
  } catch {
    throw new ApiError(0, 'Tidak ada koneksi internet');
  }
  if (!response.ok) {
    let detail = `Server menjawab ${response.status}`;
    try {
      const body = await response.json();
      if (body && typeof body.detail === 'string') detail = body.detail;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, detail);
  }
  return response.blob();
}

function table(id, heads, rows) {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'data', id },
      h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c) => h('td', null, c))))),
    ),
  );
}
