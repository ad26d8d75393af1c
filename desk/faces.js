// Face enrolment at the BKD desk ("Pendaftaran wajah"): find an employee by NIP or name, see
// their reference photos (when, by whom) and remove one, or add one from an upload or the
// desk's camera. Every photo is checked by the server first (no face, several faces, face too
// small, blurred) and only a photo that passes can be saved.

import { api, ApiError } from '/src/api.js';
import { CameraError, captureFromVideo, openCamera, stopCamera } from '/src/camera.js';
import { clear, h, momentText } from '/src/ui.js';
import { deskStyles } from './desk.js';

// A picked file as a JPEG the server takes: a JPEG as it is; anything else drawn on a canvas.
async function asJpeg(file) {
  if (file.type === 'image/jpeg') return file;
  const bitmap = await createImageBitmap(file);
  try {
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Foto gagal dibaca'))), 'image/jpeg', 0.92),
    );
  } finally {
    bitmap.close();
  }
}

export function employeeFinder({ id, title, hint, onPick }) {
  const search = h('input', {
    id: `${id}-search`,
    type: 'search',
    placeholder: 'NIP atau nama',
    maxLength: 100,
    autocomplete: 'off',
  });
  const results = h('ul', { class: 'list picks', id: `${id}-results`, 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', role: 'search', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    h('p', { class: 'hint' }, hint),
    h('label', { for: `${id}-search` }, 'Cari pegawai'),
    search,
    h('button', { class: 'btn primary', type: 'submit' }, 'Cari'),
    results,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear(results, h('li', { class: 'hint' }, 'Mencari…'));
    try {
      const page = await api(`/api/v1/admin/employees?${new URLSearchParams({ q: search.value.trim(), limit: '20' })}`);
      if (!page.items.length) {
        clear(results, h('li', { class: 'hint' }, 'Tidak ada pegawai yang cocok.'));
        return;
      }
      clear(
        results,
        page.items.map((e) =>
          h(
            'li',
            { class: 'item' },
            h(
              'button',
              { class: 'btn link', type: 'button', 'data-nip': e.nip, onclick: () => onPick(e) },
              `${e.name}`,
            ),
            h('span', { class: 'hint' }, `${e.nip} · ${e.unit_name}${e.active ? '' : ' · nonaktif'}`),
          ),
        ),
      );
    } catch (e) {
      clear(results, h('li', { class: 'error', role: 'alert' }, e.message));
    }
  });
  return { el: form, focus: () => search.focus() };
}

