// "Survei kepuasan (IKM)": the SKM of a gerai for its supervisors, the unit head, BKD and
// command. Pick a gerai and a period (this year so far unless changed): the IKM with its grade,
// respondents against the minimum sample, each element's NRR (with the sum and count behind
// it), the citizens' comments page by page, and the XLSX report. Comments are whatever a
// citizen typed: they only ever reach the page as text nodes.

import { api, ApiError } from '../api.js';
import { getSession } from '../outbox/store.js';
import { fetchWithTimeout } from '../outbox/sync.js';
import { clear, h, s } from '../ui.js';

const PAGE = 20;
const REPORT_TIMEOUT_MS = 120_000;

const dec = (value) =>
  value === null || value === undefined ? '–' : String(value).replace('.', ',');

export async function ratingsView(app) {
  const gerai = h('select', { id: 'ikm-gerai', name: 'gerai' });
  const start = h('input', { id: 'ikm-from', name: 'from', type: 'date', required: true });
  const end = h('input', { id: 'ikm-to', name: 'to', type: 'date', required: true });
  const today = app.today();
  start.value = `${today.slice(0, 4)}-01-01`;
  end.value = today;
  const show = h('button', { class: 'btn primary big', type: 'submit' }, 'Tampilkan');
  const error = h('p', { class: 'error', id: 'ikm-error', role: 'alert', hidden: true });
  const summary = h('section', {
    class: 'card',
    id: 'ikm-summary',
    'aria-live': 'polite',
    hidden: true,
  });
  const comments = h('section', { class: 'card', id: 'ikm-comments', hidden: true });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'ikm-title' },
    h('h2', { id: 'ikm-title' }, 'Survei Kepuasan Masyarakat'),
    h('p', { class: 'hint' }, 'IKM menurut PermenPANRB 14/2017 dari penilaian warga di gerai.'),
    h('label', { for: 'ikm-gerai' }, 'Gerai'),
    gerai,
    h('label', { for: 'ikm-from' }, 'Dari tanggal'),
    start,
    h('label', { for: 'ikm-to' }, 'Sampai tanggal'),
    end,
    error,
    show,
  );
  const el = h('div', { class: 'screen' }, form, summary, comments);
  let names = {}; // element code -> name, from the gerai's questions
  let reportUrl = null;
  let token = 0;

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
  }
  function words(e) {
    if (e instanceof ApiError && e.status === 0) {
      return 'Tidak ada koneksi ke server. IKM memerlukan sinyal.';
    }
    if (e instanceof ApiError && e.status === 403) {
      return 'Anda tidak berhak membaca IKM gerai ini.';
    }
    return e.message;
  }

  try {
    const list = await api('/api/v1/gerai');
    if (!list.items.length) {
      fail('Tidak ada gerai yang dapat Anda lihat.');
      show.disabled = true;
    }
    gerai.replaceChildren(
      ...list.items.map((g) => h('option', { value: g.code }, `${g.name} (${g.code})`)),
    );
  } catch (e) {
    fail(words(e));
    show.disabled = true;
  }

  function query(extra = {}) {
    return new URLSearchParams({ gerai: gerai.value, from: start.value, to: end.value, ...extra });
  }

  async function load() {
    const mine = ++token;
    error.hidden = true;
    if (!start.value || !end.value || start.value > end.value) {
      fail('Periode tidak sah: tanggal awal harus sebelum atau sama dengan tanggal akhir.');
      return;
    }
    show.disabled = true;
    try {
      const [ikm, questions] = await Promise.all([
        api(`/api/v1/ratings/ikm?${query()}`),
        api(`/api/v1/public/gerai/${encodeURIComponent(gerai.value)}`, { auth: false }).catch(
          () => null,
        ),
      ]);
      if (mine !== token) return;
      const asked = (questions && questions.questions) || [];
      names = Object.fromEntries(asked.map((q) => [q.code, q.element]));
      renderSummary(ikm);
      clear(comments);
      comments.hidden = false;
      comments.append(h('h2', { id: 'ikm-comments-title' }, 'Saran dan komentar warga'));
      const list = h('ul', { class: 'list', id: 'ikm-comment-list' });
      comments.append(list);
      await more(list, null, mine);
    } catch (e) {
      if (mine === token) fail(words(e));
    } finally {
      show.disabled = false;
    }
  }

  function renderSummary(r) {
    const grade = r.grade ? `${r.grade} · ${r.label}` : 'Belum ada';
    const sample = `${r.respondents} dari minimal ${r.min_sample}`;
    const codes = Object.keys(r.elements).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    const download = h(
      'button',
      { class: 'btn big wide', type: 'button', id: 'ikm-report' },
      'Unduh laporan (XLSX)',
    );
    const saved = h('p', { class: 'hint', id: 'ikm-report-note', 'aria-live': 'polite' });
    download.addEventListener('click', () => report(download, saved));
    clear(
      summary,
      h('h2', null, gerai.selectedOptions[0] ? gerai.selectedOptions[0].textContent : gerai.value),
      h(
        'dl',
        { class: 'facts', id: 'ikm-facts' },
        h('dt', null, 'IKM'),
        h('dd', { id: 'ikm-value' }, dec(r.ikm)),
        h('dt', null, 'Mutu'),
        h('dd', { id: 'ikm-grade' }, grade),
        h('dt', null, 'Responden'),
        h('dd', { id: 'ikm-respondents' }, sample),
        h('dt', null, 'Sampel'),
        h(
          'dd',
          { id: 'ikm-sample', class: r.sample_reached ? 'tone-ok' : 'tone-warn' },
          r.sample_reached ? 'Sudah memenuhi sampel minimum' : 'Belum memenuhi sampel minimum',
        ),
        h('dt', null, 'Periode'),
        h('dd', null, `${r.start} s.d. ${r.end}`),
      ),
      r.ikm === null
        ? h('p', { class: 'hint' }, 'IKM dihitung setelah setiap unsur punya jawaban.')
        : null,
      h('h3', null, 'Nilai rata-rata (NRR) per unsur'),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'data', id: 'ikm-elements' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['Unsur', 'NRR', 'Jumlah / jawaban'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            codes.map((code) => {
              const e = r.elements[code];
              return h(
                'tr',
                { 'data-code': code },
                h('td', null, names[code] ? `${code} ${names[code]}` : code),
                h('td', null, dec(e.nrr), nrrBar(e.nrr)),
                h('td', null, `${e.sum} / ${e.count}`),
              );
            }),
          ),
        ),
      ),
      h('p', { class: 'hint' }, 'NRR dari 1 (tidak baik) sampai 4 (sangat baik).'),
      download,
      saved,
    );
    summary.hidden = false;
  }

  async function more(list, cursor, mine) {
    const params = query({ limit: String(PAGE) });
    if (cursor) params.set('cursor', cursor);
    const page = await api(`/api/v1/ratings/comments?${params}`);
    if (mine !== token) return;
    const old = comments.querySelector('#ikm-more');
    if (old) old.remove();
    for (const c of page.items) {
      list.append(
        h(
          'li',
          { class: 'item ikm-comment' },
          h('p', { class: 'comment-text' }, c.comment), // text, never HTML
          h('p', { class: 'hint' }, `${c.day} · ${c.service}`),
        ),
      );
    }
    if (!list.children.length) {
      list.append(h('li', { class: 'hint' }, 'Belum ada komentar pada periode ini.'));
    }
    if (page.next_cursor) {
      const button = h(
        'button',
        { class: 'btn big wide', type: 'button', id: 'ikm-more' },
        'Muat lagi',
      );
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          await more(list, page.next_cursor, mine);
        } catch (e) {
          button.disabled = false;
          fail(words(e));
        }
      });
      comments.append(button);
    }
  }

  // The report needs the bearer token, so a plain link cannot fetch it: it is fetched here and
  // handed to the browser as a Blob URL to save.
  async function report(button, note) {
    button.disabled = true;
    note.textContent = 'Menyiapkan laporan…';
    try {
      const session = await getSession();
      if (!session || !session.token) throw new ApiError(401, 'Silakan masuk lagi');
      let response;
      try {
        response = await fetchWithTimeout(
          `/api/v1/ratings/report.xlsx?${query()}`,
          { headers: { Authorization: `Bearer ${session.token}` } },
          REPORT_TIMEOUT_MS,
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
      const blob = await response.blob();
      if (reportUrl) URL.revokeObjectURL(reportUrl);
      reportUrl = URL.createObjectURL(blob);
      const name = `ikm-${gerai.value}-${start.value}-${end.value}.xlsx`;
      const link = h(
        'a',
        { href: reportUrl, download: name, id: 'ikm-report-link', class: 'link' },
        name,
      );
      clear(note, 'Laporan siap: ', link);
      link.click();
    } catch (e) {
      note.textContent = words(e);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  if (gerai.options.length) load();

  return {
    el,
    focus: () => gerai.focus(),
    destroy: () => {
      token++;
      if (reportUrl) URL.revokeObjectURL(reportUrl);
    },
  };
}

function nrrBar(nrr) {
  // Width as an attribute (the CSP blocks inline style): NRR 1..4 on a 0..4 scale.
  const value = nrr === null || nrr === undefined ? 0 : Number(nrr);
  const svg = s('svg', {
    class: 'meter',
    viewBox: '0 0 100 6',
    preserveAspectRatio: 'none',
    'aria-hidden': 'true',
  });
  svg.append(s('rect', { x: 0, y: 0, width: 100, height: 6, class: 'meter-bg' }));
  svg.append(
    s('rect', {
      x: 0,
      y: 0,
      width: Math.round((value / 4) * 1000) / 10,
      height: 6,
      class: 'meter-fill',
    }),
  );
  return svg;
}
