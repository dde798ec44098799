// The after-call panel: why the call ended, its duration and the backend's status (GET /api/calls/<id>).
// The duration is the page's (call-clock.js: from the agent's answer), the figure the call's clock showed
// and the `ended` event carries; the backend's counts from the create, a few seconds more, and is the
// studio's.

import { formatDuration } from './format.js';

/**
 * @typedef {import('./call-events.js').EndedDetail} EndedDetail
 * @typedef {{t: (key: string, params?: object) => string, has: (key: string) => boolean}} Translator
 */

export class SummaryPanel {
  #token = 0;
  #panel;

  /** @param {HTMLElement} panel */
  constructor(panel) {
    this.#panel = panel;
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
   * @param {EndedDetail} ended
   * @param {{callId: string|null, summary: () => Promise<{ok: boolean, data?: any}>}} session
   * @param {Translator} tr
   */
  async load(ended, session, tr) {
    const token = ++this.#token;
    const panel = this.#panel;
    const note = /** @type {HTMLElement} */ (panel.querySelector('.summary-note'));
    this.showReason(ended, tr);
    this.#text('[data-summary="duration"]', ended.durationSeconds != null ? formatDuration(ended.durationSeconds) : '–');
    this.#text('[data-summary="status"]', '…');
    note.hidden = false;
    note.textContent = tr.t('summary.loading');
    panel.dataset.loaded = 'false';
    if (!session.callId) {
      note.textContent = tr.t('summary.unavailable');
      return;
    }
    const result = await session.summary();
    if (token !== this.#token) return; // a newer call started meanwhile
    if (result.ok) {
      const { status } = result.data;
      const statusKey = `callStatus.${status}`;
      this.#text('[data-summary="status"]', tr.has(statusKey) ? tr.t(statusKey) : String(status ?? '–'));
      panel.dataset.status = status ?? '';
      note.hidden = true;
    } else {
      this.#text('[data-summary="status"]', '–');
      note.textContent = tr.t('summary.unavailable');
    }
    panel.dataset.loaded = 'true';
  }
}
