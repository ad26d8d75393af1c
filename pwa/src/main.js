// The app shell: session, screens, the sync schedule and the service worker.
//
// Sync runs on app start, on reconnect, right after a record is made, on a timer with backoff
// (src/outbox/sync.js says when the next try is due) and, where the browser has it, through
// Background Sync in the service worker, which also works after the app is closed.

import { api } from './api.js';
import { haversineM } from './geo.js';
import { outboxItems } from './outbox/queue.js';
import {
  allCheckins,
  changed,
  getKv,
  getSession,
  onChange,
  pruneCheckins,
  saveCheckin,
  setKv,
  validSession,
} from './outbox/store.js';
import { syncOutbox } from './outbox/sync.js';
import { h, localDate, shiftDate, timeIn, toast } from './ui.js';
import { checkinView } from './views/checkin.js';
import { accountView, loginView } from './views/login.js';

const TABS = [
  { route: 'presensi', label: 'Presensi', view: checkinView },
  {
    route: 'riwayat',
    label: 'Riwayat',
    // Not on the first screen: loaded when opened, to keep the cold load over 2G small.
    view: (app) => lazyView(app, () => import('./views/history.js'), 'historyView'),
  },
  {
    route: 'izin',
    label: 'Izin',
    view: (app) => lazyView(app, () => import('./views/permits.js'), 'permitsView'),
  },
  {
    route: 'persetujuan',
    label: 'Persetujuan',
    roles: ['kepala_unit', 'bkd', 'admin'],
    view: (app) => lazyView(app, () => import('./views/approvals.js'), 'approvalsView'),
  },
  {
    route: 'verifikasi',
    label: 'Verifikasi',
    roles: ['bkd'],
    view: (app) => lazyView(app, () => import('./views/reviews.js'), 'reviewsView'),
  },
  {
    route: 'papan',
    label: 'Papan',
    roles: ['command', 'bkd'],
    view: (app) => lazyView(app, () => import('./views/board.js'), 'boardView'),
  },
  {
    route: 'hari-ini',
    label: 'Hari ini',
    roles: ['kepala_unit'],
    unlessRoles: ['command', 'bkd'], // they reach their unit's today from the board
    view: (app) => lazyView(app, () => import('./views/board.js'), 'todayView'),
  },
  { route: 'akun', label: 'Akun', view: accountView },
  // Not a tab: opened from the account screen, and the only screen after a login with a
  // one-time password (`must_change_password`) until a new one is chosen.
  {
    route: 'sandi',
    label: 'Ganti kata sandi',
    hidden: true,
    view: (app) => lazyView(app, () => import('./views/password.js'), 'passwordView'),
  },
  // Not a tab either (seven would not fit 360 px): BKD and admins open it from "Akun".
  {
    route: 'impor',
    label: 'Impor data induk',
    hidden: true,
    roles: ['bkd', 'admin'],
    view: (app) => lazyView(app, () => import('./views/imports.js'), 'importsView'),
  },
  // Not a tab: the monthly recap and its downloads, opened from "Akun".
  {
    route: 'rekap',
    label: 'Rekap bulanan',
    hidden: true,
    roles: ['kepala_unit', 'bkd', 'admin', 'command'],
    view: (app) => lazyView(app, () => import('./views/recap.js'), 'recapView'),
  },
  // Not tabs either: the back office's desks, opened from "Akun" (BKD and admins).
  {
    route: 'area',
    label: 'Area presensi',
    hidden: true,
    roles: ['bkd', 'admin'],
    view: (app) => lazyView(app, () => import('/desk/fences.js'), 'fencesView'),
  },
  {
    route: 'wajah',
    label: 'Pendaftaran wajah',
    hidden: true,
    roles: ['bkd', 'admin'],
    view: (app) => lazyView(app, () => import('/desk/faces.js'), 'facesView'),
  },
  {
    route: 'pegawai',
    label: 'Kelola pegawai',
    hidden: true,
    roles: ['admin'],
    view: (app) => lazyView(app, () => import('/desk/employees.js'), 'employeesView'),
  },
  // Not a tab: the SKM of the gerai (IKM, comments, XLSX report), opened from "Akun". Any ASN
  // may supervise a gerai; the server decides which gerai each one may read.
  {
    route: 'ikm',
    label: 'Survei kepuasan (IKM)',
    hidden: true,
    roles: ['asn', 'kepala_unit', 'bkd', 'command'],
    view: (app) => lazyView(app, () => import('./views/ratings.js'), 'ratingsView'),
  },
  // Not a tab: face kiosks at office doors (register, list, revoke), opened from "Akun".
  {
    route: 'kiosk-wajah',
    label: 'Kiosk wajah',
    hidden: true,
    roles: ['bkd', 'admin'],
    view: (app) => lazyView(app, () => import('./views/kiosks.js'), 'kiosksView'),
  },
  // Not tabs: a head attests staff's days with no signal (from "Hari ini" and "Akun"); BKD and
  // admins see how often each head attests (from "Akun").
  {
    route: 'atestasi',
    label: 'Atestasi kehadiran',
    hidden: true,
    roles: ['kepala_unit'],
    view: (app) => lazyView(app, () => import('./views/attest.js'), 'attestView'),
  },
  {
    route: 'atestasi-bkd',
    label: 'Atestasi per kepala unit',
    hidden: true,
    roles: ['bkd', 'admin'],
    view: (app) => lazyView(app, () => import('./views/attest.js'), 'attestSummaryView'),
  },
  // Not a tab: exit-camera events (evidence, not sanctions), opened from "Akun" and from the
  // push notification (backend/cctv/exits.py SCREEN_URL).
  {
    route: 'keluar-kantor',
    label: 'Keluar kantor tanpa izin',
    hidden: true,
    roles: ['kepala_unit', 'bkd', 'admin'],
    view: (app) => lazyView(app, () => import('./views/exits.js'), 'exitsView'),
  },
];
const POLL_FAST_MS = 5_000; // while a fresh record waits for its face check
const POLL_SLOW_MS = 30_000;
const NEAR_REFRESH_M = 1000;
const KEEP_DAYS = 62; // the server's answers kept for offline history: this month and the last

