// Papan: the command board (command, BKD) on a wall at 1920×1080 and on a phone, live over
// Server-Sent Events; and Hari ini, a head of unit's staff today with a reminder button.
//
// The stream is read with fetch, not EventSource: the API wants the bearer token in a header,
// which EventSource cannot send (and a token in the URL would end up in logs). Charts are plain
// SVG built element by element; nothing here parses a string as HTML.

import { api, ApiError } from '../api.js';
import { getSession } from '../outbox/store.js';
import { clear, dayName, h, s, timeIn, toast } from '../ui.js';

const RETRY_MS = [1000, 2000, 5000, 10000, 30000];
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
};
const WEEKDAYS = ['Sen', 'Sel', 'Rab', 'Kam', 'Jum', 'Sab', 'Min'];
const GERAI_STATE = { open: 'Buka', empty: 'Kosong', closed: 'Tutup' };
const STAFF_STATE = {
  in: 'Hadir',
  late: 'Terlambat',
  attested: 'Hadir (atestasi)',
  permit: 'Izin',
  absent: 'Tanpa keterangan',
  not_yet_in: 'Belum hadir',
  off: 'Libur',
};

const pct = (share) => `${Math.round(share * 100)}%`;
const num = (n) => new Intl.NumberFormat('id-ID').format(n);

// --- the stream ----------------------------------------------------------------------------------

