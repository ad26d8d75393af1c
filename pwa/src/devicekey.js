// The device key: an ECDSA P-256 key pair made with WebCrypto on this device, its private half
// non-extractable (script can use it to sign but can never read it out), kept in its own
// IndexedDB database so the outbox's schema never has to change for it. The public half is
// registered with the server as SPKI in base64; the server checks signatures with
// backend/core/signing.py. One key per owner on a device (an ASN's NIP, or a kiosk).

const DB = 'hadir-keys';
const STORE = 'keys';
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' };

let opening = null;

function openKeys() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

async function run(mode, fn) {
  const db = await openKeys();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export function toBase64(bytes) {
  let text = '';
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text);
}

// The stored key of `owner`, or null when this device has none yet.
export async function storedKey(owner) {
  return (await run('readonly', (store) => store.get(owner))) || null;
}

// The key of `owner` on this device, made on first use: {privateKey, publicKey, spki}.
export async function deviceKey(owner) {
  const existing = await storedKey(owner);
  if (existing) return existing;
  const pair = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const spki = toBase64(await crypto.subtle.exportKey('spki', pair.publicKey));
  const key = { privateKey: pair.privateKey, publicKey: pair.publicKey, spki };
  await run('readwrite', (store) => store.put(key, owner));
  return key;
}

// Remembers what the server said about this key (its device id), beside the key itself.
export async function rememberDevice(owner, fields) {
  const key = await deviceKey(owner);
  const updated = { ...key, ...fields };
  await run('readwrite', (store) => store.put(updated, owner));
  return updated;
}

// Signs `data` (a string or bytes) with `owner`'s key: raw r || s in base64, as the server
// expects.
export async function sign(owner, data) {
  const key = await deviceKey(owner);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return toBase64(await crypto.subtle.sign(SIGNING, key.privateKey, bytes));
}

// Hex SHA-256 of a string, bytes or a Blob (a selfie, a frame).
export async function sha256Hex(data) {
  let bytes = data;
  if (typeof data === 'string') bytes = new TextEncoder().encode(data);
  else if (data instanceof Blob) bytes = await data.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
