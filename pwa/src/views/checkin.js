// The home screen: today's schedule and status, where the phone is against the fence, and
// checking in or out with a selfie. A record goes to the outbox the moment the photo is taken,
// with or without signal; sending is the outbox's job.

import { api } from '../api.js';
import {
  CameraError,
  CHECKIN_BUDGET,
  captureFrame,
  captureFromFile,
  captureFromVideo,
  openCamera,
  stopCamera,
} from '../camera.js';
import { enqueue } from '../outbox/queue.js';
import { getKv, setKv } from '../outbox/store.js';
import { chip, dayName, h, KIND, metres, s, timeIn, toast, zoneName } from '../ui.js';
import { fenceMap, whereAmI } from './geofence.js';

const FIX_MAX_AGE_MS = 2 * 60_000; // an older fix may be from somewhere else
const TITLES = { in: 'Presensi Masuk', out: 'Presensi Pulang' };
export const DAY_STATUS = {
  present: 'Hadir',
  absent: 'Tidak hadir',
  permit: 'Izin/cuti',
  holiday: 'Libur',
  off: 'Tidak bekerja',
  open: 'Belum selesai',
};

// Liveness: before the selfie the phone asks for two of three head moves in random order and
// keeps a few small frames of them (backend/faces/liveness.py judges them). The challenge is
// drawn here, not by the server: check-ins are made offline.
export const STEP_WORDS = {
  left: 'Toleh ke kiri',
  right: 'Toleh ke kanan',
  up: 'Lihat ke atas',
  front: 'Lihat lurus ke kamera',
};
const STEP_ARROWS = { left: '←', right: '→', up: '↑', front: '•' };
const FRONT_MS = 600; // time to look straight before the first frame
const STEP_FRAMES_MS = [800, 1400]; // two frames per step: part way, then turned
const SETTLE_MS = 500; // back to the front before the selfie