// Reads `path` as an event stream until `signal` aborts, calling onState with each `board`
// event's state and onStatus with 'live' | 'retry'; reconnects with backoff.
export async function readStream(path, onState, onStatus, signal) {
  let attempt = 0;
  while (!signal.aborted) {
    try {
      const session = await getSession();
      if (!session || !session.token) return;
      const response = await fetch(path, {
        headers: { Accept: 'text/event-stream', Authorization: `Bearer ${session.token}` },
        cache: 'no-store',
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = /\r?\n\r?\n/.exec(buffer))) {
          const frame = buffer.slice(0, end.index);
          buffer = buffer.slice(end.index + end[0].length);
          const event = parseFrame(frame);
          if (event.type === 'board' && event.data) {
            attempt = 0;
            onStatus('live');
            onState(JSON.parse(event.data));
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    onStatus('retry');
    const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    attempt += 1;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function parseFrame(frame) {
  const event = { type: 'message', data: '' };
  const data = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith('event:')) event.type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  event.data = data.join('\n');
  return event;
}

// --- charts (plain SVG) ----------------------------------------------------------------------

function barChart({ id, title, values, labels, max = 1, format = pct, tone = 'bar-ok' }) {
  const width = 600;
  const height = 180;
  const pad = { left: 36, right: 8, top: 12, bottom: 28 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const step = plotW / Math.max(values.length, 1);
  const svg = s('svg', {
    id,
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': title,
    preserveAspectRatio: 'none',
  });
  for (const tick of [0, 0.5, 1]) {
    const y = pad.top + plotH - tick * plotH;
    svg.append(s('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }));
    svg.append(s('text', { x: pad.left - 4, y: y + 4, class: 'axis', 'text-anchor': 'end' }, format(tick * max)));
  }
  values.forEach((value, i) => {
    const barH = max ? (Math.min(value, max) / max) * plotH : 0;
    const x = pad.left + i * step + step * 0.15;
    const rect = s('rect', {
      x,
      y: pad.top + plotH - barH,
      width: Math.max(step * 0.7, 1),
      height: barH,
      class: tone,
    });
    rect.append(s('title', null, `${labels[i]}: ${format(value)}`));
    svg.append(rect);
    const every = Math.ceil(values.length / 10);
    if (i % every === 0 || values.length <= 10) {
      svg.append(
        s('text', { x: x + step * 0.35, y: height - 8, class: 'axis', 'text-anchor': 'middle' }, labels[i]),
      );
    }
  });
  return svg;
}

function shareBar(share) {
  // An SVG bar: its width is an attribute, which the CSP allows (an inline style it would not).
  const svg = s('svg', {
    class: 'meter',
    viewBox: '0 0 100 6',
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': `${pct(share)} hadir`,
  });
  svg.append(s('rect', { x: 0, y: 0, width: 100, height: 6, class: 'meter-bg' }));
  svg.append(s('rect', { x: 0, y: 0, width: Math.round(share * 1000) / 10, height: 6, class: 'meter-fill' }));
  return svg;
}

// --- the board ---------------------------------------------------------------------------------

export function boardView(app) {
  const roles = (app.session && app.session.user.roles) || [];
  if (!roles.includes('command') && !roles.includes('bkd')) return todayView(app);
  const controller = new AbortController();
  let state = null;
  let root = null; // the unit drilled into; null: the Pemda
  const live = h('p', { class: 'live', id: 'board-live', role: 'status' }, 'Menyambung…');
  const crumbs = h('nav', { class: 'crumbs', id: 'board-crumbs', 'aria-label': 'Tingkat unit' });
  const summary = h('section', { class: 'card board-summary', id: 'board-summary', 'aria-label': 'Ringkasan' });
  const units = h('section', { class: 'card', id: 'board-units', 'aria-labelledby': 'units-title' });
  const watch = h('section', { class: 'card', id: 'board-watch', 'aria-labelledby': 'watch-title' });
  const trends = h('section', { class: 'card', id: 'board-trends', 'aria-labelledby': 'trends-title' });
  const gerai = h('section', { class: 'card', id: 'board-gerai', 'aria-labelledby': 'gerai-title' });
  const own = roles.includes('kepala_unit')
    ? h('p', null, h('a', { href: '#/papan', id: 'board-own', onclick: openOwn }, 'Lihat staf unit saya hari ini'))
    : null;
  const el = h(
    'div',
    { class: 'screen board', id: 'board' },
    h('div', { class: 'board-head' }, h('h2', null, 'Papan presensi'), live),
    crumbs,
    own,
    h('div', { class: 'board-grid' }, summary, units, watch, trends, gerai),
  );

  function openOwn(event) {
    event.preventDefault();
    controller.abort();
    el.replaceWith(todayView(app).el);
  }

  function byCode() {
    return new Map(state.units.map((u) => [u.code, u]));
  }

  function render() {
    if (!state) return;
    const map = byCode();
    const current = (root && map.get(root)) || state.units[0];
    if (!current) return;
    const path = [];
    for (let u = current; u; u = u.parent ? map.get(u.parent) : null) path.unshift(u);
    clear(
      crumbs,
      ...path.flatMap((u, i) => [
        i ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '›') : null,
        i === path.length - 1
          ? h('span', { 'aria-current': 'page' }, u.name)
          : h('button', { type: 'button', class: 'link', onclick: () => drill(u.parent ? u.code : null) }, u.name),
      ]),
    );
    renderSummary(current);
    const children = state.units.filter((u) => u.parent === current.code);
    clear(
      units,
      h('h2', { id: 'units-title' }, children.length ? `Unit di bawah ${current.name}` : current.name),
      children.length
        ? h('ul', { class: 'unit-list' }, ...children.map(unitRow))
        : h('p', { class: 'hint' }, 'Tidak ada unit di bawahnya.'),
    );
    renderWatch(subtree(current.code));
    renderTrends();
    renderGerai();
  }

  function renderSummary(u) {
    const permits = Object.entries(u.permits || {}).map(
      ([kind, n]) => `${PERMIT_WORDS[kind] || kind} ${num(n)}`,
    );
    clear(
      summary,
      h('h2', null, `${u.name} · ${dayName(u.date)}`),
      h(
        'div',
        { class: 'figures' },
        figure('Hadir', u.present, 'fig-ok', `${pct(u.share_present)} dari ${num(u.expected)}`),
        figure('Terlambat', u.late, 'fig-warn'),
        figure('Atestasi', u.attested || 0, 'fig-muted', 'hadir tanpa sinyal, dari kepala unit'),
        figure('Pulang cepat', u.early, 'fig-warn'),
        figure('Izin/cuti', u.permit, 'fig-muted', permits.join(', ')),
        figure('Tanpa keterangan', u.absent, 'fig-bad'),
        figure('Belum hadir', u.not_yet_in, 'fig-muted'),
      ),
      shareBar(u.share_present),
      h('div', { class: 'row' }, teguranButton(u)),
    );
  }

  function figure(label, value, tone, note) {
    return h(
      'div',
      { class: `figure ${tone}` },
      h('span', { class: 'figure-n' }, num(value)),
      h('span', { class: 'figure-label' }, label),
      note ? h('span', { class: 'figure-note' }, note) : null,
    );
  }

  function unitRow(u) {
    const hasChildren = state.units.some((c) => c.parent === u.code);
    return h(
      'li',
      { class: 'unit-row', 'data-unit': u.code },
      h(
        'button',
        { type: 'button', class: 'unit-open', onclick: () => drill(u.code), 'aria-label': `${u.name}: ${pct(u.share_present)} hadir${hasChildren ? ', buka' : ''}` },
        h('span', { class: 'unit-name' }, u.name),
        h(
          'span',
          { class: 'unit-figs' },
          `${num(u.present)}/${num(u.expected)} hadir · ${num(u.late)} TL · ${num(u.absent)} alpa · ${num(u.not_yet_in)} belum`,
        ),
        shareBar(u.share_present),
      ),
    );
  }

  function drill(code) {
    root = code;
    render();
    el.querySelector('#board-summary h2')?.focus?.();
  }

  // The codes of a unit and every unit under it: the watch list follows the drill-down.
  function subtree(code) {
    const codes = new Set([code]);
    for (const u of state.units) if (u.parent && codes.has(u.parent)) codes.add(u.code);
    return codes;
  }

  function renderWatch(codes) {
    const rows = state.watch.filter((w) => codes.has(w.unit)).map((w) => {
      const next = w.discipline.next_threshold;
      return h(
        'li',
        { class: 'watch-row', 'data-nip': w.nip },
        h('div', { class: 'watch-who' }, h('strong', null, w.name), h('span', { class: 'hint' }, ` ${w.unit}`)),
        h(
          'div',
          { class: 'watch-figs' },
          `${num(w.late_days)} hari terlambat · ${num(w.absent_days)} hari alpa (30 hari) · ${num(w.absent_days_year)} alpa tahun ini`,
        ),
        h(
          'div',
          { class: 'watch-pp' },
          `PP 94/2021: ${w.discipline.description}`,
          next !== null
            ? h('span', { class: next <= 1 ? 'chip chip-flagged' : 'chip' }, `${next} hari lagi ke tingkat berikutnya`)
            : null,
        ),
      );
    });
    clear(
      watch,
      h('h2', { id: 'watch-title' }, 'Sering terlambat atau alpa (30 hari)'),
      rows.length
        ? h('ol', { class: 'watch-list' }, ...rows)
        : h('p', { class: 'hint' }, 'Belum ada yang sering terlambat atau alpa.'),
    );
  }

  function renderTrends() {
    const days = state.presence_30d;
    const weekdays = state.late_by_weekday.filter((w) => w.weekday <= 6 || w.present);
    clear(
      trends,
      h('h2', { id: 'trends-title' }, 'Tren'),
      h('h3', null, 'Kehadiran per hari (30 hari)'),
      barChart({
        id: 'chart-presence',
        title: 'Persentase hadir per hari, 30 hari terakhir',
        values: days.map((d) => d.share_present),
        labels: days.map((d) => d.date.slice(8, 10)),
      }),
      h('h3', null, 'Keterlambatan per hari dalam pekan'),
      barChart({
        id: 'chart-weekday',
        title: 'Persentase terlambat per hari dalam pekan',
        values: weekdays.map((w) => w.share_late),
        labels: weekdays.map((w) => WEEKDAYS[w.weekday - 1]),
        max: Math.max(0.2, ...weekdays.map((w) => w.share_late)),
        tone: 'bar-warn',
      }),
    );
  }

  function renderGerai() {
    clear(
      gerai,
      h('h2', { id: 'gerai-title' }, 'Gerai Mal Pelayanan Publik'),
      state.gerai.length
        ? h(
            'ul',
            { class: 'gerai-list' },
            ...state.gerai.map((g) =>
              h(
                'li',
                {
                  class: `gerai gerai-${g.state}${g.thumbnail ? ' gerai-with-thumb' : ''}`,
                  'data-gerai': g.code,
                },
                // The latest CCTV snapshot: a short-lived link made for this viewer (the
                // stream renews it); none where the gerai has no camera or no picture yet.
                g.thumbnail
                  ? h(
                      'figure',
                      { class: 'gerai-thumb' },
                      h('img', {
                        src: g.thumbnail,
                        alt: `Foto CCTV terakhir ${g.name}`,
                        width: 160,
                        height: 90,
                        loading: 'lazy',
                        decoding: 'async',
                      }),
                      g.thumbnail_at
                        ? h('figcaption', { class: 'hint' }, `CCTV ${timeIn(g.thumbnail_at)}`)
                        : null,
                    )
                  : null,
                h(
                  'div',
                  { class: 'gerai-text' },
                  h('strong', null, g.name),
                  h('span', { class: 'hint' }, ` ${g.agency}`),
                  h('span', { class: 'chip' }, GERAI_STATE[g.state] || g.state),
                  g.load !== null ? h('span', null, ` antrean ${num(g.load)}`) : null,
                  g.ikm !== null
                    ? h('span', null, ` IKM ${g.ikm.toFixed(2).replace('.', ',')}`)
                    : null,
                  g.alert ? h('p', { class: 'error' }, g.alert) : null,
                  g.queue_alert ? h('p', { class: 'error gerai-queue' }, g.queue_alert) : null,
                ),
              ),
            ),
          )
        : h('p', { class: 'hint' }, 'Belum ada data gerai.'),
    );
  }

  function teguranButton(u) {
    return h(
      'button',
      { type: 'button', class: 'btn', id: 'teguran-open', onclick: () => openTeguran(u) },
      `Kirim teguran ke kepala ${u.name}`,
    );
  }

  function openTeguran(u) {
    const message = h('textarea', { id: 'teguran-message', maxLength: 1000, required: true });
    const kind = h(
      'select',
      { id: 'teguran-kind' },
      h('option', { value: 'teguran' }, 'Teguran'),
      h('option', { value: 'catatan' }, 'Catatan'),
    );
    const hint = h('p', { class: 'hint', id: 'teguran-hint', 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'btn primary' }, 'Kirim');
    const form = h(
      'form',
      { class: 'card teguran-form', id: 'teguran-form' },
      h('h2', null, `Teguran untuk kepala ${u.name}`),
      h('label', { for: 'teguran-kind' }, 'Jenis'),
      kind,
      h('label', { for: 'teguran-message' }, 'Pesan'),
      message,
      hint,
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'btn', onclick: () => form.remove() }, 'Batal'), send),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!message.value.trim()) {
        hint.textContent = 'Tulis pesannya.';
        message.focus();
        return;
      }
      send.disabled = true;
      try {
        const answer = await api('/api/v1/board/teguran', {
          method: 'POST',
          json: { kind: kind.value, message: message.value.trim(), unit: u.code },
        });
        toast(`Terkirim ke ${answer.sent.map((t) => t.recipient_name).join(', ')}`);
        form.remove();
      } catch (e) {
        hint.textContent = e instanceof ApiError ? e.message : 'Gagal mengirim';
        send.disabled = false;
      }
    });
    el.querySelector('#teguran-form')?.remove();
    summary.after(form);
    message.focus();
  }

  readStream(
    '/api/v1/board/stream',
    (next) => {
      state = next;
      render();
    },
    (status) => {
      live.textContent = status === 'live' ? 'Langsung · diperbarui otomatis' : 'Menyambung ulang…';
      live.className = status === 'live' ? 'live live-on' : 'live';
    },
    controller.signal,
  );

  return { el, destroy: () => controller.abort() };
}

// --- a head of unit's today ----------------------------------------------------------------

export function todayView(app) {
  const tz = app.timezone();
  const status = h('p', { class: 'hint', id: 'today-status', 'aria-live': 'polite' }, 'Memuat…');
  const head = h('section', { class: 'card', id: 'today-head' }, status);
  const staff = h('section', { class: 'card', id: 'today-staff', 'aria-labelledby': 'staff-title' });
  const month = h('section', { class: 'card', id: 'today-month', 'aria-labelledby': 'month-title' });
  const inbox = h('section', { class: 'card', id: 'teguran-inbox', 'aria-labelledby': 'inbox-title' });
  const decided = h('section', { class: 'card', id: 'today-decided', 'aria-labelledby': 'decided-title' });
  const el = h('div', { class: 'screen today', id: 'today' }, head, staff, month, inbox, decided);

  async function load() {
    try {
      const view = await api('/api/v1/board/today');
      render(view);
    } catch (e) {
      status.textContent = e.message;
    }
    try {
      renderInbox((await api('/api/v1/board/teguran')).items);
    } catch {
      // the teguran list is secondary
    }
  }

  function render(view) {
    const u = view.unit;
    const waiting = view.staff.filter((p) => p.state === 'not_yet_in');
    const remind = h(
      'button',
      { type: 'button', class: 'btn big primary', id: 'remind', disabled: !waiting.length },
      waiting.length ? `Ingatkan ${waiting.length} yang belum hadir` : 'Semua sudah tercatat',
    );
    remind.addEventListener('click', async () => {
      remind.disabled = true;
      try {
        const answer = await api('/api/v1/board/remind', { method: 'POST', json: {} });
        toast(`Pengingat dikirim ke ${answer.reminded} pegawai`);
        remind.textContent = 'Pengingat terkirim';
      } catch (e) {
        toast(e.message);
        remind.disabled = false;
      }
    });
    clear(
      head,
      h('h2', null, `${u.name} · ${dayName(u.date)}`),
      h(
        'p',
        { class: 'today-figs' },
        `${u.present} hadir (${u.late} terlambat${u.attested ? `, ${u.attested} atestasi` : ''}) · ${u.permit} izin · ${u.absent} tanpa keterangan · ${u.not_yet_in} belum hadir, dari ${u.expected}`,
      ),
      shareBar(u.share_present),
      remind,
      // Staff who could not check in at all (no signal, a dead phone): the head attests them.
      h('a', { class: 'btn big wide', href: '#/atestasi', id: 'open-attest-today' }, 'Atestasi kehadiran (tanpa sinyal)'),
    );
    clear(
      staff,
      h('h2', { id: 'staff-title' }, 'Staf hari ini'),
      h(
        'ul',
        { class: 'staff-list' },
        ...view.staff.map((p) =>
          h(
            'li',
            { class: `staff staff-${p.state}`, 'data-nip': p.nip },
            h('div', null, h('strong', null, p.name), h('br'), h('span', { class: 'hint' }, p.position || p.unit)),
            h(
              'div',
              { class: 'staff-right' },
              h('span', { class: `chip chip-state-${p.state}` }, `${STAFF_STATE[p.state] || p.state}${p.tl ? ` ${p.tl}` : ''}${p.permit ? ` (${PERMIT_WORDS[p.permit] || p.permit})` : ''}`),
              h(
                'span',
                { class: 'staff-time' },
                p.check_in ? `Masuk ${timeIn(p.check_in, tz)}` : '',
                p.check_out ? ` · Pulang ${timeIn(p.check_out, tz)}` : '',
              ),
            ),
          ),
        ),
      ),
    );
    clear(
      decided,
      h('h2', { id: 'decided-title' }, 'Izin yang sudah Anda putuskan'),
      view.decided.length
        ? h(
            'ul',
            { class: 'list' },
            ...view.decided.map((p) =>
              h(
                'li',
                { class: 'item', 'data-permit-id': p.id },
                h('strong', null, p.employee.name),
                h('p', null, `${p.kind_name} · ${p.start_date}${p.end_date !== p.start_date ? ` s.d. ${p.end_date}` : ''}`),
                h('span', { class: `chip ${p.status === 'approved' ? 'chip-accepted' : 'chip-failed'}` }, p.status === 'approved' ? 'Disetujui' : p.status === 'rejected' ? 'Ditolak' : p.status),
              ),
            ),
          )
        : h('p', { class: 'hint' }, 'Belum ada izin yang Anda putuskan.'),
    );
    clear(
      month,
      h('h2', { id: 'month-title' }, 'Bulan ini'),
      view.month.length
        ? barChart({
            id: 'chart-month',
            title: 'Jumlah hadir per hari bulan ini',
            values: view.month.map((d) => d.present),
            labels: view.month.map((d) => d.date.slice(8, 10)),
            max: Math.max(1, u.expected, ...view.month.map((d) => d.present)),
            format: (v) => num(Math.round(v)),
          })
        : h('p', { class: 'hint' }, 'Belum ada catatan bulan ini.'),
    );
  }

  function renderInbox(items) {
    const me = app.session.user.nip;
    const mine = items.filter((t) => t.recipient === me);
    clear(
      inbox,
      h('h2', { id: 'inbox-title' }, 'Teguran dan catatan'),
      mine.length
        ? h('ul', { class: 'list' }, ...mine.map(teguranItem))
        : h('p', { class: 'hint' }, 'Tidak ada teguran.'),
    );
  }

  function teguranItem(t) {
    const ack = h('button', { type: 'button', class: 'btn', 'data-ack': t.id }, 'Sudah saya baca');
    ack.addEventListener('click', async () => {
      ack.disabled = true;
      try {
        await api(`/api/v1/board/teguran/${t.id}/ack`, { method: 'POST', json: { note: '' } });
        ack.replaceWith(h('span', { class: 'chip chip-accepted' }, 'Dikonfirmasi'));
      } catch (e) {
        toast(e.message);
        ack.disabled = false;
      }
    });
    return h(
      'li',
      { class: 'item', 'data-teguran': t.id },
      h('strong', null, `${t.kind === 'teguran' ? 'Teguran' : 'Catatan'} dari ${t.sender_name}`),
      h('p', null, t.message),
      h('p', { class: 'hint' }, timeIn(t.sent_at, tz)),
      t.acked_at ? h('span', { class: 'chip chip-accepted' }, 'Dikonfirmasi') : ack,
    );
  }

  load();
  return { el };
}
