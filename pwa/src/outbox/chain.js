// Signed, hash-chained records (README "Signed records"). Every outbox item gets a chain block
// when it is queued: the device key (pwa/src/devicekey.js, non-extractable) signs a string
// holding the link (key fingerprint, seq, prev) and the record (its kind, the meta as it will
// be sent without sent_at, the SHA-256 of each file part). The server checks the signature,
// that what it received is what was signed, and that the link follows the previous one, and
// flags what does not: a record edited, forged, removed or reordered on the phone.

import { deviceKey, rememberDevice, sha256Hex, sign } from '../devicekey.js';
import { getKv } from './store.js';

const SIGNED_VERSION = 1;
const REGISTER_TIMEOUT_MS = 30_000;

// One at a time per name, across tabs and the service worker (Web Locks), where there are locks.
function locked(name, fn) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  return locks ? locks.request(name, fn) : fn();
}

// The key of `owner` with its fingerprint (hex SHA-256 of the SPKI bytes: the server's name for
// it), made once even when login, a check-in and a sync ask for it at the same moment.
export function ownKey(owner) {
  return locked(`hadir-devicekey-${owner}`, async () => {
    const key = await deviceKey(owner);
    if (key.fingerprint) return key;
    const der = Uint8Array.from(atob(key.spki), (c) => c.charCodeAt(0));
    return rememberDevice(owner, { fingerprint: await sha256Hex(der) });
  });
}

// The SHA-256 of every file the record is sent with, by multipart part name, as the senders
// in ./sync.js name them: a Blob under `selfie` goes as part `selfie`; a list of Blobs under
// `frames` as parts `frame0`, `frame1`, ... The server hashes every part it receives but the
// meta and the chain block, and they must be the same set.
async function fileHashes(body) {
  const files = {};
  for (const [name, value] of Object.entries(body)) {
    if (value instanceof Blob) files[name] = await sha256Hex(value);
    if (Array.isArray(value)) {
      const stem = name.replace(/s$/, '');
      for (const [i, part] of value.entries()) {
        if (part instanceof Blob) files[`${stem}${i}`] = await sha256Hex(part);
      }
    }
  }
  return files;
}

// Makes the chain block of `owner`'s next record and calls `write(block, stateKey, state)`,
// which must store the record and `state` (under `stateKey` in the kv store) in ONE
// transaction: a number is used only by a record that was kept. One record at a time per
// owner. Without WebCrypto (an old browser) `block` is null and the record goes unsigned.
export function chained(owner, kind, body, write) {
  return locked(`hadir-chain-${owner}`, async () => {
    let link = null;
    try {
      const key = await ownKey(owner);
      const stateKey = `chain:${key.fingerprint}`;
      const last = (await getKv(stateKey)) || { seq: 0, hash: '' };
      const files = await fileHashes(body);
      const seq = last.seq + 1;
      const prev = last.hash;
      const device = key.fingerprint;
      const signed = JSON.stringify({
        v: SIGNED_VERSION,
        device,
        seq,
        prev,
        kind,
        meta: body.meta,
        files,
      });
      const hash = await sha256Hex(signed);
      const sig = await sign(owner, signed);
      link = { block: { device, seq, prev, hash, sig, signed }, stateKey, state: { seq, hash } };
    } catch {
      link = null;
    }
    return link ? write(link.block, link.stateKey, link.state) : write(null, null, null);
  });
}

// Makes sure the server knows this device's key before its records are sent, so they are
// judged against it: 'ok' (registered now or before), 'offline' (no answer: send nothing yet,
// try again later), 'refused' (the server said no: records still go, and are flagged there).
export async function registerDevice(owner, token) {
  let key;
  try {
    key = await ownKey(owner);
  } catch {
    return 'ok'; // no WebCrypto: records go unsigned
  }
  if (key.deviceId) return 'ok';
  let response;
  try {
    response = await fetch('/api/v1/devices', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        public_key: key.spki,
        label: String(globalThis.navigator ? navigator.userAgent : '').slice(0, 200),
      }),
      signal: AbortSignal.timeout(REGISTER_TIMEOUT_MS),
    });
  } catch {
    return 'offline';
  }
  if (!response.ok) return 'refused';
  const device = await response.json();
  await locked(`hadir-devicekey-${owner}`, () => rememberDevice(owner, { deviceId: device.id }));
  return 'ok';
}

// The chain block as its own multipart part beside the record's.
export function appendChain(form, item) {
  if (item.chain) form.append('chain', JSON.stringify(item.chain));
}
