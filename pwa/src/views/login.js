// Logging in with NIP and password, and the account screen (who is logged in, log out).
// Logging out or an expired token never touches the outbox: queued records wait for the next
// login of the same NIP.

import { api, ApiError } from '../api.js';
import { registerDevice } from '../outbox/chain.js';
import { deleteKv, getKv, setKv } from '../outbox/store.js';
import { h, toast, zoneName } from '../ui.js';

// Whom to ask (HADIR_HELP_CONTACT): shown from the copy kept since the last time it was
// fetched (after a login, or when "Lupa kata sandi?" is opened), so the very first load over
// 2G does not wait for it.
export async function fetchLoginHelp() {
  const help = await api('/api/v1/public/login-help', { auth: false }).catch(() => null);
  if (help) await setKv('login-help', help).catch(() => {});
  return help;
}

function loginHelp() {
  const contact = h('p', { class: 'hint', id: 'login-help', hidden: true });
  const draw = (help) => {
    if (!help || !help.contact) return;
    contact.textContent = `Bantuan: ${help.contact}`;
    contact.hidden = false;
  };
  const forgot = h(
    'details',
    { class: 'forgot' },
    h('summary', { class: 'btn link' }, 'Lupa kata sandi?'),
    h(
      'p',
      { id: 'forgot-password' },
      'Minta admin unit kerja Anda atau BKD mengatur ulang kata sandi. Anda mendapat kata ' +
        'sandi sekali pakai, lalu memilih yang baru saat masuk.',
    ),
  );
  forgot.addEventListener('toggle', async () => draw(await fetchLoginHelp()));
  getKv('login-help').then(draw, () => {});
  return [forgot, contact];
}

