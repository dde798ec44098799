// The after-call panel: why the call ended, its duration and the backend's status (GET /api/calls/<id>).
// The duration is the page's (call-clock.js: from the agent's answer), the figure the call's clock showed
// and the `ended` event carries; the backend's counts from the create, a few seconds more, and is the
// studio's.

import { formatDuration } from './format.js';

/**
 * @typedef {import('./call-events.js').EndedDetail} EndedDetail
 * @typedef {{t: (key: string, params?: object) => string, has: (key: string) => boolean}} Translator
 */

/** Resolves when the browser is online again (at once if it says it is, after a short pause then). */
function backOnline() {
  return new Promise((resolve) => {
    if (globalThis.navigator?.onLine !== false) setTimeout(resolve, 3000);
    else globalThis.addEventListener('online', () => resolve(undefined), { once: true });
  });
}

/** How often a summary that failed for want of a network is asked again. */
const NETWORK_RETRIES = 3;

export class SummaryPanel {
  #token = 0;
  #panel;
  #backOnline;

  /**
   * @param {HTMLElement} panel
   * @param {{backOnline?: () => Promise<unknown>}} [options] when to ask again after a network error
   */
  constructor(panel, { backOnline: whenOnline = backOnline } = {}) {
    this.#panel = panel;
    this.#backOnline = whenOnline;
  }

  /** @param {string} selector @param {string} text */
  #text(selector, text) {
    /** @type {HTMLElement} */ (this.#panel.querySelector(selector)).textContent = text;
  }

  /** @param {EndedDetail} ended @param {Translator} tr */
  showReason(ended, tr) {
    this.#text('.ended-reason', tr.t(`ended.${ended.reason}`));
  }

  /**
   * Show what is known now, then the backend's record once it is in (unless a newer call came first).
   * A call that ended with the network (a dropped call) is asked about again once the browser is online.
   * @param {EndedDetail} ended
   * @param {{callId: string|null, summary: () => Promise<{ok: boolean, data?: any, error?: {code: string}}>}} session
   * @param {Translator} tr
   * @param {{lines: number}} transcript how many lines the transcript below has
   */
  async load(ended, session, tr, { lines }) {
    const token = ++this.#token;
    const panel = this.#panel;
    const note = /** @type {HTMLElement} */ (panel.querySelector('.summary-note'));
    const unavailable = () => {
      this.#text('[data-summary="status"]', '–');
      note.textContent = lines ? `${tr.t('summary.unavailable')} ${tr.t('summary.transcriptBelow')}` : tr.t('summary.unavailable');
    };
    this.showReason(ended, tr);
    this.#text('[data-summary="duration"]', ended.durationSeconds != null ? formatDuration(ended.durationSeconds) : '–');
    this.#text('[data-summary="status"]', '…');
    note.hidden = false;
    note.textContent = tr.t('summary.loading');
    panel.dataset.loaded = 'false';
    // Cancelled before the agent answered: no call took place, whatever the backend says of the call the
    // create made and the page hung up (hang-up.js): "completed". Still read once, as every call with an
    // id is: the server gives a client's open-call place back on that read (webcall/open_calls.py).
    if (!session.callId || ended.reason === 'cancelled') {
      if (session.callId) session.summary();
      this.#text('[data-summary="status"]', '–');
      note.textContent = tr.t('summary.noCall');
      panel.dataset.loaded = 'true';
      return;
    }
    let result = await session.summary();
    for (let retry = 0; !result.ok && result.error?.code === 'network_error' && retry < NETWORK_RETRIES; retry += 1) {
      if (token !== this.#token) return;
      unavailable();
      await this.#backOnline();
      if (token !== this.#token) return;
      result = await session.summary();
    }
    if (token !== this.#token) return; // a newer call started meanwhile
    if (result.ok) {
      const { status } = result.data;
      const statusKey = `callStatus.${status}`;
      this.#text('[data-summary="status"]', tr.has(statusKey) ? tr.t(statusKey) : String(status ?? '–'));
      panel.dataset.status = status ?? '';
      note.hidden = true;
    } else {
      unavailable();
    }
    panel.dataset.loaded = 'true';
  }
}
