// Izin, sakit, cuti, dinas luar, izin keluar kantor (hours within one day): the request form, what is still on the phone, and the
// requests the server holds with their decision. A request goes through the outbox like a
// check-in (kind 'permit'), so it can be made without signal; cancelling is online only.

import { api } from '../api.js';
import { enqueue, outboxItems, removeItem } from '../outbox/queue.js';
import { getKv, setKv } from '../outbox/store.js';
import { dateRange, h, shiftDate, toast } from '../ui.js';
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

export { dateRange }; // the one date style of ui.js, where other screens looked for it

// A request the new one would overlap, of those the phone knows (the server checks again).
// Short leaves are left to the server: they clash by their hours, and a whole-day permit asked
// after one (fallen ill) does not clash with it.
export function overlapping(known, start, end) {
  return known.find(
    (p) =>
      (p.status === 'pending' || p.status === 'approved') &&
      p.kind !== SHORT_LEAVE &&
      p.start_date <= end &&
      p.end_date >= start,
  );
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

// Where a dinas luar goes: a location of hadir, found by words of its name. Check-ins there
// then count as inside.
function destinationPicker() {
  const search = h('input', {
    type: 'search',
    id: 'permit-destination-search',
    autocomplete: 'off',
    maxLength: 100,
    'aria-describedby': 'permit-destination-hint',
  });
  const select = h('select', { id: 'permit-destination' });
  const hint = h(
    'p',
    { class: 'hint', id: 'permit-destination-hint' },
    'Ketik sebagian nama kantor atau sekolah tujuan. Presensi di lokasi itu dihitung di dalam ' +
      'area selama dinas luar.',
  );
  const el = h(
    'div',
    { class: 'destination', hidden: true },
    h('label', { for: 'permit-destination-search' }, 'Cari lokasi tujuan'),
    search,
    h('label', { for: 'permit-destination' }, 'Lokasi tujuan'),
    select,
    hint,
  );
  let asked = 0;
  async function find() {
    const token = ++asked;
    const words = search.value.trim();
    let items;
    try {
      const answer = await api(`/api/v1/permits/destinations?q=${encodeURIComponent(words)}`);
      items = answer.items;
    } catch {
      return; // offline: the list stays as it was
    }
    if (token !== asked) return;
    const chosen = select.value;
    select.replaceChildren(
      h('option', { value: '' }, items.length ? 'Tanpa lokasi tujuan' : 'Tidak ada yang cocok'),
      ...items.map((d) => h('option', { value: String(d.id) }, d.name)),
    );
    if (items.length === 1) select.value = String(items[0].id);
    else if (items.some((d) => String(d.id) === chosen)) select.value = chosen;
  }
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(find, 250);
  });
  return {
    el,
    show(on) {
      el.hidden = !on;
      if (on && !select.options.length) find();
    },
    value: () => (el.hidden || !select.value ? null : Number(select.value)),
  };
}

