// Rekap bulanan for BKD, admins, command and heads of unit: pick the unit (a school, an OPD with
// everything under it, or the whole regency) and the month, see it per employee, and download
// it as XLSX (recap, TPP deductions, PP 94/2021 standing) or CSV. A download is an export the
// server builds with a job: its progress (employees done of total) is shown until the file's
// short-lived link is ready. A regency too large to show at once is only downloaded.

import { api, ApiError } from '../api.js';
import { clear, h } from '../ui.js';

const POLL_MS = 1000;
const PERMIT_WORDS = {
  izin: 'Izin',
  sakit: 'Sakit',
  cuti_tahunan: 'Cuti tahunan',
  cuti_besar: 'Cuti besar',
  cuti_sakit: 'Cuti sakit',
  cuti_melahirkan: 'Cuti melahirkan',
  cuti_alasan_penting: 'Cuti alasan penting',
  dinas_luar: 'Dinas luar',
  tugas_belajar: 'Tugas belajar',
  izin_keluar_kantor: 'Izin keluar kantor',
};

function lastMonth() {
  const now = new Date();
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function count(days, prefix) {
  return [1, 2, 3, 4].reduce((sum, i) => sum + (days[`${prefix}${i}`] || 0), 0);
}

function permits(days) {
  const parts = Object.entries(days)
    .filter(([key, n]) => key.startsWith('permit:') && n > 0)
    .map(([key, n]) => `${PERMIT_WORDS[key.slice(7)] || key.slice(7)} ${n}`);
  return parts.length ? parts.join(', ') : '–';
}

function pct(value) {
  return `${Number(value).toLocaleString('id-ID', { maximumFractionDigits: 2 })}%`;
}

export function recapView() {
  let alive = true;
  let units = [];
  const unit = h('select', { id: 'recap-unit', name: 'unit' });
  const subtree = h('input', { id: 'recap-subtree', name: 'subtree', type: 'checkbox' });
  const month = h('input', {
    id: 'recap-month',
    name: 'month',
    type: 'month',
    value: lastMonth(),
    required: true,
  });
  const show = h(
    'button',
    { class: 'btn primary big', type: 'submit', id: 'recap-show' },
    'Tampilkan',
  );
  const xlsx = h('button', { class: 'btn big', type: 'button', id: 'recap-xlsx' }, 'Unduh XLSX');
  const csv = h('button', { class: 'btn big', type: 'button', id: 'recap-csv' }, 'Unduh CSV');
  const error = h('p', { class: 'error', id: 'recap-error', role: 'alert', hidden: true });
  const progressBar = h('progress', { id: 'recap-progress', max: 1, value: 0 });
  const progressText = h('p', { id: 'recap-progress-text', 'aria-live': 'polite' });
  const progress = h(
    'section',
    { class: 'card', id: 'recap-export', hidden: true, 'aria-labelledby': 'recap-export-title' },
    h('h2', { id: 'recap-export-title' }, 'Berkas rekap'),
    progressBar,
    progressText,
  );
  const result = h('section', {
    class: 'card',
    id: 'recap-result',
    'aria-live': 'polite',
    hidden: true,
  });

  const form = h(
    'form',
    { class: 'card recap-form', novalidate: true, 'aria-labelledby': 'recap-title' },
    h('h2', { id: 'recap-title' }, 'Rekap presensi bulanan'),
    h(
      'p',
      { class: 'hint' },
      'Pilih unit dan bulan. Berkas XLSX berisi rekap, potongan TPP, dan tingkat disiplin ' +
        'PP 94/2021; rekap besar disiapkan di server dan kemajuannya tampil di sini.',
    ),
    h(
      'div',
      { class: 'recap-fields' },
      h('div', null, h('label', { for: 'recap-unit' }, 'Unit kerja'), unit),
      h('div', null, h('label', { for: 'recap-month' }, 'Bulan'), month),
    ),
    h(
      'label',
      { class: 'check', for: 'recap-subtree' },
      subtree,
      ' Termasuk semua unit di bawahnya',
    ),
    error,
    h('div', { class: 'recap-actions' }, show, xlsx, csv),
  );

  function fail(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function words(e) {
    if (e instanceof ApiError && e.status === 0) {
      return 'Tidak ada koneksi ke server. Rekap memerlukan sinyal.';
    }
    // A regency too large to show at once: the server names the API; the screen the buttons.
    if (e instanceof ApiError && e.status === 422 && e.message.includes('/api/v1/recap/exports')) {
      return `${e.message.split(':')[0]}. Gunakan "Unduh XLSX" atau "Unduh CSV".`;
    }
    return e.message;
  }

  function chosen() {
    if (!unit.value) {
      fail('Pilih unit kerja dulu.');
      unit.focus();
      return null;
    }
    if (!/^\d{4}-\d{2}$/.test(month.value)) {
      fail('Pilih bulan (tahun dan bulan).');
      month.focus();
      return null;
    }
    fail('');
    return { unit: unit.value, month: month.value, subtree: subtree.checked };
  }

  async function loadUnits() {
    try {
      units = await api('/api/v1/recap/units');
    } catch (e) {
      fail(words(e));
      return;
    }
    clear(
      unit,
      units.map((u) =>
        h(
          'option',
          { value: u.code },
          `${'\u2003'.repeat(Math.min(u.depth, 4))}${u.name} (${u.staff_subtree} pegawai)`,
        ),
      ),
    );
    syncSubtree();
  }

  // A unit with units under it is recapped with them by default (an OPD with its schools).
  function syncSubtree() {
    const picked = units.find((u) => u.code === unit.value);
    const hasChildren = Boolean(picked && units.some((u) => u.parent === picked.code));
    subtree.disabled = !hasChildren;
    subtree.checked = hasChildren;
  }
  unit.addEventListener('change', () => {
    syncSubtree();
    result.hidden = true;
  });

  async function load() {
    const asked = chosen();
    if (!asked) return;
    show.disabled = true;
    const label = show.textContent;
    show.textContent = 'Memuat…';
    try {
      const query = new URLSearchParams({
        unit: asked.unit,
        month: asked.month,
        subtree: asked.subtree ? 'true' : 'false',
      });
      const recap = await api(`/api/v1/recap?${query}`, { timeoutMs: 120_000 });
      if (alive) render(recap);
    } catch (e) {
      fail(words(e));
      result.hidden = true;
    } finally {
      show.disabled = false;
      show.textContent = label;
    }
  }

  function render(recap) {
    const people = recap.employees;
    const sanctioned = people.filter((p) => p.discipline.level !== 'belum_ada').length;
    const average = people.length
      ? people.reduce((sum, p) => sum + p.deduction_pct, 0) / people.length
      : 0;
    const scope = recap.subtree ? ' beserta unit di bawahnya' : '';
    const rows = people.map((p) =>
      h(
        'tr',
        null,
        h('td', null, p.nip),
        h('td', null, p.name),
        h('td', null, p.unit_name || recap.unit_name),
        h('td', { class: 'num' }, String(p.days.present || 0)),
        h('td', { class: 'num', 'data-attested': p.nip }, String(p.days.attested || 0)),
        h('td', { class: 'num' }, `${count(p.days, 'TL')} / ${p.late_minutes}`),
        h('td', { class: 'num' }, `${count(p.days, 'PSW')} / ${p.early_minutes}`),
        h('td', null, permits(p.days)),
        h('td', { class: 'num' }, String(p.days.absent || 0)),
        h('td', { class: 'num' }, pct(p.deduction_pct)),
        h(
          'td',
          null,
          p.discipline.description,
          h('br'),
          h('small', { class: 'hint' }, `alpa ${p.absent_days_year} hari tahun ini`),
        ),
      ),
    );
    clear(result, [
      h('h2', { id: 'recap-result-title' }, `${recap.unit_name}${scope}, ${recap.month}`),
      h(
        'dl',
        { class: 'facts', id: 'recap-summary' },
        h('dt', null, 'Pegawai'),
        h('dd', null, String(people.length)),
        h('dt', null, 'Rata-rata potongan TPP'),
        h('dd', null, pct(average)),
        h('dt', null, 'Kena hukuman disiplin'),
        h('dd', null, `${sanctioned} pegawai`),
      ),
      people.length
        ? h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'data recap', id: 'recap-table' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  [
                    'NIP',
                    'Nama',
                    'Unit',
                    'Hadir',
                    'Hadir (atestasi)',
                    'TL (kali / menit)',
                    'PSW (kali / menit)',
                    'Izin dan cuti',
                    'Alpa',
                    'Potongan TPP',
                    'PP 94/2021',
                  ].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h('tbody', null, rows),
            ),
          )
        : h('p', { class: 'hint' }, 'Tidak ada pegawai aktif di unit ini.'),
    ]);
    result.hidden = false;
  }

  async function download(format, button) {
    const asked = chosen();
    if (!asked) return;
    xlsx.disabled = csv.disabled = true;
    progress.hidden = false;
    progressBar.removeAttribute('value'); // indeterminate until the job counts
    progressText.textContent = 'Meminta berkas…';
    try {
      let job = await api('/api/v1/recap/exports', {
        method: 'POST',
        json: { ...asked, format },
      });
      while (alive && (job.state === 'queued' || job.state === 'running')) {
        if (job.total > 0) {
          progressBar.max = job.total;
          progressBar.value = job.done;
          progressText.textContent = `Menyiapkan berkas: ${job.done} dari ${job.total} pegawai`;
        } else {
          progressText.textContent = 'Menunggu giliran di server…';
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        job = await api(`/api/v1/recap/exports/${job.id}`);
      }
      if (!alive) return;
      if (job.state !== 'done') throw new Error(`Berkas gagal dibuat: ${job.error || job.state}`);
      progressBar.max = Math.max(1, job.total);
      progressBar.value = job.total;
      // The link is signed and short-lived, of this origin: a plain link saves the file.
      const link = h(
        'a',
        { href: job.download_url, download: job.filename, id: 'recap-file', class: 'link' },
        job.filename,
      );
      clear(progressText, `Siap (${job.total} pegawai): `, link);
      link.click();
    } catch (e) {
      progressText.textContent = '';
      progress.hidden = true;
      fail(words(e));
    } finally {
      xlsx.disabled = csv.disabled = false;
      button.focus();
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  xlsx.addEventListener('click', () => download('xlsx', xlsx));
  csv.addEventListener('click', () => download('csv', csv));
  loadUnits();

  const el = h('div', { class: 'screen recap-screen' }, form, progress, result);
  return {
    el,
    focus: () => unit.focus(),
    destroy: () => {
      alive = false;
    },
  };
}
