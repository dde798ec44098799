// Talking to our own backend. Every outcome is a value, never a throw:
//   {ok: true, data} | {ok: false, error: {code, message, status, retryAfter?, requestId?}, foreign?: true}
// so callers handle failures in one place and every failure carries a code the UI can translate, and,
// when our server answered, the request id a visitor can quote (the error panel's "Reference: …").
// `foreign`: the answer was not the app's (no JSON in its shape), e.g. a host page's server asked by
// mistake; the site's owner is told which URL answered what (owner-hints.js).

import { warnOnce, watchConnections } from './owner-hints.js';

/**
 * Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable.
 * @param {string|null} value
 * @param {number} [now] ms since epoch
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Read a fetch Response into our result shape.
 * @param {Response} response
 */
export async function readResponse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null; // a proxy's HTML error page, an empty body: handled below by status
  }
  if (response.ok && body && typeof body === 'object') return { ok: true, data: body };
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  const serverError = body?.error;
  // The failed request's id (webcall/request_id.py): the error body's, else the header's; null when
  // neither says (a proxy's own error page).
  const requestId = serverError?.request_id ?? response.headers.get('X-Request-ID');
  if (serverError && typeof serverError.code === 'string') {
    return { ok: false, error: { code: serverError.code, message: serverError.message ?? '', status: response.status, retryAfter, requestId } };
  }
  // No JSON error body: classify by status so the person still gets a useful message.
  const code = response.status === 429 ? 'rate_limited'
    : response.status === 404 ? 'not_found'
    : response.status === 403 ? 'forbidden'
    : response.status === 502 || response.status === 503 ? 'upstream_unavailable'
    : response.status === 504 ? 'upstream_timeout'
    : response.ok ? 'bad_response' : 'internal_error';
  return { ok: false, error: { code, message: `HTTP ${response.status}`, status: response.status, retryAfter, requestId }, foreign: true };
}

/** Fields the create response must carry for us to join; anything else missing is tolerated. */
const REQUIRED_CREATE_FIELDS = ['call_id', 'token', 'livekit_url'];