const $ = (id) => document.getElementById(id);

const app = {
  session: null,
  me: null,
  lastFix: null,
  meNear: null,
  view: null,
  route: null,
  target: null, // {kind, id} of a record link, taken by the screen showing it

  takeTarget(kind) {
    const target = this.target && this.target.kind === kind ? this.target : null;
    if (target) this.target = null;
    return target;
  },

  timezone() {
    const user = this.session && this.session.user;
    return (
      (this.me && this.me.schedule_today.timezone) || (user && user.unit.timezone) || 'Asia/Jakarta'
    );
  },
  today() {
    return localDate(this.timezone());
  },
  owner() {
    return this.session && this.session.user ? this.session.user.nip : null;
  },

  // Everything of one local day: server answers, and records still in the outbox. A record
  // taken that day but counted for the next shift (a late "Masuk") is there too.
  async records(date) {
    const owner = this.owner();
    const tz = this.timezone();
    const [queued, known] = await Promise.all([this.queue(), allCheckins(owner)]);
    const fromServer = known
      .map((c) => fromCheckin(c, tz))
      .filter((r) => r.workDate === date || r.date === date);
    const ids = new Set(fromServer.map((r) => r.clientId));
    const merged = [
      ...fromServer,
      ...queued.filter((r) => r.date === date && !ids.has(r.clientId)),
    ];
    return merged.sort((a, b) => (a.capturedAt < b.capturedAt ? -1 : 1));
  },
  async record(clientId) {
    const owner = this.owner();
    const queued = (await this.queue()).find((r) => r.clientId === clientId);
    if (queued) return queued;
    const known = (await allCheckins(owner)).find((c) => c.client_id === clientId);
    return known ? fromCheckin(known, this.timezone()) : null;
  },
  // The check-ins in the outbox of the logged-in user, oldest first.
  async queue() {
    const owner = this.owner();
    const tz = this.timezone();
    return (await outboxItems())
      .filter((item) => item.owner === owner && item.kind === 'checkin')
      .map((item) => fromItem(item, tz));
  },
  async waitingCount(nip) {
    if (!nip) return 0;
    return (await outboxItems()).filter((item) => item.owner === nip).length;
  },

  explain(record) {
    const tz = this.timezone();
    switch (record.state) {
      case 'queued':
        if (!navigator.onLine) return 'Tersimpan di ponsel. Dikirim otomatis saat ada sinyal.';
        if (record.nextTryAt > Date.now()) {
          const at = timeIn(new Date(record.nextTryAt).toISOString(), tz);
          return `Tersimpan di ponsel. Dicoba kirim lagi pukul ${at}.`;
        }
        return 'Tersimpan di ponsel. Sedang dikirim…';
      case 'failed':
        return 'Server menolak data ini; tidak dikirim ulang otomatis.';
      case 'pending':
        return 'Terkirim. Menunggu verifikasi wajah.';
      case 'accepted':
        return 'Presensi diterima.';
      case 'flagged':
        return 'Terkirim. Perlu diperiksa BKD; alasannya di bawah.';
      case 'rejected':
        return 'Presensi ditolak; alasannya di bawah.';
      default:
        return '';
    }
  },

  async refreshDay(date) {
    if (!validSession(this.session) || !navigator.onLine) return;
    try {
      const day = await api(`/api/v1/checkins?date=${encodeURIComponent(date)}`);
      const owner = this.owner();
      await Promise.all(day.items.map((c) => saveCheckin(c, owner)));
      changed('checkins');
    } catch {
      // offline or expired: the cached list stays on screen
    }
  },

  outboxChanged() {
    runSync(true);
    registerBackgroundSync();
  },

  // The phone's position, from the check-in screen's GPS. A unit with more fences than /me
  // sends (locations_total) gets those nearest to the phone: asked again once it has moved a
  // kilometre from where the list was made.
  async movedTo(fix) {
    this.lastFix = { lon: fix.lon, lat: fix.lat };
    const me = this.me;
    if (!me || !(me.locations_total > me.locations.length)) return;
    const at = this.meNear;
    if (at && haversineM(at.lon, at.lat, fix.lon, fix.lat) < NEAR_REFRESH_M) return;
    this.meNear = this.lastFix;
    await refreshMe();
    if (this.view && this.view.refresh) this.view.refresh();
  },

  async loggedIn(session) {
    this.session = session;
    if (this.me && this.me.user.nip !== session.user.nip) this.me = null; // another user's unit
    await refreshMe();
    persistStorage();
    const link = RECORD_LINK.test(location.hash) && location.hash; // opened while logged out
    location.hash = mustChangePassword(session) ? '#/sandi' : link || '#/presensi';
    show();
    runSync(true);
  },
  async loggedOut() {
    this.session = await getSession();
    this.me = null;
    show();
  },
};

