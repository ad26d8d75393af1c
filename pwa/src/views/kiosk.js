// Kiosk mode (/#/kiosk): a shared landscape tablet at an office door (Batu's Block Office). No
// ASN login: an admin registers the kiosk for one location and gets a one-time code; typed here
// once, it registers this tablet's own device key (src/devicekey.js, owner "kiosk"). From then on
// an employee taps "Mulai", looks at the camera and follows two random head movements; the
// frontal frame and the challenge frames are signed with the kiosk's key and sent. The server
// identifies the person among the staff of the kiosk's location and records the check-in, or
// names nobody ("silakan presensi dari ponsel Anda").
//
// Offline: captures wait in this kiosk's own IndexedDB database ("hadir-kiosk", never the ASN's
// outbox) and are sent oldest first when the signal returns; the server identifies them then.
// A capture is sent again with the same client_id until the server answers, so none is lost and
// none is recorded twice. The database only ever gains stores on upgrade; none is dropped.

import { openCamera, captureFromVideo, CameraError, stopCamera } from '../camera.js';
import { deviceKey, rememberDevice, sha256Hex, sign } from '../devicekey.js';
import { fetchWithTimeout } from '../outbox/sync.js';
import { h } from '../ui.js';

const OWNER = 'kiosk';
const DB = 'hadir-kiosk';
const DB_VERSION = 1;
const PROTOCOL = 'hadir-kiosk-v1';
const STEPS = {
  left: 'Tolehkan kepala ke kiri Anda',
  right: 'Tolehkan kepala ke kanan Anda',
  up: 'Angkat dagu, lihat sedikit ke atas',
};
const STEP_MS = 1400; // time to turn the head before the frame is taken
const FRONT_MS = 700;
const FRAME_SIDE = 320; // challenge frames are small: the server only checks the head's pose
const KEEP_DONE = 20;
const RESULT_MS = 8_000;
const IDLE = 'Tekan "Mulai", lihat ke kamera, lalu ikuti petunjuk gerakan kepala.';

// --- this kiosk's own database ------------------------------------------------------------------

let opening = null;
function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        // Only ever add what is missing: a kiosk's waiting captures survive every upgrade.
        if (!db.objectStoreNames.contains('state')) db.createObjectStore('state');
        if (!db.objectStoreNames.contains('captures')) {
          db.createObjectStore('captures', { keyPath: 'clientId' });
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

async function run(store, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(request && request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const getState = (key) => run('state', 'readonly', (s) => s.get(key));
const setState = (key, value) => run('state', 'readwrite', (s) => s.put(value, key));
const putCapture = (item) => run('captures', 'readwrite', (s) => s.put(item));
const deleteCapture = (id) => run('captures', 'readwrite', (s) => s.delete(id));
async function allCaptures() {
  const items = (await run('captures', 'readonly', (s) => s.getAll())) || [];
  return items.sort((a, b) => (a.capturedAt < b.capturedAt ? -1 : 1));
}

// --- capture -----------------------------------------------------------------------------------

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function challenge() {
  const steps = Object.keys(STEPS);
  const first = steps.splice(Math.floor(Math.random() * steps.length), 1)[0];
  const second = steps[Math.floor(Math.random() * steps.length)];
  return [first, second];
}

function smallFrame(video) {
  const scale = Math.min(1, FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new CameraError('Gambar gagal dibuat'))),
      'image/jpeg',
      0.7,
    ),
  );
}

// --- sending -----------------------------------------------------------------------------------

class Stop extends Error {
  constructor(message, { auth = false } = {}) {
    super(message);
    this.auth = auth;
  }
}

// What the server checks (backend/kiosk/service.py signed_message): the protocol, the kiosk id
// and the SHA-256 of every part in the order sent.
async function signedMessage(kioskId, parts) {
  const lines = [PROTOCOL, 'capture', String(kioskId)];
  for (const [name, data] of parts) lines.push(`${name}=${await sha256Hex(data)}`);
  return lines.join('\n');
}

