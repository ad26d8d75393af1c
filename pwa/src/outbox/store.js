// The one IndexedDB database behind the app, used by the page and the service worker alike:
// the outbox, the session (the service worker syncs with its token) and the last known
// check-ins, so the history still shows without signal.
//
// Upgrades only ever add stores and indexes. A queued record may be a week old when it is
// finally sent; dropping or recreating a store on upgrade would lose it (STYLE rule 10).

const NAME = 'hadir';
const VERSION = 1;

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
      request.onsuccess = () => {
        const db = request.result;
        // A newer page or service worker wants a newer schema: step aside so it can upgrade;
        // the next call here reopens.
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

function upgrade(db, oldVersion) {
  // One block per schema version, each only adding stores or indexes, never removing one.
  if (oldVersion < 1) {
    // Key order is insertion order, so a cursor replays the oldest record first.
    db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
    db.createObjectStore('kv');
    const checkins = db.createObjectStore('checkins', { keyPath: 'client_id' });
    checkins.createIndex('work_date', 'work_date');
  }
}

export function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Runs `fn(transaction)` and resolves with its result once the transaction has committed,
// so callers never act on a write that could still roll back.
export async function transact(stores, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException('Transaksi dibatalkan', 'AbortError'));
    Promise.resolve()
      .then(() => fn(tx))
      .then(
        (value) => {
          result = value;
        },
        (error) => {
          try {
            tx.abort();
          } catch {
            // already finished
          }
          reject(error);
        },
      );
  });
}

export const getKv = (key) =>
  transact(['kv'], 'readonly', (tx) => done(tx.objectStore('kv').get(key)));
export const setKv = (key, value) =>
  transact(['kv'], 'readwrite', (tx) => done(tx.objectStore('kv').put(value, key)));
export const deleteKv = (key) =>
  transact(['kv'], 'readwrite', (tx) => done(tx.objectStore('kv').delete(key)));

// --- session ------------------------------------------------------------------------------

// {token, expiresAt (ms), user} while logged in; {token: null, expired: true, reason, user} once
// the server refused the token, so the login screen knows whose records are waiting and why the
// session ended (the server's words: an account deactivated, a password or role changed).
export const getSession = () => getKv('session');

export function validSession(session) {
  return Boolean(session && session.token && session.expiresAt > Date.now());
}

export async function expireSession(reason = null) {
  const session = await getSession();
  if (session && session.token) {
    await setKv('session', { ...session, token: null, expired: true, reason });
    changed('session');
  }
}

// --- known check-ins (the server's answers) -------------------------------------------------

export const saveCheckin = (checkin, owner) =>
  transact(['checkins'], 'readwrite', (tx) =>
    done(tx.objectStore('checkins').put({ ...checkin, owner })),
  );

export const checkinsOn = (workDate, owner) =>
  transact(['checkins'], 'readonly', (tx) =>
    done(tx.objectStore('checkins').index('work_date').getAll(workDate)),
  ).then((rows) => rows.filter((row) => row.owner === owner));

export const allCheckins = (owner) =>
  transact(['checkins'], 'readonly', (tx) => done(tx.objectStore('checkins').getAll())).then(
    (rows) => rows.filter((row) => row.owner === owner),
  );

// The server's answers are a cache of what it holds; older days are fetched again when asked
// for, so they need not fill a small phone. (The outbox is never pruned.)
export const pruneCheckins = (beforeDate) =>
  transact(['checkins'], 'readwrite', (tx) => {
    const range = IDBKeyRange.upperBound(beforeDate, true);
    const cursor = tx.objectStore('checkins').index('work_date').openCursor(range);
    cursor.onsuccess = () => {
      if (!cursor.result) return;
      cursor.result.delete();
      cursor.result.continue();
    };
  });

// --- change notices across tabs and the service worker --------------------------------------

const local = new EventTarget();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('hadir') : null;
if (channel) {
  channel.onmessage = (event) =>
    local.dispatchEvent(new CustomEvent('change', { detail: event.data }));
}

export function changed(what) {
  // A BroadcastChannel does not echo to its own context, so tell local listeners directly.
  local.dispatchEvent(new CustomEvent('change', { detail: what }));
  if (channel) channel.postMessage(what);
}

export function onChange(listener) {
  const handler = (event) => listener(event.detail);
  local.addEventListener('change', handler);
  return () => local.removeEventListener('change', handler);
}