function fromItem(item, tz) {
  const meta = (item.body && item.body.meta) || {}; // an unknown shape is listed too
  return {
    clientId: meta.client_id,
    kind: meta.kind,
    capturedAt: item.capturedAt,
    date: localDate(tz, new Date(item.capturedAt)),
    state: item.state,
    error: item.error,
    nextTryAt: item.nextTryAt,
    reasons: [],
    item,
  };
}

function fromCheckin(c, tz) {
  const capturedAt = c.corrected_captured_at || c.captured_at;
  return {
    id: c.id,
    clientId: c.client_id,
    kind: c.kind,
    capturedAt,
    date: tz ? localDate(tz, new Date(capturedAt)) : c.work_date, // the day it was taken
    workDate: c.work_date, // the day it counts for
    state: c.status,
    reasons: c.reasons,
    geofence: c.geofence,
    checkin: c,
  };
}

// Screens not everyone opens load on first use (from the service worker's cache offline).
async function lazyView(app, load, name) {
  const module = await load();
  return module[name](app);
}

async function refreshMe() {
  if (!validSession(app.session)) return;
  try {
    const fix = app.lastFix;
    const near = fix ? `?lon=${fix.lon.toFixed(5)}&lat=${fix.lat.toFixed(5)}` : '';
    app.me = await api(`/api/v1/me${near}`);
    await setKv('me', app.me);
  } catch {
    // offline: keep the cached copy
  }
}

// --- screens -----------------------------------------------------------------------------------

function mustChangePassword(session) {
  return Boolean(session && session.user && session.user.must_change_password);
}

// Notification links: "#/izin/12" opens the permit on Izin, "#/presensi/34" the check-in on
// Riwayat (older ones said "#izin/12").
const RECORD_LINK = /^#\/?(izin|presensi)\/(\d{1,10})$/;
const RECORD_ROUTE = { izin: 'izin', presensi: 'riwayat' };

