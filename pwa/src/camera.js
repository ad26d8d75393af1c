// The selfie: the front camera, cropped to the portrait face guide and shrunk on the phone to
// about 480 px so it costs tens of kilobytes over 2G, not megabytes.

export const LONG_SIDE = 480;
const MAX_BYTES = 90_000; // the server takes more; staying well under keeps 2G sends short

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
export async function captureSelfie(source, width, height) {
  let cropW = width;
  let cropH = height;
  if (width / height > 3 / 4) cropW = Math.round((height * 3) / 4);
  else cropH = Math.round((width * 4) / 3);
  const scale = Math.min(1, LONG_SIDE / Math.max(cropW, cropH));
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
  let quality = 0.8;
  let blob = await toBlob(canvas, quality);
  while (blob.size > MAX_BYTES && quality > 0.45) {
    quality -= 0.15;
    blob = await toBlob(canvas, quality);
  }
  return blob;
}

export function captureFromVideo(video) {
  if (!video.videoWidth) throw new CameraError('Kamera belum siap; tunggu sebentar.');
  return captureSelfie(video, video.videoWidth, video.videoHeight);
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