async function send(kiosk, item) {
  const meta = JSON.stringify({
    client_id: item.clientId,
    captured_at: item.capturedAt,
    sent_at: new Date().toISOString(),
    liveness: {
      challenge: item.challenge,
      frames: item.frames.map((f) => ({ part: f.part, step: f.step })),
    },
  });
  const metaBlob = new Blob([meta], { type: 'application/json' });
  const parts = [
    ['meta', metaBlob],
    ['photo', item.photo],
    ...item.frames.map((f) => [f.part, f.blob]),
  ];
  const form = new FormData();
  for (const [name, data] of parts) form.append(name, data, `${name}.jpg`);
  const signature = await sign(OWNER, await signedMessage(kiosk.kiosk_id, parts));
  let response;
  try {
    response = await fetchWithTimeout(
      '/api/v1/kiosk/captures',
      {
        method: 'POST',
        headers: {
          Accept: 'application/json',
          'X-Kiosk-Id': String(kiosk.kiosk_id),
          'X-Kiosk-Signature': signature,
        },
        body: form,
      },
      30_000,
    );
  } catch {
    throw new Stop('Menunggu sinyal');
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    // not JSON
  }
  const detail = (answer && answer.detail) || `Server menjawab ${response.status}`;
  if (response.ok) return answer;
  if (response.status === 401 || response.status === 403) throw new Stop(detail, { auth: true });
  if (response.status >= 500 || response.status === 429) throw new Stop('Server sibuk; dicoba lagi');
  return { failed: detail };
}

// --- the screen --------------------------------------------------------------------------------

export async function kioskMode(root) {
  document.title = 'Kiosk presensi · hadir';
  const css = h('link', { rel: 'stylesheet', href: '/src/kiosk.css' });
  document.head.append(css);
  document.body.classList.add('kiosk-body');
  const el = h('div', { class: 'kiosk', id: 'kiosk' });
  root.replaceChildren(el);
  const kiosk = await getState('kiosk');
  if (kiosk) ready(el, kiosk);
  else activation(el);
}

function activation(el) {
  const code = h('input', {
    id: 'kiosk-code',
    class: 'kiosk-code',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: false,
    placeholder: 'XXXX-XXXX-XXXX',
    'aria-label': 'Kode aktivasi',
  });
  const error = h('p', { class: 'error', id: 'kiosk-error', role: 'alert', hidden: true });
  const button = h('button', { class: 'btn big primary', type: 'submit', id: 'kiosk-activate' }, 'Aktifkan');
  const form = h(
    'form',
    { class: 'kiosk-activation' },
    h('h1', null, 'Aktifkan kiosk presensi'),
    h(
      'p',
      { class: 'hint' },
      'Masukkan kode aktivasi dari admin (menu Akun → Kiosk wajah). Kode hanya berlaku sekali.',
    ),
    code,
    button,
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const typed = code.value.trim();
      const key = await deviceKey(OWNER);
      const response = await fetchWithTimeout(
        '/api/v1/kiosk/activate',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({
            code: typed,
            public_key: key.spki,
            signature: await sign(OWNER, `${PROTOCOL}\nactivate\n${typed}`),
          }),
        },
        20_000,
      );
      const answer = await response.json().catch(() => null);
      if (!response.ok) throw new Error((answer && answer.detail) || `Server menjawab ${response.status}`);
      await rememberDevice(OWNER, { kioskId: answer.kiosk_id });
      await setState('kiosk', answer);
      ready(el, answer);
    } catch (failure) {
      error.textContent =
        failure instanceof TypeError ? 'Tidak ada koneksi internet' : failure.message;
      error.hidden = false;
      button.disabled = false;
    }
  });
  el.replaceChildren(form);
  code.focus();
}