// Waits (a little) for the outbox to send one item: 'sent', 'failed' (the server's reason in
// the item) or 'waiting' (no signal, server busy: it goes later on its own).
async function waitForSend(id) {
  for (let tries = 0; tries < 60; tries += 1) {
    const item = (await outboxItems()).find((i) => i.id === id);
    if (!item) return { outcome: 'sent' };
    if (item.state === 'failed') return { outcome: 'failed', item };
    if (!navigator.onLine || item.attempts > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { outcome: 'waiting' };
}

export function permitsView(app) {
  const owner = app.owner();
  const cacheKey = `permits:${owner}`;
  const leaveKey = `leave:${owner}`;
  let known = []; // the server's answers, newest first
  let loading = null;
  let target = null; // the permit a link opened ("#/izin/12"), shown and focused once

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
  const destinationPart = destinationPicker();
  const leave = h('p', { class: 'hint', id: 'leave-balance', 'aria-live': 'polite' });
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
    leave,
    h('label', { for: 'permit-kind' }, 'Jenis'),
    kind,
    destinationPart.el,
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
  kind.addEventListener('change', () => destinationPart.show(kind.value === 'dinas_luar'));
  start.addEventListener('change', () => {
    if (isShort()) end.value = start.value;
    else if (start.value && (!end.value || end.value < start.value)) end.value = start.value;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });

  // Said at the form, next to the button just pressed, where the user looks.
  function fail(message, field) {
    problem.textContent = message;
    problem.hidden = false;
    if (field) field.focus();
    problem.scrollIntoView({ block: 'center' });
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
    const clash = isShort() ? null : overlapping(known, start.value, end.value);
    if (clash) {
      const state = clash.status === 'approved' ? 'sudah disetujui' : 'masih menunggu keputusan';
      const what = (clash.kind_name || PERMIT_KINDS[clash.kind] || clash.kind).toLowerCase();
      return fail(
        `Bertumpuk dengan ${what} ${dateRange(clash.start_date, clash.end_date)} yang ${state}. ` +
          'Batalkan yang itu dulu atau pilih tanggal lain.',
        start,
      );
    }
    submit.disabled = true;
    submit.textContent = 'Mengirim…';
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
      if (kind.value === 'dinas_luar' && destinationPart.value())
        meta.destination_location_id = destinationPart.value();
      const body = attachment
        ? { meta, attachment, attachmentName: attachment.name || 'lampiran' }
        : { meta };
      const item = await enqueue('permit', body, { owner, capturedAt: new Date().toISOString() });
      app.outboxChanged();
      // Online, a refusal is said at the form, still filled in to correct.
      const sent = await waitForSend(item.id);
      if (sent.outcome === 'failed') {
        await removeItem(item.id);
        return fail(`Permohonan ditolak server: ${sent.item.error}`);
      }
      reason.value = '';
      file.value = '';
      startTime.value = '';
      endTime.value = '';
      toast(
        sent.outcome === 'sent'
          ? 'Permohonan terkirim.'
          : 'Permohonan disimpan di ponsel. Dikirim otomatis saat ada sinyal.',
      );
      if (sent.outcome === 'sent') {
        fetchList();
        loadLeave();
      }
    } catch (e) {
      fail(`Permohonan tidak dapat disimpan: ${e.message}`);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Kirim permohonan';
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
    const targeted = target !== null && target.id === p.id;
    return h(
      'li',
      {
        class: `item permit permit-${p.status}${targeted ? ' target' : ''}`,
        'data-client-id': p.client_id,
        'data-permit-id': p.id,
        tabindex: targeted ? '-1' : null,
      },
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
      p.destination_name ? h('p', { class: 'hint' }, `Tujuan: ${p.destination_name}`) : null,
      h('p', null, p.reason),
      extra,
      buttons.length ? h('div', { class: 'row' }, buttons) : null,
    );
  }

  async function cancelPermit(p, button) {
    const what = (p.kind_name || PERMIT_KINDS[p.kind] || p.kind).toLowerCase();
    // confirm() is plain text: nothing in it is parsed as HTML.
    const question = `Batalkan permohonan ${what} ${dateRange(p.start_date, p.end_date)}?`;
    if (!window.confirm(question)) return;
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
      loadLeave();
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
    // A redraw (the fresh list, a change elsewhere) keeps the focus on the record it was on.
    const active = document.activeElement;
    const focused = list.contains(active) && active.dataset.permitId;
    list.replaceChildren(...known.map(permitRow));
    if (focused) {
      const again = list.querySelector(`[data-permit-id="${focused}"]`);
      if (again) again.focus();
    }
    const shown = target && !target.shown && list.querySelector('.target');
    if (shown) {
      target.shown = true;
      shown.focus();
      shown.scrollIntoView({ block: 'center' });
    }
  }

  // Sisa cuti tahunan, as the server counts it (approved cuti tahunan of this year).
  function drawLeave(balance) {
    if (!balance) return;
    const waiting = balance.pending_days ? `; ${balance.pending_days} hari menunggu keputusan` : '';
    leave.textContent =
      `Sisa cuti tahunan ${balance.year}: ${balance.remaining_days} dari ` +
      `${balance.allowance_days} hari${waiting}.`;
  }

  async function loadLeave() {
    drawLeave(await getKv(leaveKey).catch(() => null));
    if (!navigator.onLine) return;
    try {
      const balance = await api('/api/v1/permits/leave');
      await setKv(leaveKey, balance);
      drawLeave(balance);
    } catch {
      // offline or expired: the cached figure stays
    }
  }

  async function refresh() {
    const link = app.takeTarget('izin');
    if (link) target = { id: link.id, shown: false };
    await render();
    fetchList();
  }

  getKv(cacheKey)
    .then((cached) => {
      if (cached && !known.length) known = cached;
    })
    .catch(() => {})
    .finally(refresh);
  loadLeave();

  // A sensible default: a request is usually for tomorrow or later.
  start.value = shiftDate(today, 1);
  end.value = start.value;

  const el = h('div', { class: 'screen' }, form, queueCard, listCard);
  return { el, refresh };
}
