// The outbox: every action the user takes is kept here until the server has acknowledged it.
//
// An item is {id, kind, body, capturedAt, schemaVersion} (STYLE rule 10) plus its sync
// bookkeeping: owner (the NIP that made it; it is only ever sent with that user's token),
// state ('queued' | 'failed'), attempts, nextTryAt (ms), error (the server's reason).
// `kind` names the action ('checkin' or 'permit'); `schemaVersion` says how `body` is shaped,
// so a sender can still read an item queued by an older version of the app. `chain` is the
// signed chain block made at enqueue (./chain.js), sent beside the record as it was made.

import { chained } from './chain.js';
import { changed, done, transact } from './store.js';

export const SCHEMA_VERSION = 1;

// UPGRADES[v](item) turns a version-v item into version v+1: a new shape adds its step here,
// so a record queued before an app update still goes.
const UPGRADES = {};

// The item in today's shape, {item}, or why this app cannot send it, {refused}.
export function currentShape(item) {
  let v = item.schemaVersion || 1;
  if (v > SCHEMA_VERSION) {
    const why = `Dibuat oleh versi aplikasi yang lebih baru (bentuk ${v}).`;
    return { refused: `${why} Muat ulang aplikasi, lalu tekan "Coba lagi".` };
  }
  let shaped = item;
  for (; v < SCHEMA_VERSION; v += 1) {
    if (!UPGRADES[v]) return { refused: `Dari versi aplikasi lama (bentuk ${v}); buat ulang.` };
    shaped = { ...UPGRADES[v](shaped), schemaVersion: v + 1 };
  }
  return { item: shaped };
}

export async function enqueue(kind, body, { owner, capturedAt }) {
  const item = {
    kind,
    body,
    capturedAt,
    schemaVersion: SCHEMA_VERSION,
    owner,
    state: 'queued',
    attempts: 0,
    nextTryAt: 0,
    error: null,
  };
  // The record and its device's new chain state in one transaction: a number is never used by
  // a record that was not kept, nor kept without its number.
  await chained(owner, kind, body, async (block, stateKey, state) => {
    if (block) item.chain = block;
    item.id = await transact(['outbox', 'kv'], 'readwrite', (tx) => {
      if (block) tx.objectStore('kv').put(state, stateKey);
      return done(tx.objectStore('outbox').add(item));
    });
  });
  changed('outbox');
  return item;
}

// Oldest first: the store's keys are increasing integers.
export const outboxItems = () =>
  transact(['outbox'], 'readonly', (tx) => done(tx.objectStore('outbox').getAll()));

export async function updateItem(item) {
  await transact(['outbox'], 'readwrite', (tx) => done(tx.objectStore('outbox').put(item)));
  changed('outbox');
}

export async function removeItem(id) {
  await transact(['outbox'], 'readwrite', (tx) => done(tx.objectStore('outbox').delete(id)));
  changed('outbox');
}

// The item is delivered: drop it and keep the server's answer, in one transaction, so the
// record is never in neither place.
export async function settleItem(id, checkin, owner) {
  await transact(['outbox', 'checkins'], 'readwrite', (tx) => {
    tx.objectStore('outbox').delete(id);
    if (checkin && checkin.client_id) tx.objectStore('checkins').put({ ...checkin, owner });
  });
  changed('outbox');
}

// A failed item the user wants to try again.
export async function retryItem(item) {
  await updateItem({ ...item, state: 'queued', nextTryAt: 0, error: null });
}