const wait = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * Where our backend is: '' (this page's origin), a path on it, or an absolute http(s) URL, without a
 * trailing slash; null for anything else. `api-base="127.0.0.1:5301"` (no scheme) was fetched as a path
 * of the host page, and its 501 blamed "our server".
 * @param {string} apiBase
 * @returns {string|null}
 */
export function checkedApiBase(apiBase) {
  const base = apiBase.trim().replace(/\/+$/, '');
  // A path, but not `//host` or `/\host`: browsers read those as another host's address.
  if (base === '' || /^\/(?![/\\])/.test(base)) return base;
  try {
    return /^https?:$/.test(new URL(base).protocol) ? base : null;
  } catch {
    return null;
  }
}

/** @param {string} url as the page resolves it (the console line must name where the request went) */
const absolute = (url) => (globalThis.location ? new URL(url, globalThis.location.href).href : url);

/**
 * An answer that is not the app's. Nothing like the API at that URL (404, 405, 501: the host page's own
 * server posted to by an element without a working api-base) is the site owner's to fix, as the visitor
 * is told; a proxy's 502 keeps its meaning. Either way the console names the URL and its answer.
 * @param {{code: string, status: number}} error the answer's (its code becomes misconfigured there)
 * @param {string} tried the request, as `METHOD URL`
 */
function foreignAnswer(error, tried) {
  const { status } = error;
  warnOnce(`${tried} answered HTTP ${status} without the web-call app's JSON: api-base must be the app's address, like https://call.example.com (or a proxy in front of the app answered)`);
  if ([404, 405, 501].includes(status)) error.code = 'misconfigured';
}

/**
 * @param {{apiBase?: string, fetch?: typeof fetch}} [options]
 */
export function createApiClient({ apiBase = '', fetch: fetchImpl = globalThis.fetch?.bind(globalThis) } = {}) {
  const base = checkedApiBase(apiBase);
  const badBase = `api-base "${apiBase}" is not an http(s) URL like https://call.example.com, nor a path`;
  if (base === null) warnOnce(`${badBase}: no request is sent`); // a client per attempt: said once
  else if (/^https?:/i.test(base)) watchConnections([base], 'the web-call app');

  async function request(path, init) {
    // The site owner's mistake, said as one (the error panel: "the site owner must fix this").
    if (base === null) return { ok: false, error: { code: 'misconfigured', message: badBase, status: 0 } };
    let response;
    try {
      response = await fetchImpl(`${base}${path}`, { credentials: 'same-origin', ...init });
    } catch (err) {
      if (err?.name === 'AbortError') return { ok: false, error: { code: 'cancelled', message: 'aborted', status: 0 } };
      return { ok: false, error: { code: 'network_error', message: String(err?.message ?? err), status: 0 } };
    }
    const result = await readResponse(response);
    if (result.foreign) foreignAnswer(result.error, `${init.method ?? 'GET'} ${absolute(`${base}${path}`)}`);
    return result;
  }

  /**
   * Why a create from another site failed as a "network error": a browser hides a refused CORS
   * preflight (this site is in no demo's allowed origins) as one. The widget's config endpoint tells any
   * page why (webcall/embed.py); the origin_not_allowed error, or null when it says nothing of the kind.
   * @param {string|undefined} demo
   */
  async function refusedOrigin(demo) {
    const answer = await request(`/api/demos/${encodeURIComponent(demo || 'default')}/widget`, { method: 'GET' });
    return !answer.ok && answer.error.code === 'origin_not_allowed' ? answer : null;
  }

  return {
    /**
     * POST /api/calls
     * Never aborted: a create that reached the server made a call, which must then be hung up (hang-up.js).
     * @param {{demo?: string, mode?: 'voice'|'text', initial_text?: string, variables?: Record<string,string>}} body
     */
    async createCall(body) {
      const result = await request('/api/calls', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
      if (result.ok && REQUIRED_CREATE_FIELDS.some((f) => typeof result.data[f] !== 'string' || !result.data[f])) {
        return { ok: false, error: { code: 'bad_response', message: 'create response lacks call_id/token/livekit_url', status: 201 } };
      }
      // The LiveKit URL and its http(s) twin (livekit-client fetches both) before anything connects there.
      if (result.ok) {
        const url = result.data.livekit_url;
        watchConnections([url, url.replace(/^ws/i, 'http'), url.replace(/^http/i, 'ws')], 'the call\'s voice server (LiveKit)');
      }
      if (!result.ok && result.error.code === 'network_error' && base) return (await refusedOrigin(body.demo)) ?? result;
      return result;
    },

    /**
     * GET /api/calls/{id} with the signed handle from the create response.
     * @param {string} callId @param {string} handle
     * @param {{signal?: AbortSignal}} [options]
     */
    getCall(callId, handle, { signal } = {}) {
      return request(`/api/calls/${encodeURIComponent(callId)}`, {
        method: 'GET',
        headers: { Accept: 'application/json', ...(handle ? { 'X-Call-Handle': handle } : {}) },
        signal,
      });
    },

    /**
     * The summary right after hang-up may still say in_progress while the backend hears about the end;
     * ask again with backoff until it settles or the time budget runs out (then return the last answer).
     * @param {string} callId @param {string} handle
     * @param {{timeoutMs?: number, firstDelayMs?: number, signal?: AbortSignal, sleep?: (ms: number) => Promise<void>}} [options]
     */
    async pollCall(callId, handle, { timeoutMs = 10_000, firstDelayMs = 500, signal, sleep = (ms) => wait(ms, signal) } = {}) {
      let delay = firstDelayMs;
      let waited = 0;
      for (;;) {
        const result = await this.getCall(callId, handle, { signal });
        const settled = !result.ok || result.data.status !== 'in_progress';
        if (settled || waited + delay > timeoutMs || signal?.aborted) return result;
        await sleep(delay);
        waited += delay;
        delay = Math.min(delay * 2, 4000);
      }
    },
  };
}
