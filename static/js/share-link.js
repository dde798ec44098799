// Share links carry their token in the URL fragment (`/demo/<slug>#link=…`, `/embed/<slug>#link=…`):
// browsers never send a fragment to a server, so the token stays out of request lines, access logs and
// Referer headers. The page reads it here and sends it only in request bodies (the link check, the create).

import { readResponse } from './api-client.js';

const MAX_TOKEN = 4000;

/**
 * The share-link token in a URL fragment such as `#link=abc.def`, or null.
 * @param {string} hash location.hash
 * @returns {string|null}
 */
export function linkFromFragment(hash) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const token = params.get('link');
  return token && token.length <= MAX_TOKEN ? token : null;
}

/**
 * Ask the app whether `link` opens demo `slug`: {ok: true, data: {title, company, …}} or
 * {ok: false, error: {code: 'link_invalid'|'link_expired'|…}} (never throws).
 * @param {string} slug @param {string} link
 * @param {{fetch?: typeof fetch}} [options]
 */
export async function checkLink(slug, link, { fetch: fetchImpl = globalThis.fetch.bind(globalThis) } = {}) {
  try {
    const response = await fetchImpl(`/api/demos/${encodeURIComponent(slug)}/link`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ link }),
    });
    return await readResponse(response);
  } catch (err) {
    return { ok: false, error: { code: 'network_error', message: String(err?.message ?? err), status: 0 } };
  }
}
