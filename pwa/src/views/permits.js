// Izin, sakit, cuti, dinas luar, izin keluar kantor (hours within one day): the request form, what is still on the phone, and the
// requests the server holds with their decision. A request goes through the outbox like a
// check-in (kind 'permit'), so it can be made without signal; cancelling is online only.

import { api } from '../api.js';
import { enqueue, outboxItems } from '../outbox/queue.js';
import { getKv, setKv } from '../outbox/store.js';
import { h, shiftDate, toast } from '../ui.js';
import { uuid } from './checkin.js';
import { failedActions } from './history.js';

export const PERMIT_KINDS = {
  izin: 'Izin',
  sakit: 'Sakit',
  cuti_tahunan: 'Cuti tahunan',
  cuti_besar: 'Cuti besar',
  cuti_sakit: 'Cuti sakit',
  cuti_melahirkan: 'Cuti melahirkan',
  cuti_alasan_penting: 'Cuti karena alasan penting',
  dinas_luar: 'Dinas luar',
  tugas_belajar: 'Tugas belajar',
  izin_keluar_kantor: 'Izin keluar kantor',
};

// A short leave: hours on one day (the unit's local time); the day stays "hadir".
export const SHORT_LEAVE = 'izin_keluar_kantor';

export const PERMIT_STATUS = {
  pending: 'Menunggu keputusan',
  approved: 'Disetujui',
  rejected: 'Ditolak',
  cancelled: 'Dibatalkan',
  queued: 'Menunggu dikirim',
  failed: 'Gagal dikirim',
};

const MAX_ATTACHMENT = 2_000_000;
const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'];

export function permitChip(status) {
  return h('span', { class: `chip chip-${status}`, text: PERMIT_STATUS[status] || status });
}

// "30 Nov 2026", or "30 Nov – 2 Des 2026" for a range.
export function dateRange(start, end) {
  const fmt = (d) =>
    new Intl.DateTimeFormat('id-ID', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(`${d}T12:00:00Z`));
  return start === end ? fmt(start) : `${fmt(start)} – ${fmt(end)}`;
}

// "1 Des 2026 · pukul 09:00–11:00" for a short leave; the dates alone otherwise.
export function permitWhen(p) {
  const dates = dateRange(p.start_date, p.end_date);
  return p.start_time && p.end_time ? `${dates} · pukul ${p.start_time}–${p.end_time}` : dates;
}

// Opens the attachment through a short-lived signed link (same origin).
export async function openAttachment(permitId) {
  try {
    const { url } = await api(`/api/v1/permits/${permitId}/attachment`);
    window.open(url, '_blank', 'noopener');
  } catch (e) {
    toast(`Lampiran tidak dapat dibuka: ${e.message}`);
  }
}