export function randomChallenge() {
  const steps = ['left', 'right', 'up'];
  const r = crypto.getRandomValues(new Uint32Array(2));
  const first = steps.splice(r[0] % 3, 1)[0];
  return [first, steps[r[1] % 2]];
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function checkinView(app) {
  const tz = app.timezone();
  const locations = () => (app.me && app.me.locations) || [];
  let fix = null;
  let gps = 'searching';
  let watchId = null;
  let stream = null;
  let kind = 'in';
  let busy = false;
  let challenging = false;
  let last = null; // {clientId, photoUrl} of the record made on this screen
  let day = null; // the server's status of today: {day, status, reasons, ...}
  let dayAfter = null; // the settled records `day` was asked after
  let todayRecords = [];

  // --- today -------------------------------------------------------------------------------
  const today = h('section', { class: 'card', 'aria-labelledby': 'today-title' });

  // --- result of the last record ------------------------------------------------------------
  const result = h('section', {
    class: 'card result',
    id: 'result',
    hidden: true,
    'aria-live': 'polite',
  });

  // --- camera ----------------------------------------------------------------------------------
  const video = h('video', {
    class: 'video',
    playsinline: true,
    muted: true,
    autoplay: true,
    'aria-hidden': 'true',
  });
  const guide = s(
    'svg',
    { class: 'guide', viewBox: '0 0 300 400', 'aria-hidden': 'true', preserveAspectRatio: 'none' },
    s('ellipse', { cx: 150, cy: 180, rx: 92, ry: 124 }),
  );
  const cueArrow = h('span', { class: 'cue-arrow', 'aria-hidden': 'true' });
  const cueText = h('span', { class: 'cue-text' });
  const cue = h(
    'div',
    { class: 'cue', id: 'liveness-cue', hidden: true, role: 'status', 'aria-live': 'assertive' },
    cueArrow,
    cueText,
  );
  const camTitle = h('h2', { id: 'camera-title' });
  const camError = h('p', { class: 'error', role: 'alert', hidden: true });
  const shoot = h(
    'button',
    { class: 'btn primary big', type: 'button', id: 'shoot' },
    'Mulai & ambil foto',
  );
  const cancel = h('button', { class: 'btn big', type: 'button' }, 'Batal');
  const file = h('input', {
    type: 'file',
    accept: 'image/jpeg,image/*',
    capture: 'user',
    id: 'selfie-file',
    class: 'sr-only',
  });
  const camera = h(
    'section',
    { class: 'card camera', hidden: true, 'aria-labelledby': 'camera-title' },
    camTitle,
    h('div', { class: 'frame' }, video, guide, cue),
    h(
      'p',
      { class: 'hint center' },
      'Wajah di dalam bingkai, cukup cahaya, tanpa masker. Setelah menekan tombol, ikuti ' +
        'dua petunjuk gerak kepala; foto diambil otomatis sesudahnya.',
    ),
    camError,
    h('div', { class: 'row' }, cancel, shoot),
    h(
      'label',
      { class: 'btn link', for: 'selfie-file' },
      'Kamera tidak muncul? Pakai kamera ponsel',
    ),
    file,
  );

  // --- location --------------------------------------------------------------------------------
  const where = h('p', { class: 'where', id: 'where', 'aria-live': 'polite' });
  const accuracy = h('p', { class: 'hint', id: 'accuracy' });
  const mapBox = h('div', { class: 'map-box' });
  const place = h(
    'section',
    { class: 'card', 'aria-labelledby': 'place-title' },
    h('h2', { id: 'place-title' }, 'Lokasi Anda'),
    mapBox,
    where,
    accuracy,
    h(
      'p',
      { class: 'legend hint', 'aria-hidden': 'true' },
      h('span', { class: 'key key-fence' }),
      'Area presensi ',
      h('span', { class: 'key key-me' }),
      'Posisi Anda',
    ),
  );

  // --- actions ---------------------------------------------------------------------------------
  const inButton = h('button', { class: 'btn big', type: 'button', id: 'check-in' }, TITLES.in);
  const outButton = h('button', { class: 'btn big', type: 'button', id: 'check-out' }, TITLES.out);
  const actions = h('div', { class: 'actions' }, inButton, outButton);

  const el = h('div', { class: 'screen' }, today, result, camera, place, actions);

  inButton.addEventListener('click', () => ask('in') && startCamera('in'));
  outButton.addEventListener('click', () => ask('out') && startCamera('out'));
  cancel.addEventListener('click', closeCamera);
  shoot.addEventListener('click', async () => {
    if (busy || challenging) return;
    challenging = true;
    shoot.disabled = true;
    camError.hidden = true;
    try {
      const live = await runChallenge();
      if (!live) return; // cancelled
      const used = live.frames.reduce((n, blob) => n + blob.size, 0);
      // What is left of the budget goes to the selfie (multipart headers take ~2 KB).
      await save(await captureFromVideo(video, CHECKIN_BUDGET - used - 2_000), live);
    } catch (e) {
      showCamError(e);
    } finally {
      challenging = false;
      shoot.disabled = false;
      showCue(null);
    }
  });
  file.addEventListener('change', async () => {
    const picked = file.files && file.files[0];
    file.value = '';
    if (!picked) return;
    try {
      await save(await captureFromFile(picked));
    } catch (e) {
      showCamError(e);
    }
  });

  function showCue(step, words) {
    cue.hidden = !step;
    if (!step) return;
    cue.className = `cue cue-${step}`;
    cue.dataset.step = step;
    cueArrow.textContent = STEP_ARROWS[step];
    cueText.textContent = words || STEP_WORDS[step];
  }

  // The challenge: a frontal frame, then two frames per step while the cue shows it. Returns
  // {challenge, frames (Blobs), described ([{part, step}])}, or null when the camera closed.
  async function runChallenge() {
    const challenge = randomChallenge();
    const frames = [];
    const described = [];
    const grab = async (step) => {
      if (!stream) throw new CameraError('Kamera tertutup; tantangan dibatalkan.');
      described.push({ part: `frame${frames.length}`, step });
      frames.push(await captureFrame(video));
    };
    showCue('front');
    await wait(FRONT_MS);
    await grab('front');
    for (const step of challenge) {
      showCue(step);
      const start = Date.now();
      for (const at of STEP_FRAMES_MS) {
        await wait(at - (Date.now() - start));
        await grab(step);
      }
    }
    showCue('front', 'Lihat lurus lagi ke kamera');
    await wait(SETTLE_MS);
    if (!stream) return null;
    return { challenge, frames, described };
  }

  function showCamError(e) {
    camError.textContent = e instanceof CameraError ? e.message : 'Foto gagal diambil. Coba lagi.';
    camError.hidden = false;
  }

  // Before the camera, not after the selfie: what the server would refuse or is likely a slip.
  // One may go on (a dinas luar the phone does not know of). confirm() parses no HTML.
  function ask(which) {
    const said = whereAmI(locations(), currentFix());
    if (said.tone === 'bad' && said.location) {
      const go = window.confirm(
        `${said.text}. Presensi di luar area akan ditolak, kecuali Anda sedang dinas luar ` +
          'yang sudah disetujui ke tempat ini. Tetap ambil selfie?',
      );
      if (!go) return false;
    }
    const good = (r) => r.state !== 'rejected' && r.state !== 'failed';
    const out = todayRecords.filter((r) => r.kind === 'out' && good(r)).pop();
    if (which === 'in' && out) {
      return window.confirm(
        `Anda sudah presensi pulang hari ini pukul ${timeIn(out.capturedAt, tz)}. ` +
          'Presensi masuk lagi? Yang dihitung tetap masuk pertama dan pulang terakhir.',
      );
    }
    return true;
  }

  async function startCamera(which) {
    kind = which;
    camTitle.textContent = `${TITLES[which]}: foto selfie`;
    camError.hidden = true;
    camera.hidden = false;
    actions.hidden = true;
    camera.scrollIntoView({ block: 'start' });
    shoot.focus();
    try {
      stream = await openCamera(video);
    } catch (e) {
      showCamError(e);
    }
  }

  function closeCamera() {
    stopCamera(stream);
    stream = null;
    video.srcObject = null;
    camera.hidden = true;
    actions.hidden = false;
  }

  function currentFix() {
    return fix && Date.now() - fix.at < FIX_MAX_AGE_MS ? fix : null;
  }

  async function save(selfie, live = null) {
    if (busy) return;
    busy = true;
    try {
      const at = currentFix();
      const capturedAt = new Date().toISOString();
      const meta = {
        client_id: uuid(),
        kind,
        // No fix is null, never 0: 0,0 is a real place in the Gulf of Guinea.
        lat: at ? at.lat : null,
        lon: at ? at.lon : null,
        accuracy_m: at ? at.accuracy : null,
        captured_at: capturedAt,
      };
      const body = { meta, selfie };
      if (live) {
        // Blobs in the outbox item beside the selfie; sync sends them as frame0..frameN.
        meta.liveness = { challenge: live.challenge, frames: live.described };
        body.frames = live.frames;
      }
      await enqueue('checkin', body, { owner: app.session.user.nip, capturedAt });
      if (last) URL.revokeObjectURL(last.photoUrl);
      last = { clientId: meta.client_id, photoUrl: URL.createObjectURL(selfie) };
      closeCamera();
      toast(at ? 'Presensi tersimpan di ponsel.' : 'Presensi tersimpan tanpa lokasi GPS.');
      app.outboxChanged();
      await refresh();
      result.scrollIntoView({ block: 'start' });
    } finally {
      busy = false;
    }
  }

  // --- GPS ---------------------------------------------------------------------------------------
  if ('geolocation' in navigator) {
    watchId = navigator.geolocation.watchPosition(
      (position) => {
        const c = position.coords;
        fix = { lon: c.longitude, lat: c.latitude, accuracy: c.accuracy, at: Date.now() };
        gps = 'ok';
        drawPlace();
        app.movedTo(fix);
      },
      (error) => {
        if (error.code === error.PERMISSION_DENIED) gps = 'denied';
        else if (!currentFix()) gps = 'unavailable';
        drawPlace();
      },
      { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 },
    );
  } else {
    gps = 'unsupported';
  }

  // Text is only replaced when it changes: the line is a live region, and a screen reader
  // should not repeat it at every GPS fix.
  const say = (el, text, className) => {
    if (el.textContent !== text) el.textContent = text;
    if (el.className !== className) el.className = className;
  };

  function drawPlace() {
    const now = currentFix();
    const said = whereAmI(locations(), now);
    if (now) {
      say(where, said.text, `where tone-${said.tone}`);
      const limit = said.location && said.location.max_accuracy_m;
      const poor = limit && now.accuracy > limit;
      let text = `Akurasi GPS ±${metres(now.accuracy)}`;
      if (poor) text += ' — kurang akurat; tunggu sebentar di tempat terbuka';
      if (said.hint) text += `. ${said.hint}`;
      say(accuracy, text, poor ? 'hint tone-warn' : 'hint');
    } else {
      const text =
        said.text ||
        {
          searching: 'Mencari lokasi GPS…',
          denied:
            'Izin lokasi ditolak: presensi disimpan tanpa lokasi dan diperiksa BKD. ' +
            'Izinkan lokasi di pengaturan browser.',
          unavailable:
            'Lokasi GPS belum ditemukan. Presensi tetap bisa disimpan tanpa lokasi (diperiksa BKD).',
          unsupported: 'Ponsel ini tidak memberi lokasi GPS. Presensi disimpan tanpa lokasi.',
        }[gps];
      say(where, text, gps === 'searching' ? 'where tone-muted' : 'where tone-warn');
      say(accuracy, gps === 'searching' ? 'Pastikan GPS/lokasi ponsel menyala.' : '', 'hint');
    }
    mapBox.replaceChildren();
    if (said.location) mapBox.append(fenceMap(said.location, now));
    mapBox.hidden = !said.location;
  }

  // --- today and the last result -------------------------------------------------------------
  async function refresh() {
    drawPlace();
    const date = app.today();
    const records = await app.records(date);
    // A refused record does not count while a good one exists: the first good "in".
    const good = (r) => r.state !== 'rejected' && r.state !== 'failed';
    const ins = records.filter((r) => r.kind === 'in');
    const first = ins.find(good) || ins[ins.length - 1];
    const sched =
      app.me && app.me.schedule_today && app.me.schedule_today.date === date
        ? app.me.schedule_today
        : null;
    let schedule = 'Jadwal hari ini belum dimuat.';
    if (sched && !sched.working_day)
      schedule = `Hari libur${sched.holiday ? `: ${sched.holiday}` : ''}`;
    else if (sched && sched.start)
      schedule =
        `Jadwal ${sched.start}–${sched.end} ${zoneName(tz)}` +
        (sched.schedule ? ` · ${sched.schedule}` : '');
    todayRecords = records;
    const status =
      day && day.day === date
        ? h(
            'div',
            { class: 'day-status', id: 'day-status' },
            h(
              'p',
              null,
              'Status hari ini: ',
              h('strong', { class: `day-${day.status}` }, DAY_STATUS[day.status] || day.status),
            ),
            day.reasons && day.reasons.length
              ? h(
                  'ul',
                  { class: 'reasons' },
                  day.reasons.map((r) => h('li', null, r)),
                )
              : null,
          )
        : null;
    const rows = records.map((record) =>
      h(
        'li',
        { class: 'today-row', 'data-client-id': record.clientId },
        h('span', { class: 'today-kind' }, KIND[record.kind] || record.kind),
        h('span', { class: 'today-time' }, timeIn(record.capturedAt, tz)),
        chip(record.state),
        record.workDate && record.workDate !== date
          ? h('span', { class: 'hint' }, `dihitung untuk ${dayName(record.workDate)}`)
          : null,
      ),
    );
    today.replaceChildren(
      h('h2', { id: 'today-title' }, dayName(date)),
      h('p', { class: 'hint' }, schedule),
      rows.length
        ? h('ul', { class: 'today-list', id: 'today-records' }, rows)
        : h('p', { class: 'hint', id: 'today-records' }, 'Belum ada presensi hari ini.'),
      status,
    );
    // The server's day status, asked again whenever a record of the day settles.
    const settled = records
      .filter((r) => r.checkin && r.state !== 'pending')
      .map((r) => `${r.clientId}:${r.state}`)
      .join(',');
    if (dayAfter === null) dayAfter = settled;
    else if (settled !== dayAfter) {
      dayAfter = settled;
      loadDay();
    }
    // Suggest the next step; both stay available (a second "in" after a mistake is allowed).
    const suggestOut = Boolean(first);
    inButton.className = `btn big${suggestOut ? '' : ' primary'}`;
    outButton.className = `btn big${suggestOut ? ' primary' : ''}`;

    if (!last) return;
    const record =
      records.find((r) => r.clientId === last.clientId) || (await app.record(last.clientId));
    if (!record) return;
    result.hidden = false;
    result.dataset.clientId = record.clientId;
    result.replaceChildren(
      h('img', {
        class: 'thumb',
        src: last.photoUrl,
        alt: 'Selfie yang baru diambil',
        width: 72,
        height: 96,
      }),
      h(
        'div',
        { class: 'result-body' },
        h('h2', null, `${KIND[record.kind]} ${timeIn(record.capturedAt, tz)}`),
        chip(record.state),
        h('p', { class: 'result-text' }, app.explain(record)),
        reasonList(record),
      ),
    );
  }

  // Today's status as the server sees it (present, permit, TL/PSW...), kept for offline.
  async function loadDay() {
    const key = `day:${app.owner()}`;
    const date = app.today();
    try {
      const cached = await getKv(key);
      if (cached && cached.day === date && !day) {
        day = cached;
        refresh();
      }
      if (!navigator.onLine) return;
      const answer = await api(`/api/v1/days?start=${encodeURIComponent(date)}`);
      if (Array.isArray(answer) && answer[0]) {
        day = answer[0];
        await setKv(key, day);
        refresh();
      }
    } catch {
      // offline or expired: the cached status stays
    }
  }

  refresh();
  loadDay();
  app.refreshDay(app.today());
  return {
    el,
    refresh,
    destroy() {
      closeCamera();
      if (watchId !== null) navigator.geolocation.clearWatch(watchId);
      if (last) URL.revokeObjectURL(last.photoUrl);
    },
  };
}

// Face reasons carry the model's distance for BKD; the employee reads words (as in the
// server's notifications: backend/faces/service.py EMPLOYEE_WORDS).
const FACE_WORDS = {
  face_match: 'Wajah cocok dengan foto referensi',
  face_mismatch: 'Wajah kurang mirip dengan foto referensi; BKD akan memeriksanya',
  high_risk: 'Beberapa tanda tidak biasa; BKD akan memeriksanya',
  liveness_passed: 'Gerakan kepala sesuai tantangan',
};

export function reasonList(record) {
  const reasons = (record.reasons || []).filter((r) => r && r.message);
  if (record.error)
    return h('p', { class: record.state === 'failed' ? 'error' : 'hint' }, record.error);
  if (reasons.length === 0) return null;
  return h(
    'ul',
    { class: 'reasons' },
    reasons.map((r) =>
      h('li', { class: `reason reason-${r.code}` }, FACE_WORDS[r.code] || r.message),
    ),
  );
}