export function facesView() {
  deskStyles();
  let employee = null;
  let candidate = null; // the JPEG blob waiting to be saved
  let stream = null;
  let previewUrl = null;

  const finder = employeeFinder({
    id: 'face',
    title: 'Pendaftaran wajah',
    hint: 'Cari pegawai, periksa foto referensinya, lalu tambah dari berkas atau kamera.',
    onPick: (e) => pick(e),
  });
  const panel = h('section', { class: 'card', id: 'face-panel', hidden: true });
  const heading = h('h2', { id: 'face-employee' });
  const refs = h('ul', { class: 'refs', id: 'face-refs', 'aria-live': 'polite' });
  const upload = h('input', { id: 'face-upload', type: 'file', accept: 'image/jpeg,image/png,image/*' });
  const cameraBtn = h('button', { class: 'btn', type: 'button', id: 'face-camera' }, 'Buka kamera');
  const shoot = h('button', { class: 'btn primary', type: 'button', id: 'face-shoot', hidden: true }, 'Ambil foto');
  const video = h('video', { class: 'video', id: 'face-video', playsInline: true, muted: true, hidden: true });
  const shown = h('img', { class: 'face-preview', id: 'face-candidate', alt: 'Foto yang akan didaftarkan', hidden: true });
  const feedback = h('div', { id: 'face-feedback', 'aria-live': 'polite' });
  const save = h('button', { class: 'btn primary big', type: 'button', id: 'face-save', hidden: true }, 'Simpan sebagai referensi');
  const error = h('p', { class: 'error', id: 'face-error', role: 'alert', hidden: true });
  panel.append(
    heading,
    h('h3', null, 'Foto referensi'),
    refs,
    h('h3', null, 'Tambah foto'),
    h('label', { for: 'face-upload' }, 'Unggah foto (JPEG atau PNG)'),
    upload,
    h('div', { class: 'row' }, cameraBtn, shoot),
    video,
    shown,
    feedback,
    error,
    save,
  );

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
  }

  function forgetCandidate() {
    candidate = null;
    save.hidden = true;
    shown.hidden = true;
    clear(feedback);
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
  }

  async function loadRefs() {
    clear(refs, h('li', { class: 'hint' }, 'Memuat…'));
    try {
      const list = await api(`/api/v1/faces/${employee.nip}/references`);
      if (!list.length) {
        clear(refs, h('li', { class: 'hint', id: 'face-none' }, 'Belum ada foto referensi. Presensi pegawai ini akan selalu diperiksa BKD.'));
        return;
      }
      clear(
        refs,
        list.map((ref) => {
          const remove = h('button', { class: 'btn small danger', type: 'button', 'data-ref': String(ref.id) }, 'Hapus');
          remove.addEventListener('click', async () => {
            if (remove.dataset.confirm !== 'yes') {
              remove.dataset.confirm = 'yes';
              remove.textContent = 'Yakin hapus?';
              return;
            }
            remove.disabled = true;
            try {
              await api(`/api/v1/faces/${employee.nip}/references/${ref.id}`, { method: 'DELETE' });
              loadRefs();
            } catch (e) {
              fail(e.message);
              remove.disabled = false;
            }
          });
          return h(
            'li',
            { class: 'ref', 'data-ref': String(ref.id) },
            ref.photo_url
              ? h('img', { class: 'ref-thumb', src: ref.photo_url, alt: `Foto referensi ${momentText(ref.created_at)}` })
              : null,
            h(
              'div',
              null,
              h('p', null, momentText(ref.created_at)),
              h('p', { class: 'hint' }, ref.enrolled_by_name ? `oleh ${ref.enrolled_by_name}` : 'oleh sistem (impor)'),
              remove,
            ),
          );
        }),
      );
    } catch (e) {
      clear(refs, h('li', { class: 'error' }, e.message));
    }
  }

  async function pick(e) {
    employee = e;
    heading.textContent = `${e.name} · ${e.nip}`;
    panel.hidden = false;
    error.hidden = true;
    forgetCandidate();
    await loadRefs();
    panel.scrollIntoView({ block: 'start' });
  }

  async function consider(blob) {
    forgetCandidate();
    error.hidden = true;
    candidate = blob;
    previewUrl = URL.createObjectURL(blob);
    shown.src = previewUrl;
    shown.hidden = false;
    clear(feedback, h('p', { class: 'hint' }, 'Memeriksa foto…'));
    const form = new FormData();
    form.append('photo', blob, 'referensi.jpg');
    try {
      const answer = await api(`/api/v1/faces/${employee.nip}/references/check`, { method: 'POST', form, timeoutMs: 60_000 });
      if (candidate !== blob) return;
      if (answer.ok) {
        clear(
          feedback,
          h('p', { class: 'tone-ok', id: 'face-ok' }, `Foto layak: satu wajah, lebar ${answer.face_px} piksel, ketajaman ${Math.round(answer.sharpness)}.`),
        );
        save.hidden = false;
      } else {
        clear(
          feedback,
          h('p', { class: 'error', id: 'face-bad' }, 'Foto ini tidak dapat dipakai:'),
          h('ul', { class: 'reasons', id: 'face-problems' }, answer.problems.map((p) => h('li', { 'data-code': p.code }, p.message))),
        );
      }
    } catch (e) {
      clear(feedback);
      fail(e.message);
    }
  }

  upload.addEventListener('change', async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    try {
      await consider(await asJpeg(file));
    } catch (e) {
      fail(e.message);
    }
  });

  cameraBtn.addEventListener('click', async () => {
    error.hidden = true;
    if (stream) {
      stopCamera(stream);
      stream = null;
      video.hidden = shoot.hidden = true;
      cameraBtn.textContent = 'Buka kamera';
      return;
    }
    try {
      video.hidden = false;
      stream = await openCamera(video);
      shoot.hidden = false;
      cameraBtn.textContent = 'Tutup kamera';
    } catch (e) {
      video.hidden = true;
      fail(e instanceof CameraError ? e.message : 'Kamera tidak dapat dibuka.');
    }
  });
  shoot.addEventListener('click', async () => {
    try {
      await consider(await captureFromVideo(video));
    } catch (e) {
      fail(e.message);
    }
  });

  save.addEventListener('click', async () => {
    if (!candidate) return;
    save.disabled = true;
    const form = new FormData();
    form.append('photo', candidate, 'referensi.jpg');
    try {
      await api(`/api/v1/faces/${employee.nip}/references`, { method: 'POST', form, timeoutMs: 60_000 });
      forgetCandidate();
      upload.value = '';
      clear(feedback, h('p', { class: 'notice', id: 'face-saved', role: 'status' }, 'Foto referensi disimpan.'));
      await loadRefs();
    } catch (e) {
      fail(e instanceof ApiError && e.status === 0 ? 'Tidak ada koneksi ke server.' : e.message);
    } finally {
      save.disabled = false;
    }
  });

  const el = h('div', { class: 'screen desk' }, finder.el, panel);
  return {
    el,
    focus: finder.focus,
    destroy() {
      stopCamera(stream);
      if (previewUrl) URL.revokeObjectURL(previewUrl);
    },
  };
}
