// Changing one's own password ("Ganti kata sandi"). Forced after a login with a one-time
// password (an import's or an admin's reset: `must_change_password`), and reachable any time
// from the account screen. The server ends every other session of the account and hands back
// a fresh token, with which the app simply continues.

import { api, ApiError } from '../api.js';
import { setKv } from '../outbox/store.js';
import { h, toast } from '../ui.js';

const MIN = 8; // the server's rule (org.service.password_rule), said before it is asked

export function passwordView(app) {
  const forced = Boolean(app.session.user.must_change_password);
  const error = h('p', { class: 'error', id: 'password-error', role: 'alert', hidden: true });
  const field = (id, label, autocomplete, hint) => {
    const input = h('input', {
      id,
      name: id,
      type: 'password',
      autocomplete,
      required: true,
      maxLength: 200,
      'aria-describedby': hint ? `${id}-hint password-error` : 'password-error',
    });
    return [
      h('label', { for: id }, label),
      input,
      hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    ];
  };
  const [oldLabel, old] = field(
    'old-password',
    forced ? 'Kata sandi sementara' : 'Kata sandi lama',
    'current-password',
  );
  const [newLabel, fresh, freshHint] = field(
    'new-password',
    'Kata sandi baru',
    'new-password',
    `Minimal ${MIN} karakter, tidak memuat NIP, berbeda dari yang lama.`,
  );
  const [againLabel, again] = field('new-password-again', 'Ulangi kata sandi baru', 'new-password');
  const submit = h('button', { class: 'btn primary big', type: 'submit' }, 'Simpan kata sandi');
  const form = h(
    'form',
    { class: 'card login', novalidate: true, 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title' }, 'Ganti kata sandi'),
    forced
      ? h(
          'p',
          { class: 'notice', id: 'password-forced' },
          'Anda masuk dengan kata sandi sementara. Buat kata sandi baru sebelum melanjutkan.',
        )
      : h(
          'p',
          { class: 'hint' },
          'Sesi di perangkat lain akan berakhir setelah kata sandi diganti.',
        ),
    oldLabel,
    old,
    newLabel,
    fresh,
    freshHint,
    againLabel,
    again,
    error,
    submit,
  );

  function showError(message, input) {
    error.textContent = message;
    error.hidden = false;
    if (input) input.focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!old.value) return showError('Isi kata sandi yang sekarang.', old);
    if (fresh.value.length < MIN)
      return showError(`Kata sandi baru minimal ${MIN} karakter.`, fresh);
    if (fresh.value !== again.value)
      return showError('Kedua isian kata sandi baru tidak sama.', again);
    submit.disabled = true;
    submit.textContent = 'Menyimpan…';
    try {
      const answer = await api('/api/v1/me/password', {
        method: 'POST',
        json: { old_password: old.value, new_password: fresh.value },
      });
      const session = {
        token: answer.access_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
        user: answer.user,
      };
      await setKv('session', session);
      old.value = fresh.value = again.value = '';
      toast('Kata sandi baru tersimpan.');
      await app.loggedIn(session);
    } catch (e) {
      showError(
        e instanceof ApiError && e.status === 0
          ? 'Tidak ada koneksi internet. Mengganti kata sandi memerlukan sinyal.'
          : e.message,
        e instanceof ApiError && /lama/.test(e.message) ? old : fresh,
      );
    } finally {
      submit.disabled = false;
      submit.textContent = 'Simpan kata sandi';
    }
  });

  const el = h('div', { class: 'screen' }, form);
  return { el, focus: () => old.focus() };
}