function ready(el, kiosk) {
  const video = h('video', { class: 'kiosk-video', autoplay: true, muted: true, playsinline: true });
  video.muted = true;
  const prompt = h('p', { class: 'kiosk-prompt', id: 'kiosk-prompt', 'aria-live': 'assertive' }, IDLE);
  const result = h('p', { class: 'kiosk-result', id: 'kiosk-result', role: 'status', hidden: true });
  const start = h('button', { class: 'btn big primary kiosk-start', type: 'button', id: 'kiosk-start' }, 'Mulai');
  const banner = h('p', { class: 'error', id: 'kiosk-banner', role: 'alert', hidden: true });
  const net = h('span', { class: 'kiosk-net', id: 'kiosk-net' });
  const list = h('ol', { class: 'kiosk-list', id: 'kiosk-list' });
  el.replaceChildren(
    h(
      'header',
      { class: 'kiosk-head' },
      h('strong', { id: 'kiosk-name' }, kiosk.name),
      h('span', null, ` · ${kiosk.location_name}`),
      net,
    ),
    h(
      'div',
      { class: 'kiosk-main' },
      h('div', { class: 'kiosk-camera' }, video, prompt),
      h('aside', { class: 'kiosk-side' }, result, start, banner, h('h2', null, 'Terakhir'), list),
    ),
  );

  let stream = null;
  let busy = false;
  let resultTimer = null;
  let retryTimer = null;
  let retryMs = 5_000;
  let sending = false;
  let latest = null; // the client_id whose answer is shown big

  const camera = async () => {
    try {
      stream = await openCamera(video);
    } catch (failure) {
      prompt.textContent = failure.message;
      start.disabled = true;
    }
  };

  // "07:12", as the server's greeting writes it (id-ID would write 07.12).
  const clock = (iso) => {
    const parts = new Intl.DateTimeFormat('id-ID', {
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: kiosk.timezone || 'Asia/Jakarta',
    }).formatToParts(new Date(iso));
    const part = (type) => (parts.find((p) => p.type === type) || {}).value || '';
    return `${part('hour')}:${part('minute')}`;
  };

  const showNet = () => {
    net.textContent = navigator.onLine ? ' · Terhubung' : ' · Tanpa sinyal';
    net.className = navigator.onLine ? 'kiosk-net' : 'kiosk-net offline';
  };

  const showResult = (answer) => {
    clearTimeout(resultTimer);
    result.textContent = answer.message;
    result.dataset.outcome = answer.outcome;
    result.hidden = false;
    prompt.textContent = IDLE;
    resultTimer = setTimeout(() => {
      result.hidden = true;
    }, RESULT_MS);
  };

  const render = async () => {
    const items = (await allCaptures()).slice(-8).reverse();
    list.replaceChildren(
      ...items.map((item) => {
        let words;
        if (item.state === 'done') words = item.result.message;
        else if (item.state === 'failed') words = `Ditolak server: ${item.error}`;
        else words = navigator.onLine ? 'Sedang dikirim…' : 'Menunggu sinyal';
        return h(
          'li',
          { class: `kiosk-item ${item.state}`, 'data-state': item.state },
          h('time', null, clock(item.capturedAt)),
          ' ',
          words,
        );
      }),
    );
  };

  const prune = async () => {
    const done = (await allCaptures()).filter((i) => i.state !== 'queued');
    for (const item of done.slice(0, Math.max(0, done.length - KEEP_DONE))) {
      await deleteCapture(item.clientId);
    }
  };

  const sync = async () => {
    if (sending) return;
    sending = true;
    clearTimeout(retryTimer);
    let stopped = null;
    try {
      for (const item of await allCaptures()) {
        if (item.state !== 'queued') continue;
        try {
          const answer = await send(kiosk, item);
          if (answer.failed) {
            Object.assign(item, { state: 'failed', error: answer.failed });
          } else {
            // Answered: the pictures are no longer needed on this tablet.
            Object.assign(item, { state: 'done', result: answer, photo: null, frames: [] });
            if (item.clientId === latest) showResult(answer);
          }
          await putCapture(item);
          banner.hidden = true;
        } catch (failure) {
          if (!(failure instanceof Stop)) throw failure;
          stopped = failure;
          break;
        }
      }
    } finally {
      sending = false;
    }
    if (stopped && stopped.auth) {
      banner.textContent = stopped.message;
      banner.hidden = false;
    }
    if (stopped) {
      retryTimer = setTimeout(sync, retryMs);
      retryMs = Math.min(retryMs * 2, 60_000);
    } else {
      retryMs = 5_000;
    }
    await prune();
    await render();
  };

  start.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    start.disabled = true;
    result.hidden = true;
    try {
      const steps = challenge();
      prompt.textContent = 'Lihat lurus ke kamera';
      await wait(FRONT_MS);
      const capturedAt = new Date().toISOString();
      const photo = await captureFromVideo(video);
      const frames = [];
      for (const [index, step] of steps.entries()) {
        prompt.textContent = STEPS[step];
        await wait(STEP_MS);
        frames.push({ part: `frame${index}`, step, blob: await smallFrame(video) });
      }
      const item = {
        clientId: crypto.randomUUID(),
        capturedAt,
        challenge: steps,
        photo,
        frames,
        state: 'queued',
      };
      await putCapture(item);
      latest = item.clientId;
      prompt.textContent = navigator.onLine
        ? 'Terima kasih. Sedang mengenali wajah…'
        : 'Tersimpan. Dikirim otomatis saat ada sinyal.';
      await render();
      sync();
    } catch (failure) {
      prompt.textContent = failure.message || 'Gagal mengambil gambar; coba lagi';
    } finally {
      busy = false;
      start.disabled = false;
      setTimeout(() => {
        if (!busy) prompt.textContent = IDLE;
      }, 3_000);
    }
  });

  addEventListener('online', () => {
    showNet();
    retryMs = 5_000;
    sync();
  });
  addEventListener('offline', () => {
    showNet();
    render();
  });
  addEventListener('pagehide', () => stopCamera(stream));

  showNet();
  camera();
  render().then(sync);
}
