// The service worker: serves the app shell from a versioned cache so every load after the
// first works without signal, and sends the outbox through Background Sync.
//
// Updates never strand anyone: a new version installs its whole shell into a new cache first
// (cache.addAll is all-or-nothing, so a failed download keeps the old version running), waits
// until the user accepts the reload or every tab is closed, and only then removes old caches.
// Queued records live in IndexedDB, never in these caches, so no update can touch them.
//
// VERSION is a hash of the shell's files; tests/browser/test_shell.py checks it, and its
// failure message gives the new value after any change under pwa/.

import { syncOutbox } from './src/outbox/sync.js';

const VERSION = 'dcce78db92fc';
const CACHE = `hadir-shell-${VERSION}`;
// The ASN's app, which must work offline from the first visit: precached at install. The
// screens of other roles (review desk, board, imports, IKM, exits, ...) work online only and
// are kept in the same versioned cache the first time they are opened, so the 2G cold load of
// every ASN does not carry them (tests/browser/test_load.py holds it under 150 KB). The
// citizens' rating page has its own worker (nilai-sw.js).
const SHELL = [
  '/',
  '/src/styles.css',
  '/manifest.webmanifest',
  '/icons/icon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
  '/src/main.js',
  '/src/api.js',
  '/src/ui.js',
  '/src/geo.js',
  '/src/camera.js',
  '/src/devicekey.js',
  '/src/outbox/store.js',
  '/src/outbox/queue.js',
  '/src/outbox/sync.js',
  '/src/outbox/chain.js',
  '/src/views/checkin.js',
  '/src/views/geofence.js',
  '/src/views/history.js',
  '/src/views/login.js',
  '/src/views/permits.js',
  '/src/views/password.js',
  '/src/push.js',
];
// Every other file of pwa/, named so that tests/browser/test_shell.py can tell a forgotten file
// from one left out on purpose. Never precached.
const ON_FIRST_USE = [
  '/src/views/kiosk.js',
  '/src/views/kiosks.js',
  '/src/kiosk.css',
  '/src/views/approvals.js',
  '/src/views/attest.js',
  '/src/views/board.js',
  '/src/views/exits.js',
  '/src/views/imports.js',
  '/src/views/ratings.js',
  '/src/views/recap.js',
  '/src/views/reviews.js',
  '/nilai.html',
  '/nilai-sw.js',
  '/src/nilai.js',
  '/src/nilai.css',
  '/src/poster.css',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        // 'reload' skips the HTTP cache: a stale copy from it would be frozen into this version.
        await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
      } catch (error) {
        await caches.delete(CACHE); // a half-filled cache must not linger beside the good one
        throw error; // the install fails; the running version stays in charge
      }
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('hadir-shell-') && name !== CACHE) await caches.delete(name);
      }
      // The first install takes over the open page at once, so it works offline without a
      // reload; later versions only get here after the user agreed or the old tabs closed.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // The API always goes to the network: check-ins are queued in IndexedDB by the page, and a
  // cached answer would show a stale status.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // The citizens' rating page and its poster are their own small documents, not the app.
  if (
    url.pathname.startsWith('/api/') ||
    url.pathname === '/health' ||
    url.pathname.startsWith('/schema') ||
    url.pathname.startsWith('/nilai/') ||
    url.pathname.startsWith('/admin/') // Piccolo Admin: its own document, not the app's shell
  )
    return;
  event.respondWith(fromShell(request, url));
});

async function fromShell(request, url) {
  const cache = await caches.open(CACHE);
  // Every screen is the same document; the route is in the hash.
  const key = request.mode === 'navigate' ? '/' : url.pathname;
  const hit = await cache.match(key);
  if (hit) return hit;
  const response = await fetch(request);
  // A screen outside the precache, kept for this version on first use.
  if (response.ok && url.pathname.startsWith('/src/')) await cache.put(key, response.clone());
  return response;
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'hadir-outbox') return;
  event.waitUntil(
    syncOutbox({ force: true }).then((result) => {
      // Rejecting asks the browser to fire the event again later, with its own backoff.
      if (result.auth && (result.waiting > 0 || result.busy)) {
        throw new Error(`${result.waiting} presensi belum terkirim`);
      }
    }),
  );
});

// Web Push: the server sends {title, body, url, kind, id}; every push must show a notification
// (userVisibleOnly), so a payload that cannot be read still shows a generic one. The tag is the
// notification's id: delivery is at least once (a worker killed between the push service's
// answer and marking it sent sends it again), and a second copy replaces the first silently
// instead of showing twice.
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = data.title || 'hadir';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || '',
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      tag: data.id ? `hadir-${data.id}` : data.kind || undefined,
      data: { url: data.url || '/' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(
    (event.notification.data && event.notification.data.url) || '/',
    self.location.origin,
  );
  if (target.origin !== self.location.origin) target.href = self.location.origin + '/';
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === target.origin && 'focus' in client) {
          if (client.url !== target.href && 'navigate' in client) {
            await client.navigate(target.href).catch(() => {});
          }
          return client.focus();
        }
      }
      return self.clients.openWindow(target.href);
    })(),
  );
});
