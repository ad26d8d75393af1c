// Replays the outbox to the server, from the page (start, reconnect, timer) and from the
// service worker (Background Sync). The same rules everywhere (STYLE rule 10):
//   2xx (201 new, 200 replay of the same client_id)  -> delivered, removed from the outbox
//   401                                             -> kept as is; the user must log in again
//                                                      (the server's reason is kept with the
//                                                      ended session for the login screen)
//   408, 429, 5xx, network error, timeout            -> kept, retried later with backoff
//   any other 4xx                                    -> kept as failed, with the server's reason
// Each record goes as one small multipart request with a fresh sent_at on every try.

import { appendChain, registerDevice } from './chain.js';
import { currentShape, outboxItems, settleItem, updateItem } from './queue.js';
import { expireSession, getSession, validSession } from './store.js';

export const RETRY_BASE_MS = 5_000;
export const RETRY_MAX_MS = 10 * 60_000;
const SEND_TIMEOUT_MS = 60_000; // a 50 KB selfie over a poor 2G link can take half a minute

export function backoffMs(attempts) {
  const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay * (0.8 + Math.random() * 0.4)); // jitter: phones must not sync in step
}

export async function fetchWithTimeout(url, options = {}, timeoutMs = SEND_TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, { ...options, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

// How each kind of item is sent, by kind and schemaVersion.
const SENDERS = {
  checkin: (item, token) => {
    const meta = { ...item.body.meta, sent_at: new Date().toISOString() };
    const form = new FormData();
    form.append('meta', JSON.stringify(meta));
    form.append('selfie', item.body.selfie, 'selfie.jpg');
    // The liveness frames, as meta.liveness names them; records queued before the challenge
    // existed have none and go as they always did.
    (item.body.frames || []).forEach((frame, i) => form.append(`frame${i}`, frame, `frame${i}.jpg`));
    appendChain(form, item);
    return fetchWithTimeout('/api/v1/checkins', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
  },
  // A permit request: body {meta, attachment?}; meta carries its own client_id, so a replay
  // after a lost answer is a 200, never a second request.
  permit: (item, token) => {
    const form = new FormData();
    form.append('meta', JSON.stringify(item.body.meta));
    const file = item.body.attachment;
    if (file) form.append('attachment', file, item.body.attachmentName || 'lampiran');
    appendChain(form, item);
    return fetchWithTimeout('/api/v1/permits', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
  },
  // A head of unit's attestation (no signal for days): body {meta} with its own client_id; sent
  // as JSON with a fresh sent_at, so the server corrects the phone's clock as for check-ins. The
  // device's signed chain block, where the outbox item carries one, goes as `chain`.
  attestation: (item, token) =>
    fetchWithTimeout('/api/v1/attestations', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        ...item.body.meta,
        ...(item.chain ? { chain: item.chain } : {}),
        sent_at: new Date().toISOString(),
      }),
    }),
};

// The server's words when it ended the session itself (code `session_ended`); null for a token
// that simply expired, which the login screen words on its own.
async function endedReason(response) {
  try {
    const body = await response.json();
    if (body && body.code === 'session_ended' && typeof body.detail === 'string') {
      return body.detail;
    }
  } catch {
    // not JSON
  }
  return null;
}

async function reason(response) {
  try {
    const body = await response.json();
    if (body && typeof body.detail === 'string' && body.detail) return body.detail;
  } catch {
    // not JSON: fall through to the status line
  }
  return `Server menjawab ${response.status}`;
}

// One try of one item: {outcome: 'sent' | 'retry' | 'failed' | 'auth' | 'offline', nextTryAt}.
async function attempt(queued, token) {
  // Read by its schemaVersion: an older shape is brought up to date; one this app cannot read
  // is kept as failed with the reason, never sent half-understood.
  const { item, refused } = currentShape(queued);
  const send = SENDERS[queued.kind];
  if (refused || !send) {
    const error = refused || `Jenis data tidak dikenal: ${queued.kind}`;
    await updateItem({ ...queued, state: 'failed', error });
    return { outcome: 'failed' };
  }
  let response;
  try {
    response = await send(item, token);
  } catch {
    // Offline, dropped mid-request or timed out: the server may or may not have it; the
    // same client_id makes the next try safe either way.
    const attempts = item.attempts + 1;
    const nextTryAt = Date.now() + backoffMs(attempts);
    await updateItem({ ...item, attempts, nextTryAt, error: 'Tidak ada koneksi ke server' });
    return { outcome: 'offline', nextTryAt };
  }
  if (response.ok) {
    let checkin = null;
    try {
      checkin = await response.json();
    } catch {
      // delivered all the same; the history will fetch it
    }
    // Only a check-in answer belongs in the check-in cache; the permit list is fetched again.
    await settleItem(item.id, item.kind === 'checkin' ? checkin : null, item.owner);
    return { outcome: 'sent' };
  }
  if (response.status === 401) return { outcome: 'auth', why: await endedReason(response) };
  const status = response.status;
  if (status >= 500 || status === 408 || status === 429) {
    const attempts = item.attempts + 1;
    const nextTryAt = Date.now() + backoffMs(attempts);
    const error = `${await reason(response)} (akan dicoba lagi)`;
    await updateItem({ ...item, attempts, nextTryAt, error });
    return { outcome: 'retry', nextTryAt };
  }
  await updateItem({
    ...item,
    state: 'failed',
    attempts: item.attempts + 1,
    error: await reason(response),
    failedStatus: status,
  });
  return { outcome: 'failed' };
}

// Sends every due item of the logged-in user, oldest first. `force` ignores the backoff
// (reconnect, app start, the user's own action). Returns counts: `waiting` items are left to
// retry, the earliest at `retryAt` (ms); `auth` is false when the user must log in first.
export async function syncOutbox({ force = false } = {}) {
  // One sync at a time across tabs and the service worker; a second caller just returns,
  // the running one will see its items.
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (locks) {
    return locks.request('hadir-outbox-sync', { ifAvailable: true }, (lock) =>
      lock ? drain(force) : { ...EMPTY, busy: true },
    );
  }
  return drain(force);
}

const EMPTY = {
  busy: false,
  sent: 0, // check-ins delivered
  permits: 0, // permit requests delivered
  attestations: 0, // attestations delivered
  failed: 0,
  waiting: 0,
  retryAt: null,
  auth: true,
};

async function drain(force) {
  const result = { ...EMPTY };
  const wait = (at) => {
    result.waiting += 1;
    result.retryAt = result.retryAt === null ? at : Math.min(result.retryAt, at);
  };
  const session = await getSession();
  if (!validSession(session)) {
    result.auth = false;
    return result;
  }
  let offlineUntil = null;
  // The device key is registered before its records go, so the server judges them against
  // it (records queued before the first registration included). No answer: nothing goes yet.
  if ((await registerDevice(session.user.nip, session.token)) === 'offline') {
    offlineUntil = Date.now() + backoffMs(1);
  }
  for (const item of await outboxItems()) {
    if (item.state === 'failed' || item.owner !== session.user.nip) continue;
    if (offlineUntil !== null) {
      wait(offlineUntil);
      continue;
    }
    if (!force && item.nextTryAt > Date.now()) {
      wait(item.nextTryAt);
      continue;
    }
    const { outcome, nextTryAt, why } = await attempt(item, session.token);
    if (outcome === 'sent') {
      if (item.kind === 'permit') result.permits += 1;
      else if (item.kind === 'attestation') result.attestations += 1;
      else result.sent += 1;
    }
    else if (outcome === 'failed') result.failed += 1;
    else if (outcome === 'auth') {
      await expireSession(why);
      result.auth = false;
      break;
    } else {
      wait(nextTryAt);
      // No link: the rest would fail the same way; leave them untouched until the next round.
      if (outcome === 'offline') offlineUntil = nextTryAt;
    }
  }
  return result;
}
