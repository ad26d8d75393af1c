// The outbox as the user sees it (what is still on the phone, what the server refused and why)
// and the check-ins of a day with their status and reasons.

import { api } from '../api.js';
import { removeItem, retryItem } from '../outbox/queue.js';
import { allCheckins, getKv, saveCheckin, setKv } from '../outbox/store.js';
import { chip, dayName, h, KIND, shiftDate, timeIn } from '../ui.js';
import { DAY_STATUS, reasonList } from './checkin.js';

/** "Coba lagi" / "Hapus" for an outbox item the server refused: the same for every kind. */
export function failedActions(app, item, confirmText) {
  const retry = h('button', { class: 'btn small', type: 'button' }, 'Coba lagi');
  retry.addEventListener('click', async () => {
    await retryItem(item);
    app.outboxChanged();
  });
  const drop = h('button', { class: 'btn small danger', type: 'button' }, 'Hapus');
  drop.addEventListener('click', async () => {
    if (!window.confirm(confirmText)) return;
    await removeItem(item.id);
  });
  return h('div', { class: 'row' }, retry, drop);
}

export function historyView(app) {
  const tz = app.timezone();
  let date = app.today();
  let targetId = null; // the check-in a link opened ("#/presensi/34"), shown and focused once
  let focusTarget = false;

  const queueCard = h('section', {
    class: 'card',
    id: 'queue',
    'aria-labelledby': 'queue-title',
    hidden: true,
  });
  const dayTitle = h('h2', { id: 'day-title' });
  const dayNote = h('p', { class: 'hint', 'aria-live': 'polite' });
  const dayList = h('ul', { class: 'list', id: 'day-list' });
  const prev = h(
    'button',
    { class: 'btn icon', type: 'button', 'aria-label': 'Hari sebelumnya' },
    '‹',
  );
  const next = h(
    'button',
    { class: 'btn icon', type: 'button', 'aria-label': 'Hari berikutnya' },
    '›',
  );
  const picker = h('input', { type: 'date', id: 'day', 'aria-label': 'Pilih tanggal' });
  const dayCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'day-title' },
    h('div', { class: 'day-nav' }, prev, picker, next),
    dayTitle,
    dayNote,
    dayList,
  );
  // The last seven days as the server counts them: hadir, izin, libur, TL/PSW and why.
  const weekList = h('ul', { class: 'list', id: 'week-list' });
  const weekCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'week-title', hidden: true },
    h('h2', { id: 'week-title' }, '7 hari terakhir'),
    weekList,
  );
  const el = h('div', { class: 'screen' }, queueCard, dayCard, weekCard);

  function drawWeek(days) {
    weekCard.hidden = !days || days.length === 0;
    if (weekCard.hidden) return;
    weekList.replaceChildren(
      ...[...days].reverse().map((d) =>
        h(
          'li',
          { class: 'item' },
          h(
            'div',
            { class: 'item-head' },
            h('strong', null, dayName(d.day)),
            h('span', { class: `day-${d.status}` }, DAY_STATUS[d.status] || d.status),
          ),
          d.reasons && d.reasons.length
            ? h(
                'ul',
                { class: 'reasons' },
                d.reasons.map((r) => h('li', null, r)),
              )
            : null,
        ),
      ),
    );
  }

  async function loadWeek() {
    const key = `week:${app.owner()}`;
    const today = app.today();
    try {
      const cached = await getKv(key);
      if (cached && cached.today === today) drawWeek(cached.days);
      if (!navigator.onLine) return;
      const days = await api(
        `/api/v1/days?start=${shiftDate(today, -6)}&end=${encodeURIComponent(today)}`,
      );
      if (!Array.isArray(days)) return;
      await setKv(key, { today, days });
      drawWeek(days);
    } catch {
      // offline or expired: the cached week stays
    }
  }

  prev.addEventListener('click', () => go(shiftDate(date, -1)));
  next.addEventListener('click', () => go(shiftDate(date, 1)));
  picker.addEventListener('change', () => picker.value && go(picker.value));

  function go(day) {
    const today = app.today();
    date = day > today ? today : day;
    refresh();
    app.refreshDay(date);
  }

  function queueRow(record) {
    const item = record.item;
    const buttons = [];
    if (record.state === 'failed') {
      buttons.push(
        failedActions(app, item, 'Hapus presensi ini dari ponsel? Presensi ini tidak akan dikirim.'),
      );
    }
    return h(
      'li',
      { class: `item item-${record.state}` },
      h(
        'div',
        { class: 'item-head' },
        h('strong', null, `${KIND[record.kind]} ${timeIn(record.capturedAt, tz)}`),
        h('span', { class: 'hint' }, dayName(record.date)),
        chip(record.state),
      ),
      h('p', { class: 'hint' }, app.explain(record)),
      reasonList(record),
      buttons,
    );
  }

  function dayRow(record) {
    const fence = record.geofence;
    const target = record.id === targetId;
    return h(
      'li',
      {
        class: `item item-${record.state}${target ? ' target' : ''}`,
        'data-checkin-id': record.id,
        tabindex: target ? '-1' : null,
      },
      h(
        'div',
        { class: 'item-head' },
        h('strong', null, `${KIND[record.kind]} ${timeIn(record.capturedAt, tz)}`),
        chip(record.state),
      ),
      fence ? h('p', { class: 'hint' }, fence.location_name || '') : null,
      record.workDate && record.workDate !== date
        ? h('p', { class: 'hint' }, `Dihitung untuk ${dayName(record.workDate)}`)
        : null,
      reasonList(record),
    );
  }

  // A link to one check-in: its day, wherever in the past it is.
  async function openTarget(target) {
    targetId = target.id;
    focusTarget = true;
    const owner = app.owner();
    let known = (await allCheckins(owner)).find((c) => c.id === target.id);
    if (navigator.onLine) {
      try {
        known = await api(`/api/v1/checkins/${target.id}`);
        await saveCheckin(known, owner);
      } catch {
        // offline, or not one's own: the day stays as it is
      }
    }
    if (known) date = known.work_date;
    app.refreshDay(date);
  }

  async function refresh() {
    const target = app.takeTarget('presensi');
    if (target) await openTarget(target);
    const queued = await app.queue();
    queueCard.hidden = queued.length === 0;
    const failed = queued.filter((r) => r.state === 'failed').length;
    queueCard.replaceChildren(
      h('h2', { id: 'queue-title' }, `Antrean di ponsel (${queued.length})`),
      h(
        'p',
        { class: 'hint' },
        failed
          ? `${failed} ditolak server dan tidak dikirim ulang otomatis. Periksa alasannya.`
          : 'Dikirim otomatis saat ada sinyal. Jangan hapus data browser.',
      ),
      h('ul', { class: 'list' }, queued.map(queueRow)),
    );

    const today = app.today();
    picker.value = date;
    picker.max = today;
    next.disabled = date >= today;
    dayTitle.textContent = date === today ? `Hari ini, ${dayName(date)}` : dayName(date);
    const records = (await app.records(date)).filter((r) => r.checkin);
    const waiting = queued.filter((r) => r.date === date).length;
    dayNote.textContent =
      records.length === 0 && waiting === 0
        ? 'Tidak ada presensi pada tanggal ini.'
        : waiting
          ? `${waiting} presensi tanggal ini masih di antrean ponsel.`
          : '';
    const focused =
      dayList.contains(document.activeElement) && document.activeElement.dataset.checkinId;
    dayList.replaceChildren(...records.map(dayRow));
    if (focused) {
      const again = dayList.querySelector(`[data-checkin-id="${focused}"]`);
      if (again) again.focus();
    }
    const shown = focusTarget && dayList.querySelector('.target');
    if (shown) {
      focusTarget = false;
      shown.focus();
      shown.scrollIntoView({ block: 'center' });
    }
  }

  refresh();
  loadWeek();
  app.refreshDay(date);
  return { el, refresh };
}