function currentRoute() {
  if (mustChangePassword(app.session)) return 'sandi';
  const link = location.hash.match(RECORD_LINK);
  if (link) {
    app.target = { kind: link[1], id: Number(link[2]) };
    return RECORD_ROUTE[link[1]];
  }
  // Only "#/name" is a route; other fragments (the skip link's "#view") leave the screen as is.
  if (!location.hash.startsWith('#/') && app.route && app.route !== 'login') return app.route;
  const route = location.hash.replace(/^#\/?/, '');
  const allowed = tabsFor(app.session);
  return allowed.some((t) => t.route === route) ? route : 'presensi';
}

function tabsFor(session) {
  const roles = (session && session.user && session.user.roles) || [];
  return TABS.filter(
    (t) =>
      (!t.roles || t.roles.some((role) => roles.includes(role))) &&
      !(t.unlessRoles || []).some((role) => roles.includes(role)),
  );
}

let showing = 0;
async function show() {
  const token = ++showing;
  if (app.view && app.view.destroy) app.view.destroy();
  app.view = null;
  const main = $('view');
  const nav = $('tabs');
  $('who').textContent = '';
  if (!validSession(app.session)) {
    nav.hidden = true;
    document.body.classList.remove('tabs-two-rows');
    app.route = 'login';
    app.view = loginView(app);
  } else {
    app.route = currentRoute();
    const tabs = tabsFor(app.session);
    nav.hidden = mustChangePassword(app.session); // nowhere else to go before a new password
    const shown = tabs.filter((t) => !t.hidden);
    nav.replaceChildren(
      ...shown.map((t) =>
        h(
          'a',
          {
            href: `#/${t.route}`,
            class: 'tab',
            'aria-current': t.route === app.route ? 'page' : null,
          },
          t.label,
        ),
      ),
    );
    // Six tabs or more in two rows (styles.css), so no label breaks inside a word.
    nav.dataset.count = shown.length;
    nav.dataset.rows = shown.length > 5 ? 2 : 1;
    document.body.classList.toggle('tabs-two-rows', shown.length > 5 && !nav.hidden);
    $('who').textContent = app.session.user.name;
    const tab = tabs.find((t) => t.route === app.route);
    const view = await tab.view(app);
    if (token !== showing) {
      if (view.destroy) view.destroy();
      return;
    }
    app.view = view;
  }
  main.replaceChildren(app.view.el);
  main.dataset.route = app.route;
  document.title =
    app.route === 'login'
      ? 'Masuk · hadir'
      : `${TABS.find((t) => t.route === app.route).label} · hadir`;
  if (app.view.focus) app.view.focus();
  updateBadge();
}

async function updateBadge() {
  const badge = $('sync');
  const owner = app.owner() || (app.session && app.session.user && app.session.user.nip);
  const items = owner ? (await outboxItems()).filter((item) => item.owner === owner) : [];
  const failed = items.filter((item) => item.state === 'failed').length;
  const waiting = items.length - failed;
  let text = 'Semua terkirim';
  let tone = 'ok';
  if (waiting) {
    text = `${waiting} menunggu dikirim`;
    tone = 'wait';
  }
  if (failed) {
    text = `${waiting ? `${waiting} menunggu · ` : ''}${failed} gagal`;
    tone = 'bad';
  }
  badge.textContent = text;
  badge.className = `badge badge-${tone}`;
  badge.dataset.pending = String(waiting);
  badge.dataset.failed = String(failed);
  badge.hidden = !owner;
}

function updateNet() {
  $('net').hidden = navigator.onLine;
}

// --- sync schedule -----------------------------------------------------------------------------

let syncTimer = null;
async function runSync(force) {
  clearTimeout(syncTimer);
  syncTimer = null;
  let result;
  try {
    result = await syncOutbox({ force });
  } catch {
    result = { busy: true };
  }
  if (result.busy) {
    // Another tab or the service worker is sending; look again shortly, still forced if this
    // call was: that other sender may have just failed and pushed the backoff out (a service
    // worker whose link came back a moment later than the page's).
    syncTimer = setTimeout(() => runSync(force), 3_000);
    return;
  }
  if (result.sent) {
    toast(`${result.sent} presensi terkirim.`);
    pollSoon(); // the face check takes a second or two on the server
  }
  if (result.permits) {
    toast(`${result.permits} permohonan izin terkirim.`);
    changed('permits');
  }
  if (result.attestations) {
    toast(`${result.attestations} atestasi terkirim.`);
    changed('attestations');
  }
  if (!result.auth && app.route !== 'login') {
    app.session = await getSession();
    if (!validSession(app.session)) show();
  }
  if (result.waiting && result.retryAt) {
    syncTimer = setTimeout(() => runSync(false), Math.max(1_000, result.retryAt - Date.now()));
  }
}

async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    if (registration && registration.sync) await registration.sync.register('hadir-outbox');
  } catch {
    // no Background Sync here: the page's own schedule covers it while the app is open
  }
}

