// Atestasi: a head of unit attests, on their own phone, that staff were at work on days nobody
// could check in (a school with no signal, a dead phone). Each employee's attestation is one
// outbox item (kind 'attestation'), so it is made offline, signed like every outbox item, and
// sent when the phone reaches signal. BKD and admins see how often each head attests.

import { api } from '../api.js';
import { enqueue, outboxItems, removeItem } from '../outbox/queue.js';
import { getKv, setKv } from '../outbox/store.js';
import { clear, dateRange, h, shiftDate, toast } from '../ui.js';
import { uuid } from './checkin.js';

const MAX_BACK_DAYS = 14; // the server's HADIR_ATTESTATION_MAX_BACK_DAYS default
const MAX_SPAN_DAYS = 7;
const SIGNATURE = {
  verified: 'terverifikasi',
  failed: 'tidak terverifikasi',
  unsigned: 'tidak ditandatangani perangkat',
};

export function attestView(app) {
  const owner = app.owner();
  const staffKey = `attest-staff:${owner}`;
  const sentKey = `attest-sent:${owner}`;
  const today = app.today();
  let staff = [];

  const status = h('p', { class: 'hint', id: 'attest-status', 'aria-live': 'polite' });
  const people = h('fieldset', { class: 'attest-staff', id: 'attest-staff' });
  const start = h('input', {
    type: 'date',
    id: 'attest-start',
    required: true,
    value: today,
    max: today,
    min: shiftDate(today, -MAX_BACK_DAYS),
  });
  const end = h('input', {
    type: 'date',
    id: 'attest-end',
    required: true,
    value: today,
    max: today,
    min: shiftDate(today, -MAX_BACK_DAYS),
  });
  const reason = h('textarea', {
    id: 'attest-reason',
    rows: 3,
    minlength: 10,
    maxlength: 500,
    required: true,
    placeholder: 'Misalnya: tidak ada sinyal di sekolah, ponsel guru rusak',
  });
  const confirmBox = h('input', { type: 'checkbox', id: 'attest-confirm' });
  const submit = h('button', { type: 'submit', class: 'btn big primary', id: 'attest-submit' }, 'Simpan atestasi');
  const error = h('p', { class: 'error', id: 'attest-error', role: 'alert', hidden: true });
  const queued = h('section', { class: 'card', id: 'attest-queued', 'aria-labelledby': 'attest-queued-title' });
  const sent = h('section', { class: 'card', id: 'attest-sent', 'aria-labelledby': 'attest-sent-title' });

  const form = h(
    'form',
    { class: 'card', id: 'attest-form', novalidate: true },
    h('h2', null, 'Atestasi kehadiran'),
    h(
      'p',
      { class: 'hint' },
      'Untuk hari ketika staf sama sekali tidak bisa presensi (tidak ada sinyal, ponsel rusak). ' +
        'Bisa dibuat tanpa sinyal; dikirim otomatis saat ada sinyal.',
    ),
    status,
    people,
    h('label', { for: 'attest-start' }, 'Dari tanggal'),
    start,
    h('label', { for: 'attest-end' }, 'Sampai tanggal'),
    end,
    h('label', { for: 'attest-reason' }, 'Alasan'),
    reason,
    h(
      'label',
      { class: 'check', for: 'attest-confirm' },
      confirmBox,
      ' Saya menyatakan staf yang dipilih hadir bekerja pada hari itu.',
    ),
    error,
    submit,
  );
  const el = h('div', { class: 'screen attest', id: 'attest' }, form, queued, sent);

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    return null;
  }

  function drawStaff() {
    const others = staff.filter((p) => p.nip !== owner);
    clear(
      people,
      h('legend', null, 'Staf'),
      others.length
        ? others.map((p) =>
            h(
              'label',
              { class: 'check staff-pick' },
              h('input', { type: 'checkbox', name: 'attest-nip', value: p.nip, 'data-nip': p.nip }),
              ` ${p.name}`,
            ),
          )
        : h('p', { class: 'hint' }, 'Daftar staf belum tersimpan di ponsel ini; buka sekali saat ada sinyal.'),
    );
  }

  async function loadStaff() {
    staff = (await getKv(staffKey).catch(() => null)) || [];
    drawStaff();
    if (!navigator.onLine) {
      status.textContent = staff.length ? 'Tanpa sinyal: daftar staf dari ponsel ini.' : '';
      return;
    }
    try {
      const view = await api('/api/v1/board/today');
      staff = view.staff.map((p) => ({ nip: p.nip, name: p.name }));
      await setKv(staffKey, staff);
      status.textContent = '';
      drawStaff();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const nips = [...people.querySelectorAll('input[name="attest-nip"]:checked')].map((i) => i.value);
    const text = reason.value.trim();
    if (!nips.length) return fail('Pilih minimal satu staf.');
    if (!start.value || !end.value) return fail('Isi tanggal.');
    if (end.value < start.value) return fail('Tanggal akhir tidak boleh sebelum tanggal mulai.');
    if (end.value > app.today()) return fail('Atestasi hanya untuk hari ini atau hari yang sudah lewat.');
    if (start.value < shiftDate(app.today(), -MAX_BACK_DAYS))
      return fail(`Atestasi paling jauh ${MAX_BACK_DAYS} hari ke belakang.`);
    if (shiftDate(start.value, MAX_SPAN_DAYS - 1) < end.value)
      return fail(`Atestasi paling banyak ${MAX_SPAN_DAYS} hari sekaligus.`);
    if (text.length < 10) return fail('Tulis alasannya, minimal 10 huruf.');
    if (!confirmBox.checked) return fail('Centang pernyataan kehadiran.');
    submit.disabled = true;
    try {
      const capturedAt = new Date().toISOString();
      for (const nip of nips) {
        const meta = {
          client_id: uuid(),
          nip,
          start_date: start.value,
          end_date: end.value,
          reason: text,
          captured_at: capturedAt,
        };
        await enqueue('attestation', { meta }, { owner, capturedAt });
      }
      app.outboxChanged();
      reason.value = '';
      confirmBox.checked = false;
      for (const box of people.querySelectorAll('input[name="attest-nip"]')) box.checked = false;
      toast(
        navigator.onLine
          ? `${nips.length} atestasi dikirim.`
          : `${nips.length} atestasi disimpan di ponsel, menunggu sinyal.`,
      );
      render();
    } finally {
      submit.disabled = false;
    }
    return null;
  });

  const nameOf = (nip) => (staff.find((p) => p.nip === nip) || { name: nip }).name;

  async function render() {
    const mine = (await outboxItems()).filter((i) => i.kind === 'attestation' && i.owner === owner);
    clear(
      queued,
      h('h2', { id: 'attest-queued-title' }, 'Di ponsel ini'),
      mine.length
        ? h(
            'ul',
            { class: 'list' },
            mine.map((i) => {
              const body = i.body.meta;
              const failed = i.state === 'failed';
              const drop = failed
                ? h('button', { type: 'button', class: 'btn', onclick: async () => removeItem(i.id) }, 'Hapus')
                : null;
              return h(
                'li',
                { class: 'item', 'data-attest-queued': body.nip },
                h('strong', null, nameOf(body.nip)),
                h('p', null, dateRange(body.start_date, body.end_date)),
                h(
                  'span',
                  { class: `chip ${failed ? 'chip-failed' : 'chip-pending'}` },
                  failed ? `Ditolak: ${i.error}` : 'Menunggu sinyal',
                ),
                drop,
              );
            }),
          )
        : h('p', { class: 'hint' }, 'Tidak ada atestasi yang menunggu dikirim.'),
    );
    let items = (await getKv(sentKey).catch(() => null)) || [];
    if (navigator.onLine) {
      try {
        items = (await api('/api/v1/attestations')).items;
        await setKv(sentKey, items);
      } catch {
        // the cached list stays on screen
      }
    }
    clear(
      sent,
      h('h2', { id: 'attest-sent-title' }, 'Sudah tercatat di server'),
      items.length
        ? h(
            'ul',
            { class: 'list' },
            items.map((a) =>
              h(
                'li',
                { class: 'item', 'data-attest-sent': a.employee.nip },
                h('strong', null, a.employee.name),
                h('p', null, `${dateRange(a.start_date, a.end_date)} · ${a.reason}`),
                h('span', { class: 'chip chip-accepted' }, 'Tercatat: hadir (atestasi)'),
              ),
            ),
          )
        : h('p', { class: 'hint' }, 'Belum ada atestasi.'),
    );
  }

  loadStaff();
  render();
  return { el, refresh: render };
}

