// JSON calls to the API with the stored token. Check-ins are not sent from here: they go
// through the outbox (src/outbox/sync.js) so none is lost when the link drops.

import { fetchWithTimeout } from './outbox/sync.js';
import { expireSession, getSession } from './outbox/store.js';

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.body = body;
  }
}

// `form` (a FormData) is sent as multipart instead of `json`.
export async function api(
  path,
  { method = 'GET', json, form, auth = true, timeoutMs = 30_000 } = {},
) {
  const headers = { Accept: 'application/json' };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) {
    const session = await getSession();
    if (!session || !session.token) throw new ApiError(401, 'Silakan masuk lagi');
    headers.Authorization = `Bearer ${session.token}`;
  }
  let body = form;
  if (body === undefined && json !== undefined) body = JSON.stringify(json);
  let response;
  try {
    response = await fetchWithTimeout(path, { method, headers, body }, timeoutMs);
  } catch {
    throw new ApiError(0, 'Tidak ada koneksi internet');
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    // an empty or non-JSON body
  }
  if (!response.ok) {
    const detail =
      answer && typeof answer.detail === 'string'
        ? answer.detail
        : `Server menjawab ${response.status}`;
    // Only a session the server ended (deactivated, new password or roles) has a reason worth
    // showing; an expired token gets the login screen's own words.
    const ended = answer && answer.code === 'session_ended' ? detail : null;
    if (response.status === 401 && auth) await expireSession(ended);
    throw new ApiError(response.status, detail, answer);
  }
  return answer;
}