// Asks the browser not to evict this origin's storage under pressure (low-end phones fill
// up): the outbox must not vanish before it is sent. Chrome grants it to installed apps.
function persistStorage() {
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
}

// Pending records are polled while the app is open, until their face check is done.
let pollTimer = null;
let polling = false;
let pollAgain = false;

function pollSoon() {
  if (polling) {
    pollAgain = true; // the running round read its list before this record arrived
    return;
  }
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, 2_000);
}

async function poll() {
  clearTimeout(pollTimer);
  if (polling) return; // the running round sets the next timer
  polling = true;
  let fast = false;
  try {
    if (!document.hidden && navigator.onLine && validSession(app.session)) {
      const owner = app.owner();
      const pending = (await allCheckins(owner)).filter((c) => c.status === 'pending');
      let updated = false;
      for (const c of pending.slice(-20)) {
        const fresh = await api(`/api/v1/checkins/${c.id}`);
        if (fresh.status !== c.status) updated = true;
        await saveCheckin(fresh, owner);
        if (fresh.status === 'pending' && Date.now() - Date.parse(fresh.received_at) < 120_000)
          fast = true;
      }
      if (updated) changed('checkins');
    }
  } catch {
    // next round
  } finally {
    polling = false;
  }
  const delay = pollAgain ? 2_000 : fast ? POLL_FAST_MS : POLL_SLOW_MS;
  pollAgain = false;
  pollTimer = setTimeout(poll, delay);
}

// --- service worker ----------------------------------------------------------------------------

let reloadOnUpdate = false;
async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  let registration;
  try {
    registration = await navigator.serviceWorker.register('/sw.js', {
      type: 'module',
      updateViaCache: 'none',
    });
  } catch {
    return; // no module service workers here: the app still works, online only for the shell
  }
  const offer = (worker) => {
    const button = h('button', { class: 'btn small', type: 'button' }, 'Muat ulang');
    button.addEventListener('click', () => {
      reloadOnUpdate = true;
      worker.postMessage({ type: 'SKIP_WAITING' });
    });
    $('update').replaceChildren(h('span', null, 'Versi baru tersedia. '), button);
    $('update').hidden = false;
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    if (!worker) return;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloadOnUpdate) location.reload();
  });
}

// --- start -------------------------------------------------------------------------------------

async function start() {
  // A shared tablet at an office door: its own screen, no ASN login (src/views/kiosk.js).
  if (/^#\/kiosk\/?$/.test(location.hash)) {
    const { kioskMode } = await import('./views/kiosk.js');
    await kioskMode(document.body);
    if (document.readyState === 'complete') registerServiceWorker();
    else addEventListener('load', registerServiceWorker);
    return;
  }
  app.session = await getSession();
  app.me = (await getKv('me')) || null;
  updateNet();
  await show();

  addEventListener('hashchange', () => {
    if (!validSession(app.session)) return;
    const route = currentRoute();
    if (route !== app.route) show();
    else if (app.target && app.view && app.view.refresh) app.view.refresh(); // same screen
  });
  addEventListener('online', () => {
    updateNet();
    runSync(true);
    refreshMe().then(() => app.view && app.view.refresh && app.view.refresh());
  });
  addEventListener('offline', () => {
    updateNet();
    if (app.view && app.view.refresh) app.view.refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      runSync(false);
      poll();
    }
  });
  onChange(async (what) => {
    if (what === 'session') {
      app.session = await getSession();
      if (!validSession(app.session) && app.route !== 'login') show();
    }
    updateBadge();
    if (app.view && app.view.refresh) app.view.refresh();
  });

  pruneCheckins(shiftDate(app.today(), -KEEP_DAYS)).catch(() => {});
  if (validSession(app.session)) {
    persistStorage();
    runSync(true);
    refreshMe().then(() => app.view && app.view.refresh && app.view.refresh());
  } else if (app.session && app.session.token) {
    toast('Sesi berakhir. Silakan masuk lagi.');
  }
  poll();
  if (document.readyState === 'complete') registerServiceWorker();
  else addEventListener('load', registerServiceWorker);
}

start();