export function loginView(app) {
  const previous = app.session;
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert', hidden: true });
  const nip = h('input', {
    id: 'nip',
    name: 'nip',
    inputMode: 'numeric',
    autocomplete: 'username',
    required: true,
    maxLength: 40,
    'aria-describedby': 'nip-hint login-error',
    value: previous && previous.user ? previous.user.nip : '',
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'login-error',
  });
  const submit = h('button', { class: 'btn primary big', type: 'submit' }, 'Masuk');
  const notice = h('p', { class: 'notice', id: 'login-notice', hidden: true });

  const form = h(
    'form',
    { class: 'card login', novalidate: true, 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title' }, 'Masuk'),
    notice,
    h('label', { for: 'nip' }, 'NIP'),
    nip,
    h('p', { class: 'hint', id: 'nip-hint' }, '18 angka, tanpa spasi'),
    h('label', { for: 'password' }, 'Kata sandi'),
    password,
    error,
    submit,
    loginHelp(),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const value = nip.value.replace(/\s+/g, '');
    if (!value || !password.value) {
      showError(!value ? 'Isi NIP Anda.' : 'Isi kata sandi Anda.');
      (!value ? nip : password).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Memeriksa…';
    try {
      const answer = await api('/api/v1/auth/login', {
        method: 'POST',
        json: { nip: value, password: password.value },
        auth: false,
      });
      const session = {
        token: answer.access_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
        user: answer.user,
      };
      await setKv('session', session);
      // This device's key, made now if it has none, registered while there is signal; the
      // outbox registers it before sending should this fail.
      registerDevice(session.user.nip, session.token).catch(() => {});
      password.value = '';
      await app.loggedIn(session);
      fetchLoginHelp(); // for the login screen next time
    } catch (e) {
      showError(
        e instanceof ApiError && e.status === 0
          ? 'Tidak ada koneksi internet. Masuk memerlukan sinyal; ' +
              'presensi yang sudah tersimpan tetap aman di ponsel.'
          : e.message,
      );
    } finally {
      submit.disabled = false;
      submit.textContent = 'Masuk';
    }
  });

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  const el = h(
    'div',
    { class: 'screen' },
    h(
      'p',
      { class: 'lead' },
      'Presensi ASN dengan selfie dan GPS. Tetap bisa dipakai tanpa sinyal.',
    ),
    form,
  );

  async function refresh() {
    const waiting = await app.waitingCount(previous && previous.user ? previous.user.nip : null);
    const expired =
      previous && (previous.expired || (previous.token && previous.expiresAt <= Date.now()));
    let text = '';
    // The server's reason when it ended the session (deactivated, password or roles changed).
    if (expired) text = previous.reason || 'Sesi Anda sudah berakhir. Silakan masuk lagi.';
    if (waiting > 0) {
      const queued = `${waiting} presensi tersimpan di ponsel dan akan dikirim setelah Anda masuk.`;
      text = text ? `${text} ${queued}` : queued;
    }
    notice.textContent = text;
    notice.hidden = !text;
  }
  refresh();
  return { el, refresh, focus: () => (nip.value ? password : nip).focus() };
}

export function accountView(app) {
  const { user } = app.session;
  const waiting = h('p', { class: 'hint' });
  const logout = h('button', { class: 'btn big danger', type: 'button' }, 'Keluar');
  const password = h(
    'a',
    { class: 'btn big wide', href: '#/sandi', id: 'change-password' },
    'Ganti kata sandi',
  );
  const backOffice = user.roles.some((role) => role === 'bkd' || role === 'admin')
    ? [
        h('a', { class: 'btn big wide', href: '#/impor', id: 'open-import' }, 'Impor data induk'),
        h('a', { class: 'btn big wide', href: '#/area', id: 'open-fences' }, 'Area presensi'),
        h('a', { class: 'btn big wide', href: '#/wajah', id: 'open-faces' }, 'Pendaftaran wajah'),
        h('a', { class: 'btn big wide', href: '#/kiosk-wajah', id: 'open-kiosks' }, 'Kiosk wajah'),
        user.roles.includes('admin')
          ? h('a', { class: 'btn big wide', href: '#/pegawai', id: 'open-employees' }, 'Kelola pegawai')
          : null,
        // Every master-data table (Piccolo Admin, signed in with the same NIP and password).
        user.roles.includes('admin')
          ? h('a', { class: 'btn big wide', href: '/admin/', id: 'open-admin' }, 'Semua data induk')
          : null,
      ]
    : null;
  const exits = user.roles.some((role) => ['kepala_unit', 'bkd', 'admin'].includes(role))
    ? h(
        'a',
        { class: 'btn big wide', href: '#/keluar-kantor', id: 'open-exits' },
        'Keluar kantor tanpa izin',
      )
    : null;
  const attest = [
    user.roles.includes('kepala_unit')
      ? h('a', { class: 'btn big wide', href: '#/atestasi', id: 'open-attest' }, 'Atestasi kehadiran')
      : null,
    user.roles.some((role) => role === 'bkd' || role === 'admin')
      ? h(
          'a',
          { class: 'btn big wide', href: '#/atestasi-bkd', id: 'open-attest-summary' },
          'Atestasi per kepala unit',
        )
      : null,
  ];
  const recap = user.roles.some((role) =>
    ['kepala_unit', 'bkd', 'admin', 'command'].includes(role),
  )
    ? h('a', { class: 'btn big wide', href: '#/rekap', id: 'open-recap' }, 'Rekap bulanan')
    : null;
  // The SKM of the gerai: for the unit head, BKD and command always; for other staff only where
  // they see a gerai at all (its supervisors; the server answers for which gerai).
  const ikm = h(
    'a',
    { class: 'btn big wide', href: '#/ikm', id: 'open-ikm', hidden: true },
    'Survei kepuasan (IKM)',
  );
  if (user.roles.some((role) => ['kepala_unit', 'bkd', 'command'].includes(role))) {
    ikm.hidden = false;
  } else if (navigator.onLine) {
    api('/api/v1/gerai')
      .then((list) => {
        ikm.hidden = !list.items.length;
      })
      .catch(() => {});
  }
  logout.addEventListener('click', async () => {
    const count = await app.waitingCount(user.nip);
    const question =
      count > 0
        ? `${count} presensi belum terkirim. Presensi itu tetap tersimpan dan dikirim ` +
          'setelah Anda masuk lagi. Keluar sekarang?'
        : 'Keluar dari aplikasi?';
    // confirm() is plain text: nothing in it is parsed as HTML.
    if (!window.confirm(question)) return;
    // The user stays known without a token, so the login screen can say whose records wait.
    await setKv('session', { user, token: null, expiresAt: 0 });
    await deleteKv('me');
    await app.loggedOut();
  });
  // Notifications only when asked for: the button, never a prompt on start.
  const pushButton = h(
    'button',
    { class: 'btn big', type: 'button', id: 'push-toggle', hidden: true },
    'Aktifkan notifikasi',
  );
  const pushNote = h(
    'p',
    { class: 'hint', id: 'push-note' },
    'Kabar keputusan izin dan presensi dikirim ke ponsel ini.',
  );
  let pushOn = false;
  async function pushState() {
    const push = await import('../push.js');
    if (!push.pushSupported()) {
      pushNote.textContent = 'Browser ini tidak mendukung notifikasi.';
      return;
    }
    pushOn = Boolean(await push.currentSubscription().catch(() => null));
    pushButton.textContent = pushOn ? 'Matikan notifikasi' : 'Aktifkan notifikasi';
    pushButton.hidden = false;
  }
  pushButton.addEventListener('click', async () => {
    pushButton.disabled = true;
    try {
      const push = await import('../push.js');
      if (pushOn) {
        await push.disablePush();
        toast('Notifikasi dimatikan.');
      } else {
        await push.enablePush();
        toast('Notifikasi aktif.');
      }
    } catch (e) {
      pushNote.textContent = `Notifikasi belum aktif: ${e.message}`;
    } finally {
      pushButton.disabled = false;
      pushState();
    }
  });
  pushState();
  const rows = [
    ['Nama', user.name],
    ['NIP', user.nip],
    ['Jabatan', user.position],
    ['Unit kerja', user.unit.name],
    ['Zona waktu', zoneName(user.unit.timezone)],
  ];
  const el = h(
    'div',
    { class: 'screen' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'account-title' },
      h('h2', { id: 'account-title' }, 'Akun'),
      h(
        'dl',
        { class: 'facts' },
        rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      ),
      waiting,
      password,
      recap,
      attest,
      ikm,
      exits,
      backOffice,
      logout,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'push-title' },
      h('h2', { id: 'push-title' }, 'Notifikasi'),
      pushNote,
      pushButton,
    ),
  );
  async function refresh() {
    const count = await app.waitingCount(user.nip);
    waiting.textContent =
      count > 0 ? `${count} presensi masih di antrean ponsel.` : 'Semua presensi sudah terkirim.';
  }
  refresh();
  return { el, refresh };
}
