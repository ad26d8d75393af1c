// Web Push, only after the user asks for it (a button on the Akun screen; never a prompt on
// start): the server's VAPID key, the browser's subscription, and telling the server about it.

import { api } from './api.js';

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration();
  return registration ? registration.pushManager.getSubscription() : null;
}

// Asks for permission, subscribes and registers the subscription; throws an Error with an
// Indonesian message when something is refused.
export async function enablePush() {
  if (!pushSupported()) throw new Error('Browser ini tidak mendukung notifikasi.');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Izin notifikasi ditolak di browser.');
  const registration = await navigator.serviceWorker.ready;
  const { public_key: publicKey } = await api('/api/v1/push/key');
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    try {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(publicKey),
      });
    } catch {
      throw new Error('layanan notifikasi browser tidak dapat dihubungi. Coba lagi nanti.');
    }
  }
  await api('/api/v1/push/subscriptions', { method: 'POST', json: subscription.toJSON() });
  return subscription;
}

export async function disablePush() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  const endpoint = subscription.endpoint;
  await subscription.unsubscribe();
  await api(`/api/v1/push/subscriptions?endpoint=${encodeURIComponent(endpoint)}`, {
    method: 'DELETE',
  });
}
