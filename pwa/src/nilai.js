// The public rating page (/nilai/<gerai-code>): no login. The rating is kept in IndexedDB
// first and sent from there, oldest first, until the server answers; a citizen in a basement
// with no signal rates anyway and it goes out once the signal returns. The server stores each
// client_id once, so a resend after a lost answer is harmless.
// The page opens without signal after a first visit: its files come from its own service
// worker (/nilai-sw.js, scope /nilai/) and the gerai's questions from the copy kept in
// localStorage when they last loaded.
// Nothing here builds HTML from strings: every text goes in through textContent.

const DB = 'hadir-nilai';
const STORE = 'pending';
const code = decodeURIComponent(location.pathname.split('/')[2] || '');
const root = document.getElementById('nilai');
const status = document.getElementById('status');
const KEPT = `hadir-nilai:gerai:${code}`;
const LOAD_TIMEOUT_MS = 8000;
let sending = false;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function say(text, warn = false) {
  status.textContent = text;
  status.classList.toggle('warn', warn);
  status.hidden = !text;
}

// The thank-you panel of a rating just made tells what became of it; a rating sent later
// (the page opened again) is told in the status line. False: no panel for it.
function outcome(clientId, heading, text) {
  const panel = document.getElementById('done');
  if (!panel || panel.dataset.clientId !== clientId) return false;
  panel.replaceChildren(el('h1', { text: heading }), el('p', { text }));
  panel.classList.toggle('warn', heading !== 'Terima kasih!');
  say('');
  return true;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    // Upgrades only add stores: a queued rating must survive them.
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'client_id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result.result);
    tx.onerror = () => reject(tx.error);
  });
}

async function sendPending() {
  if (sending) return;
  sending = true;
  try {
    const items = await withStore('readonly', (s) => s.getAll());
    for (const item of items) {
      let response;
      try {
        response = await fetch('/api/v1/public/ratings', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(item.body),
          credentials: 'same-origin',
        });
      } catch {
        say('Tidak ada sinyal. Penilaian Anda tersimpan dan akan dikirim otomatis.', true);
        return;
      }
      if (response.status >= 500 || response.status === 429) {
        say('Server sibuk. Penilaian Anda tersimpan dan akan dikirim lagi.', true);
        return;
      }
      await withStore('readwrite', (s) => s.delete(item.client_id));
      let detail = '';
      try {
        detail = (await response.json()).detail || '';
      } catch {
        detail = '';
      }
      if (response.ok) {
        if (!outcome(item.client_id, 'Terima kasih!', 'Penilaian Anda sudah terkirim.')) {
          say('Terima kasih! Penilaian Anda sudah terkirim.');
        }
      } else {
        // 409: this device already rated the gerai in the visit window (the server's words).
        const words = detail || 'Penilaian tidak dapat diterima.';
        const heading = response.status === 409 ? 'Sudah dinilai' : 'Belum dapat diterima';
        if (!outcome(item.client_id, heading, words)) say(words, true);
      }
    }
  } finally {
    sending = false;
  }
}

function choiceGroup(name, legend, options, values) {
  const box = el('div', { class: 'choices' });
  options.forEach((label, index) => {
    const input = el('input', { type: 'radio', name, value: String(values[index]), required: '' });
    box.append(el('label', {}, input, document.createTextNode(label)));
  });
  return el('fieldset', {}, el('legend', { text: legend }), box);
}

function render(gerai) {
  document.title = `Nilai ${gerai.name}`;
  const form = el('form', { novalidate: '' });
  const service = el('select', { name: 'service', required: '' });
  service.append(el('option', { value: '', text: 'Pilih layanan yang Anda gunakan' }));
  for (const name of gerai.services) service.append(el('option', { value: name, text: name }));
  form.append(el('fieldset', {}, el('legend', { text: 'Layanan' }), service));
  gerai.questions.forEach((q, index) => {
    form.append(
      choiceGroup(q.code, `${index + 1}. ${q.question}`, q.answers, [1, 2, 3, 4]),
    );
  });
  const comment = el('textarea', { name: 'comment', maxlength: '1000', placeholder: 'Saran atau masukan (boleh dikosongkan)' });
  form.append(el('fieldset', {}, el('legend', { text: 'Saran dan masukan' }), comment));
  const profile = el('fieldset', {}, el('legend', { text: 'Tentang Anda (boleh dikosongkan)' }));
  for (const field of gerai.profile) {
    const select = el('select', { name: `profile_${field.name}`, 'aria-label': field.label });
    select.append(el('option', { value: '', text: field.label }));
    for (const option of field.options) select.append(el('option', { value: option, text: option }));
    profile.append(select);
  }
  form.append(profile);
  const submit = el('button', { type: 'submit', text: 'Kirim penilaian' });
  form.append(submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const answers = {};
    for (const q of gerai.questions) {
      const value = data.get(q.code);
      if (!value) {
        say(`Mohon jawab pertanyaan: ${q.element}`, true);
        return;
      }
      answers[q.code] = Number(value);
    }
    if (!data.get('service')) {
      say('Mohon pilih layanan yang Anda gunakan.', true);
      return;
    }
    const profileBody = {};
    for (const field of gerai.profile) {
      const value = data.get(`profile_${field.name}`);
      if (value) profileBody[field.name] = value;
    }
    const clientId = crypto.randomUUID();
    const body = {
      client_id: clientId,
      gerai: gerai.code,
      service: String(data.get('service')),
      answers,
      comment: String(data.get('comment') || '').trim(),
      profile: Object.keys(profileBody).length ? profileBody : null,
    };
    submit.disabled = true;
    await withStore('readwrite', (s) => s.put({ client_id: clientId, body, capturedAt: Date.now() }));
    root.replaceChildren(
      el(
        'div',
        { class: 'done', id: 'done', 'data-client-id': clientId },
        el('h1', { text: 'Terima kasih!' }),
        el('p', { text: `Penilaian Anda untuk ${gerai.name} sudah disimpan dan akan dikirim.` }),
      ),
    );
    say('Mengirim…');
    await sendPending();
  });
  root.replaceChildren(el('h1', { text: gerai.name }), el('p', { class: 'agency', text: gerai.agency }), form);
}

function kept() {
  try {
    return JSON.parse(localStorage.getItem(KEPT) || 'null');
  } catch {
    return null;
  }
}

function keep(gerai) {
  try {
    localStorage.setItem(KEPT, JSON.stringify(gerai));
  } catch {
    // storage full or refused: the page still works while there is signal
  }
}

async function loadGerai() {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LOAD_TIMEOUT_MS);
  try {
    const response = await fetch(`/api/v1/public/gerai/${encodeURIComponent(code)}`, {
      signal: abort.signal,
    });
    if (response.status === 404) return { unknown: true };
    if (!response.ok) return { gerai: kept() };
    const gerai = await response.json();
    keep(gerai);
    return { gerai };
  } catch {
    return { gerai: kept() }; // no signal, or too slow: the copy from the last visit
  } finally {
    clearTimeout(timer);
  }
}

async function start() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/nilai-sw.js', { scope: '/nilai/' }).catch(() => {});
  }
  window.addEventListener('online', sendPending);
  setInterval(sendPending, 15_000);
  sendPending();
  const { gerai, unknown } = await loadGerai();
  if (unknown) {
    root.replaceChildren(el('p', { text: 'Gerai tidak dikenal. Periksa kode QR di meja layanan.' }));
    return;
  }
  if (!gerai) {
    root.replaceChildren(el('p', { text: 'Tidak ada sinyal. Coba buka lagi halaman ini saat ada sinyal.' }));
    return;
  }
  render(gerai);
}

start();
