// The outbox: every action the user takes is kept here until the server has acknowledged it.
//
// An item is {id, kind, body, capturedAt, schemaVersion} (STYLE rule 10) plus its sync
// bookkeeping: owner (the NIP that made it; it is only ever sent with that user's token),
// state ('queued' | 'failed'), attempts, nextTryAt (ms), error (the server's reason).
// `kind` names the action ('checkin' or 'permit'); `schemaVersion` says how `body` is shaped,
// so a sender can still read an item queued by an older version of the app.

import { changed, done, transact } from './store.js';

export const SCHEMA_VERSION = 1;

// How an item queued with an older `schemaVersion` becomes today's shape: UPGRADES[kind][v]
// turns a version-v item into a version-(v+1) one. A new shape adds its step here, so a record
// queued a week before an update still goes. (Version 1 is the first shape.)
const UPGRADES = { checkin: {}, permit: {} };

// What a sender needs of each kind's body.
const COMPLETE = {
  checkin: (body) => Boolean(body && body.meta && body.meta.client_id && body.selfie instanceof Blob),
  permit: (body) => Boolean(body && body.meta && body.meta.client_id),
};

/** An item in today's shape, {item}, or why it cannot be sent, {refused} (in words). */
export function currentShape(item) {
  const version = item.schemaVersion === undefined ? 1 : item.schemaVersion;
  if (!Number.isInteger(version) || version < 1) {
    return { refused: `Data ini berbentuk tidak dikenal (versi ${version}); tidak dapat dikirim.` };
  }
  if (version > SCHEMA_VERSION) {
    return {
      refused:
        `Data ini dibuat oleh versi aplikasi yang lebih baru (bentuk ${version}). Muat ulang ` +
        'aplikasi agar versi terbaru terpasang, lalu tekan "Coba lagi".',
    };
  }
  let shaped = item;
  for (let v = version; v < SCHEMA_VERSION; v += 1) {
    const step = (UPGRADES[item.kind] || {})[v];
    if (!step) {
      return {
        refused:
          `Data ini dari versi aplikasi lama (bentuk ${version}) yang tidak dapat dikirim lagi. ` +
          'Hapus, lalu buat ulang.',
      };
    }
    shaped = { ...step(shaped), schemaVersion: v + 1 };
  }
  const complete = COMPLETE[shaped.kind];
  if (complete && !complete(shaped.body)) {
    return { refused: 'Data ini tidak lengkap (versi aplikasi lain?); tidak dapat dikirim.' };
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
  item.id = await transact(['outbox'], 'readwrite', (tx) =>
    done(tx.objectStore('outbox').add(item)),
  );
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