export function permitsView(app) {
  const owner = app.owner();
  const cacheKey = `permits:${owner}`;
  let known = []; // the server's answers, newest first
  let loading = null;

  // --- the form ----------------------------------------------------------------------------
  const kind = h(
    'select',
    { id: 'permit-kind', required: true },
    Object.entries(PERMIT_KINDS).map(([code, label]) => h('option', { value: code }, label)),
  );
  const today = app.today();
  const start = h('input', { type: 'date', id: 'permit-start', required: true, value: today });
  const end = h('input', { type: 'date', id: 'permit-end', required: true, value: today });
  const startTime = h('input', { type: 'time', id: 'permit-start-time', step: 60 });
  const endTime = h('input', { type: 'time', id: 'permit-end-time', step: 60 });
  const startLabel = h('label', { for: 'permit-start' }, 'Tanggal mulai');
  const endBox = h('div', null, h('label', { for: 'permit-end' }, 'Tanggal selesai'), end);
  const times = h(
    'div',
    { class: 'dates', id: 'permit-times', hidden: true },
    h('div', null, h('label', { for: 'permit-start-time' }, 'Jam keluar'), startTime),
    h('div', null, h('label', { for: 'permit-end-time' }, 'Jam kembali'), endTime),
  );
  const timesHint = h(
    'p',
    { class: 'hint', id: 'permit-times-hint', hidden: true },
    'Izin keluar kantor berlaku beberapa jam pada satu hari kerja; hari itu tetap tercatat hadir.',
  );
  const reason = h('textarea', {
    id: 'permit-reason',
    required: true,
    minLength: 5,
    maxLength: 1000,
    'aria-describedby': 'permit-reason-hint',
  });
  const file = h('input', {
    type: 'file',
    id: 'permit-file',
    accept: 'image/jpeg,image/png,application/pdf',
    'aria-describedby': 'permit-file-hint',
  });
  const problem = h('p', { class: 'error', id: 'permit-error', role: 'alert', hidden: true });
  const submit = h(
    'button',
    { class: 'btn big primary wide', type: 'submit', id: 'permit-submit' },
    'Kirim permohonan',
  );
  const form = h(
    'form',
    { class: 'card', id: 'permit-form', 'aria-labelledby': 'permit-title', novalidate: true },
    h('h2', { id: 'permit-title' }, 'Ajukan izin atau cuti'),
    h('label', { for: 'permit-kind' }, 'Jenis'),
    kind,
    h('div', { class: 'dates' }, h('div', null, startLabel, start), endBox),
    times,
    timesHint,
    h('label', { for: 'permit-reason' }, 'Alasan'),
    reason,
    h('p', { class: 'hint', id: 'permit-reason-hint' }, 'Minimal 5 huruf.'),
    h('label', { for: 'permit-file' }, 'Lampiran (opsional)'),
    file,
    h(
      'p',
      { class: 'hint', id: 'permit-file-hint' },
      'Foto (JPEG/PNG) atau PDF surat, paling besar 2 MB.',
    ),
    problem,
    submit,
    h(
      'p',
      { class: 'hint' },
      'Tanpa sinyal pun bisa: permohonan disimpan di ponsel dan dikirim otomatis.',
    ),
  );
  const isShort = () => kind.value === SHORT_LEAVE;
  function showKind() {
    const short = isShort();
    times.hidden = !short;
    timesHint.hidden = !short;
    endBox.hidden = short;
    startLabel.textContent = short ? 'Tanggal' : 'Tanggal mulai';
    startTime.required = short;
    endTime.required = short;
    if (short) end.value = start.value;
  }
  kind.addEventListener('change', showKind);
  start.addEventListener('change', () => {
    if (isShort()) end.value = start.value;
    else if (start.value && (!end.value || end.value < start.value)) end.value = start.value;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });

  function fail(message, field) {
    problem.textContent = message;
    problem.hidden = false;
    if (field) field.focus();
  }

  async function save() {
    problem.hidden = true;
    const text = reason.value.trim();
    const short = isShort();
    if (short) {
      end.value = start.value;
      if (!start.value) return fail('Isi tanggal izin keluar kantor.', start);
      if (!startTime.value) return fail('Isi jam keluar kantor.', startTime);
      if (!endTime.value) return fail('Isi jam kembali ke kantor.', endTime);
      if (endTime.value <= startTime.value)
        return fail('Jam kembali harus sesudah jam keluar.', endTime);
    }
    if (!start.value || !end.value) return fail('Isi tanggal mulai dan selesai.', start);
    if (end.value < start.value)
      return fail('Tanggal selesai tidak boleh sebelum tanggal mulai.', end);
    if (text.length < 5) return fail('Tulis alasan, minimal 5 huruf.', reason);
    const attachment = file.files && file.files[0];
    if (attachment && attachment.size > MAX_ATTACHMENT)
      return fail('Lampiran lebih dari 2 MB. Pilih foto atau PDF yang lebih kecil.', file);
    if (attachment && !ATTACHMENT_TYPES.includes(attachment.type))
      return fail('Lampiran harus berupa foto (JPEG/PNG) atau PDF.', file);
    submit.disabled = true;
    try {
      const meta = {
        client_id: uuid(),
        kind: kind.value,
        start_date: start.value,
        end_date: end.value,
        reason: text,
      };
      if (short) {
        // <input type="time"> gives "HH:MM" (or "HH:MM:SS" with a seconds step).
        meta.start_time = startTime.value.slice(0, 5);
        meta.end_time = endTime.value.slice(0, 5);
      }
      const body = attachment
        ? { meta, attachment, attachmentName: attachment.name || 'lampiran' }
        : { meta };
      await enqueue('permit', body, { owner, capturedAt: new Date().toISOString() });
      reason.value = '';
      file.value = '';
      startTime.value = '';
      endTime.value = '';
      toast(
        navigator.onLine
          ? 'Permohonan disimpan dan sedang dikirim.'
          : 'Permohonan disimpan di ponsel. Dikirim otomatis saat ada sinyal.',
      );
      app.outboxChanged();
    } catch (e) {
      fail(`Permohonan tidak dapat disimpan: ${e.message}`);
    } finally {
      submit.disabled = false;
    }
  }

  // --- still on the phone ------------------------------------------------------------------
  const queueCard = h('section', {
    class: 'card',
    id: 'permit-queue',
    'aria-labelledby': 'permit-queue-title',
    hidden: true,
  });

  function queueRow(item) {
    const meta = item.body.meta;
    const buttons = [];
    if (item.state === 'failed') {
      buttons.push(
        failedActions(app, item, 'Hapus permohonan ini dari ponsel? Permohonan ini tidak dikirim.'),
      );
    }
    let note = 'Tersimpan di ponsel. Dikirim otomatis saat ada sinyal.';
    if (item.state === 'failed') note = 'Server menolak permohonan ini; tidak dikirim ulang.';
    else if (navigator.onLine) note = 'Tersimpan di ponsel. Sedang dikirim…';
    return h(
      'li',
      { class: `item item-${item.state}`, 'data-client-id': meta.client_id },
      h(
        'div',
        { class: 'item-head' },
        h('strong', null, PERMIT_KINDS[meta.kind] || meta.kind),
        h('span', { class: 'hint' }, permitWhen(meta)),
        permitChip(item.state),
      ),
      h('p', { class: 'hint' }, note),
      item.error
        ? h('p', { class: item.state === 'failed' ? 'error' : 'hint' }, item.error)
        : null,
      buttons,
    );
  }

  // --- the server's list --------------------------------------------------------------------
  const listNote = h('p', { class: 'hint', 'aria-live': 'polite' });
  const list = h('ul', { class: 'list', id: 'permit-list' });
  const listCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'permit-list-title' },
    h('h2', { id: 'permit-list-title' }, 'Permohonan saya'),
    listNote,
    list,
  );

  function permitRow(p) {
    const extra = [];
    if (p.approver && p.status === 'pending')
      extra.push(h('p', { class: 'hint' }, `Menunggu keputusan ${p.approver.name}`));
    if (p.decided_by && p.status !== 'pending' && p.status !== 'cancelled')
      extra.push(
        h('p', { class: 'hint' }, `${PERMIT_STATUS[p.status]} oleh ${p.decided_by.name || ''}`),
      );
    if (p.decision_note)
      extra.push(h('p', { class: 'decision-note' }, `Catatan: ${p.decision_note}`));
    const buttons = [];
    if (p.has_attachment) {
      const open = h('button', { class: 'btn small', type: 'button' }, 'Lihat lampiran');
      open.addEventListener('click', () => openAttachment(p.id));
      buttons.push(open);
    }
    if (p.status === 'pending') {
      const cancel = h('button', { class: 'btn small danger', type: 'button' }, 'Batalkan');
      cancel.addEventListener('click', () => cancelPermit(p, cancel));
      buttons.push(cancel);
    }
    return h(
      'li',
      { class: `item permit permit-${p.status}`, 'data-client-id': p.client_id },
      h(
        'div',
        { class: 'item-head' },
        h('strong', null, p.kind_name || PERMIT_KINDS[p.kind] || p.kind),
        permitChip(p.status),
      ),
      h(
        'p',
        { class: 'hint' },
        p.start_time
          ? permitWhen(p)
          : `${dateRange(p.start_date, p.end_date)} · ${p.working_days} hari kerja`,
      ),
      h('p', null, p.reason),
      extra,
      buttons.length ? h('div', { class: 'row' }, buttons) : null,
    );
  }

  async function cancelPermit(p, button) {
    if (!navigator.onLine) {
      toast('Membatalkan perlu sinyal. Coba lagi saat online.');
      return;
    }
    button.disabled = true;
    try {
      const updated = await api(`/api/v1/permits/${p.id}/cancel`, { method: 'POST' });
      known = known.map((k) => (k.id === updated.id ? updated : k));
      await setKv(cacheKey, known);
      toast('Permohonan dibatalkan.');
      render();
    } catch (e) {
      button.disabled = false;
      toast(`Belum dibatalkan: ${e.message}`);
      fetchList();
    }
  }

  function fetchList() {
    if (!navigator.onLine) return Promise.resolve();
    if (!loading) {
      loading = api('/api/v1/permits')
        .then(async (answer) => {
          known = answer.items || [];
          await setKv(cacheKey, known);
        })
        .catch(() => {
          // offline or expired: the cached list stays
        })
        .finally(() => {
          loading = null;
          render();
        });
    }
    return loading;
  }

  let rendering = 0;
  async function render() {
    const token = ++rendering;
    const queued = (await outboxItems()).filter(
      (item) => item.owner === owner && item.kind === 'permit',
    );
    if (token !== rendering) return;
    const sent = new Set(known.map((p) => p.client_id));
    const waiting = queued.filter((item) => !sent.has(item.body.meta.client_id));
    queueCard.hidden = waiting.length === 0;
    queueCard.replaceChildren(
      h('h2', { id: 'permit-queue-title' }, `Belum terkirim (${waiting.length})`),
      h('ul', { class: 'list' }, waiting.map(queueRow)),
    );
    listNote.textContent = known.length
      ? navigator.onLine
        ? ''
        : 'Offline: daftar terakhir yang dimuat.'
      : 'Belum ada permohonan.';
    list.replaceChildren(...known.map(permitRow));
  }

  async function refresh() {
    await render();
    fetchList();
  }

  getKv(cacheKey)
    .then((cached) => {
      if (cached && !known.length) known = cached;
    })
    .catch(() => {})
    .finally(refresh);

  // A sensible default: a request is usually for tomorrow or later.
  start.value = shiftDate(today, 1);
  end.value = start.value;

  const el = h('div', { class: 'screen' }, form, queueCard, listCard);
  return { el, refresh };
}
