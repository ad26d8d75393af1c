// The citizens' rating page's own service worker, scope /nilai/ (registered by src/nilai.js).
// A citizen has no login and never opens the app, so the app's sw.js (scope /) is not theirs:
// this one only keeps the rating page's few files, so that /nilai/<code> opens without signal
// after a first visit (the gerai's questions are kept by the page itself, in localStorage, and
// ratings wait in the page's IndexedDB queue; neither lives in these caches).
//
// It never touches the app's shell caches, and the app's worker leaves /nilai/ alone;
// on a phone that has both, this narrower scope is the one that controls /nilai/ pages.
// VERSION is a hash of FILES; tests/browser/test_nilai.py checks it and gives the new value.
// A new version takes over at once: the page loads no module later, so nothing can mismatch.

const VERSION = 'ef2cd3331746';
const CACHE = `hadir-nilai-${VERSION}`;
const FILES = ['/nilai.html', '/src/nilai.js', '/src/nilai.css', '/icons/icon.svg'];
const PAGE = /^\/nilai\/[^/]+\/?$/; // /nilai/<code>; not the poster, which is for printing

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        await cache.addAll(FILES.map((url) => new Request(url, { cache: 'reload' })));
      } catch (error) {
        await caches.delete(CACHE);
        throw error; // the install fails; the running version (if any) stays
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('hadir-nilai-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  let key = null;
  if (request.mode === 'navigate' && PAGE.test(url.pathname)) key = '/nilai.html';
  else if (FILES.includes(url.pathname)) key = url.pathname;
  if (key === null) return; // the API and everything else: the network, as without a worker
  event.respondWith(
    (async () => {
      const hit = await (await caches.open(CACHE)).match(key);
      return hit || fetch(request);
    })(),
  );
});
