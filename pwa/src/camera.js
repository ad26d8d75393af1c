// The selfie: the front camera, cropped to the portrait face guide and shrunk on the phone to
// about 480 px so it costs tens of kilobytes over 2G, not megabytes.

export const LONG_SIDE = 480;
const MAX_BYTES = 90_000; // the server takes more; staying well under keeps 2G sends short
// Liveness frames: small, because only the head's pose and the face's texture are judged.
export const FRAME_LONG_SIDE = 320;
const FRAME_QUALITY = 0.6;
// Selfie and liveness frames together, multipart included: one check-in under 100 KB.
export const CHECKIN_BUDGET = 96_000;

export class CameraError extends Error {}

export async function openCamera(video) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new CameraError('Kamera tidak didukung browser ini. Gunakan tombol "Pilih foto".');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (error) {
    const denied = error && (error.name === 'NotAllowedError' || error.name === 'SecurityError');
    throw new CameraError(
      denied
        ? 'Izin kamera ditolak. Izinkan kamera untuk situs ini di pengaturan browser.'
        : 'Kamera tidak dapat dibuka. Tutup aplikasi lain yang memakai kamera, lalu coba lagi.',
    );
  }
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function stopCamera(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}

function toBlob(canvas, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new CameraError('Foto gagal dibuat'))),
      'image/jpeg',
      quality,
    ),
  );
}

// Crop the centre to 3:4 portrait (what the face guide shows), shrink, encode as JPEG.
export async function captureSelfie(source, width, height, maxBytes = MAX_BYTES) {
  const canvas = portrait(source, width, height, LONG_SIDE);
  let quality = 0.8;
  let blob = await toBlob(canvas, quality);
  while (blob.size > maxBytes && quality > 0.3) {
    quality -= 0.15;
    blob = await toBlob(canvas, quality);
  }
  return blob;
}

function portrait(source, width, height, longSide) {
  let cropW = width;
  let cropH = height;
  if (width / height > 3 / 4) cropW = Math.round((height * 3) / 4);
  else cropH = Math.round((width * 4) / 3);
  const scale = Math.min(1, longSide / Math.max(cropW, cropH));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(cropW * scale);
  canvas.height = Math.round(cropH * scale);
  const context = canvas.getContext('2d');
  context.drawImage(
    source,
    (width - cropW) / 2,
    (height - cropH) / 2,
    cropW,
    cropH,
    0,
    0,
    canvas.width,
    canvas.height,
  );
  return canvas;
}

export function captureFromVideo(video, maxBytes = MAX_BYTES) {
  if (!video.videoWidth) throw new CameraError('Kamera belum siap; tunggu sebentar.');
  return captureSelfie(video, video.videoWidth, video.videoHeight, maxBytes);
}

// One liveness frame: the same portrait crop at 240x320, not mirrored (the server reads
// "left" as the person's own left in the camera's picture).
export function captureFrame(video) {
  if (!video.videoWidth) throw new CameraError('Kamera belum siap; tunggu sebentar.');
  return toBlob(portrait(video, video.videoWidth, video.videoHeight, FRAME_LONG_SIDE), FRAME_QUALITY);
}

// For phones whose browser cannot open the camera in the page: the system camera via a file
// input; the picture is shrunk the same way.
export async function captureFromFile(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    return await captureSelfie(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}
