// Persetujuan: the permit requests a head of unit (or BKD) must decide, oldest first, each with
// Setujui / Tolak and a note the employee reads. Online only: a decision must not wait on a
// phone while the employee waits for it.

import { api, ApiError } from '../api.js';
import { h, toast } from '../ui.js';
import { dateRange, openAttachment, PERMIT_STATUS, permitWhen } from './permits.js';

export function approvalsView(app) {
  let items = [];
  const status = h('p', { class: 'hint', id: 'inbox-status', 'aria-live': 'polite' });
  const list = h('div', { class: 'screen', id: 'inbox' });
  const el = h(
    'div',
    { class: 'screen' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'inbox-title' },
      h('h2', { id: 'inbox-title' }, 'Persetujuan izin'),
      status,
    ),
    list,
  );

  async function load() {
    if (!navigator.onLine) {
      status.textContent = 'Offline. Persetujuan perlu sinyal.';
      return;
    }
    status.textContent = 'Memuat permohonan…';
    try {
      items = (await api('/api/v1/permits/inbox')).items || [];
      render();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  function render() {
    status.textContent = items.length
      ? `${items.length} permohonan menunggu keputusan`
      : 'Tidak ada permohonan yang menunggu keputusan.';
    list.replaceChildren(...items.map(card));
  }

  function card(p) {
    const noteId = `decision-note-${p.id}`;
    const hintId = `decision-hint-${p.id}`;
    const note = h('textarea', { id: noteId, maxLength: 500, 'aria-describedby': hintId });
    const hint = h('p', { class: 'hint', id: hintId }, 'Catatan terlihat oleh pegawai.');
    const approve = h('button', { class: 'btn big primary', type: 'button' }, 'Setujui');
    const reject = h('button', { class: 'btn big danger', type: 'button' }, 'Tolak');
    const section = h(
      'section',
      { class: 'card', 'aria-labelledby': `permit-${p.id}-who`, 'data-permit-id': p.id },
      h('h2', { id: `permit-${p.id}-who` }, p.employee.name),
      h('p', { class: 'hint' }, `NIP ${p.employee.nip}`),
      h(
        'p',
        null,
        h('strong', null, p.kind_name),
        p.start_time
          ? ` · ${permitWhen(p)}`
          : ` · ${dateRange(p.start_date, p.end_date)} · ${p.working_days} hari kerja`,
      ),
      h('p', null, p.reason),
      // The server could not vouch for the request's device signature or its place in the
      // device's chain: said in words, beside the request (README "Signed records").
      p.device_note
        ? h('p', { class: 'error', 'data-device-note': '' }, `Perhatian: ${p.device_note}`)
        : null,
      p.has_attachment ? attachmentButton(p) : null,
      h('label', { for: noteId }, 'Catatan (wajib bila ditolak)'),
      note,
      hint,
      h('div', { class: 'row' }, reject, approve),
    );
    const decide = async (decision) => {
      const text = note.value.trim();
      if (decision === 'reject' && !text) {
        hint.textContent = 'Tulis alasan penolakan; pegawai akan membacanya.';
        hint.className = 'error';
        note.focus();
        return;
      }
      approve.disabled = true;
      reject.disabled = true;
      try {
        const updated = await api(`/api/v1/permits/${p.id}/decision`, {
          method: 'POST',
          json: { decision, note: text },
        });
        toast(`${p.employee.name}: ${PERMIT_STATUS[updated.status] || updated.status}`);
        items = items.filter((i) => i.id !== p.id);
        render();
      } catch (e) {
        approve.disabled = false;
        reject.disabled = false;
        hint.textContent = e.message;
        hint.className = 'error';
        if (e instanceof ApiError && (e.status === 409 || e.status === 403)) {
          // Decided elsewhere or not this head's staff: drop it after saying why.
          toast(e.message);
          items = items.filter((i) => i.id !== p.id);
          render();
        }
      }
    };
    approve.addEventListener('click', () => decide('approve'));
    reject.addEventListener('click', () => decide('reject'));
    return section;
  }

  function attachmentButton(p) {
    const button = h('button', { class: 'btn small', type: 'button' }, 'Lihat lampiran');
    button.addEventListener('click', () => openAttachment(p.id));
    return h('p', null, button);
  }

  load();
  return {
    el,
    refresh() {
      if (!items.length) load();
    },
  };
}