export function attestSummaryView() {
  const status = h('p', { class: 'hint', id: 'attest-summary-status', 'aria-live': 'polite' }, 'Memuat…');
  const heads = h('section', { class: 'card', id: 'attest-heads', 'aria-labelledby': 'attest-heads-title' }, status);
  const latest = h('section', { class: 'card', id: 'attest-latest', 'aria-labelledby': 'attest-latest-title' });
  const el = h('div', { class: 'screen attest-summary', id: 'attest-summary' }, heads, latest);

  async function load() {
    let summary;
    try {
      summary = await api('/api/v1/attestations/summary?days=30');
    } catch (e) {
      status.textContent = e.message;
      return;
    }
    clear(
      heads,
      h('h2', { id: 'attest-heads-title' }, 'Atestasi per kepala unit, 30 hari terakhir'),
      h('p', { class: 'hint' }, `${dateRange(summary.start, summary.end)}. Urut dari hari atestasi per staf terbanyak.`),
      summary.heads.length
        ? h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'data', id: 'attest-heads-table' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Kepala unit', 'Unit', 'Staf', 'Atestasi', 'Hari', 'Hari per staf', 'Tanpa tanda tangan'].map((t) =>
                    h('th', { scope: 'col' }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                null,
                summary.heads.map((r) =>
                  h(
                    'tr',
                    { 'data-head': r.head.nip },
                    h('td', null, r.head.name),
                    h('td', null, r.unit_name),
                    h('td', { class: 'num' }, String(r.staff)),
                    h('td', { class: 'num' }, String(r.attestations)),
                    h('td', { class: 'num' }, String(r.days)),
                    h('td', { class: 'num' }, String(r.days_per_staff).replace('.', ',')),
                    h('td', { class: 'num' }, String(r.unsigned)),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'hint' }, 'Belum ada atestasi dalam 30 hari terakhir.'),
    );
    clear(
      latest,
      h('h2', { id: 'attest-latest-title' }, 'Atestasi terbaru'),
      summary.latest.length
        ? h(
            'ul',
            { class: 'list' },
            summary.latest.map((a) =>
              h(
                'li',
                { class: 'item', 'data-attestation': a.id },
                h('strong', null, `${a.employee.name} · ${dateRange(a.start_date, a.end_date)}`),
                h('p', null, `Oleh ${a.attester.name}: ${a.reason}`),
                h('p', { class: 'hint' }, `Tanda tangan perangkat: ${SIGNATURE[a.signature_status] || a.signature_status}`),
              ),
            ),
          )
        : h('p', { class: 'hint' }, 'Belum ada.'),
    );
  }

  load();
  return { el };
}
