// Everything around a running call: the clock, the maximum-length warning, the mic meter and the agent
// visualizer, the mute button, polite announcements, and the screen wake lock. It owns every timer the
// element starts during a call, so stop() leaves none ticking.

import { isActive } from './call-state.js';
import { formatDuration } from './format.js';
import { ICONS } from './icons.js';
import { pageAllows } from './page-policy.js';
import { trustedHTML } from './trusted-html.js';

/**
 * The M key mutes: only while focus is in the element (not from the bare page: a one-letter shortcut
 * that cannot be turned off muted speech-input users saying a word with an "m", WCAG 2.1.4) and the
 * person is not typing there. A widget never takes the letter M from a host page's own inputs.
 * @param {KeyboardEvent} event @param {HTMLElement} host the element
 */
export function isMuteShortcut(event, host) {
  if (event.key !== 'm' && event.key !== 'M') return false;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return false;
  const path = event.composedPath();
  const target = path[0];
  if (target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return false;
  return path.includes(host);
}

/**
 * @typedef {import('./element-template.js').ElementParts} ElementParts
 * @typedef {(key: string, params?: object) => string} Translate
 */

export class CallChrome {
  /** @type {ReturnType<typeof setInterval>|null} */ #clock = null;
  /** @type {ReturnType<typeof setInterval>|null} */ #maxWarning = null;
  /** @type {Set<ReturnType<typeof setTimeout>>} */ #announcements = new Set();
  /** @type {WakeLockSentinel|null} */ #wakeLock = null;
  #askingWakeLock = false; // a request on its way: one at a time
  #wantWakeLock = false; // released meanwhile: a lock that arrives late is let go
  #lastMeterValue = -1;
  #reducedMotion = globalThis.matchMedia?.('(prefers-reduced-motion: reduce)');
  #parts;
  #t;

  /** @param {ElementParts} parts @param {Translate} t (reads the element's current language) */
  constructor(parts, t) {
    this.#parts = parts;
    this.#t = t;
  }

  /**
   * The status line, the big button, the hints, the controls and the composer for a call state.
   * @param {import('./call-events.js').CallState} state
   * @param {{voice: boolean, title: string, hadCall: boolean, dropped?: boolean}} context hadCall: the agent
   *   answered (a duration to show); dropped: the call ended with reason `dropped` (its error says so)
   */
  renderState(state, { voice, title, hadCall, dropped = false }) {
    const p = this.#parts;
    const t = this.#t;
    const active = isActive(state);
    const inCall = state === 'in-call';
    p.card.dataset.state = state;
    p.card.dataset.mode = voice ? 'voice' : 'text';
    p.title.textContent = title;
    p.subtitle.textContent = t(voice ? 'subtitle.voice' : 'subtitle.text');
    p.subtitle.hidden = active; // an invitation to start a call, not news during one
    p.status.dataset.state = state;
    // A dropped call is an error too, but "Call failed" under panels that say the connection dropped
    // named two different things: the status says it dropped.
    // Written only when the words change: it is a live region (role=status), and a redraw wrote the same
    // "In call" again, announced right after "Connection lost. Reconnecting…".
    const status = t(state === 'error' && dropped ? 'state.dropped' : `state.${state}`);
    if (p.statusText.textContent !== status) p.statusText.textContent = status;
    // The big button: start, cancel while connecting, hang up in a call.
    p.callButton.dataset.variant = active ? 'end' : 'start';
    // Switched off while the call ends, but with aria-disabled, not `disabled`: a disabled button loses
    // focus (to <body>) just after the person pressed it, and it is their next control ("Call again").
    // The element ignores its clicks meanwhile.
    if (state === 'ending') p.callButton.setAttribute('aria-disabled', 'true');
    else p.callButton.removeAttribute('aria-disabled');
    // Our constant icons (trusted-html.js: a host page with Trusted Types refuses a plain string).
    p.callIcon.innerHTML = trustedHTML(active ? ICONS.hangUp : voice ? ICONS.phone : ICONS.chat);
    p.callLabel.textContent = active
      ? t(inCall ? 'action.end' : 'action.cancel')
      : t(state === 'ended' ? 'action.callAgain' : voice ? 'action.start' : 'action.startText');
    p.callButton.setAttribute('aria-busy', String(active && !inCall));
    p.timer.hidden = !inCall && !(state === 'ended' && hadCall);
    p.hint.hidden = !voice || !(state === 'idle' || inCall || state === 'requesting-mic');
    p.$('.hint-text').textContent = t(voice ? 'hint.headphones' : 'hint.textMode');
    p.controls.hidden = !(voice && inCall);
    p.shortcutHint.hidden = !(voice && inCall);
    p.composer.hidden = !inCall;
    p.input.disabled = !inCall;
  }

  /** @param {() => void} render redraws the clock */
  startClock(render) {
    this.stopClock();
    this.#clock = setInterval(render, 1000);
    render();
  }

  /** The clock and the max-length countdown stop with the call. */
  stopClock() {
    if (this.#clock) clearInterval(this.#clock);
    if (this.#maxWarning) clearInterval(this.#maxWarning);
    this.#clock = null;
    this.#maxWarning = null;
  }

  /** @param {number} elapsed @param {number|null} max @param {boolean} inCall */
  renderClock(elapsed, max, inCall) {
    this.#parts.timerValue.textContent = max && max > 0 && inCall
      ? `${formatDuration(elapsed)} / ${formatDuration(max)}`
      : formatDuration(elapsed);
  }

  /** @param {number} secondsLeft */
  startMaxWarning(secondsLeft) {
    const banner = this.#parts.maxWarning;
    const endsAt = Date.now() + secondsLeft * 1000;
    const update = () => {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      banner.textContent = this.#t('banner.maxLength', { seconds: left });
    };
    update();
    banner.hidden = false;
    // Announce once; the visible countdown ticks silently (a live region would read every second).
    this.announce(banner.textContent);
    if (this.#maxWarning) clearInterval(this.#maxWarning);
    this.#maxWarning = setInterval(update, 1000);
  }

  /** @param {string} message */
  announce(message) {
    const el = this.#parts.announcer;
    el.textContent = '';
    // A fresh text node so the same message twice is still announced.
    const timer = setTimeout(() => { this.#announcements.delete(timer); el.textContent = message; }, 50);
    this.#announcements.add(timer);
  }

  /** @param {boolean} muted */
  renderMute(muted) {
    const { muteButton, card } = this.#parts;
    // One name, its state in aria-pressed: a name that swapped to "Unmute" as it was pressed read as the opposite.
    muteButton.setAttribute('aria-pressed', String(muted));
    muteButton.setAttribute('aria-label', this.#t('action.mute'));
    /** @type {HTMLElement} */ (muteButton.querySelector('.mute-label')).textContent = this.#t('action.muteShort');
    /** @type {HTMLElement} */ (muteButton.querySelector('.mute-icon')).innerHTML = trustedHTML(muted ? ICONS.micOff : ICONS.mic);
    card.dataset.muted = String(muted);
  }

  /** @param {number} level 0..1 @param {boolean} muted */
  renderMicLevel(level, muted) {
    const value = muted ? 0 : Math.round(level * 100);
    // CSSOM custom properties are allowed under a strict CSP (unlike style attributes).
    setLevel(this.#parts.meter, '--level', value / 100);
    const coarse = Math.round(value / 10) * 10; // keep assistive tech from hearing 16 updates a second
    if (coarse !== this.#lastMeterValue) {
      this.#lastMeterValue = coarse;
      this.#parts.meter.setAttribute('aria-valuenow', String(coarse));
    }
  }

  /** @param {{level: number, bands: number[]}} sample */
  renderAgentLevel({ level, bands }) {
    if (this.#reducedMotion?.matches) return; // a still visualizer; the agent-state label carries the meaning
    this.#parts.bars.forEach((bar, i) => {
      const v = bands[i] ?? level ?? 0;
      // In 32 steps: each under a pixel of the bar's height, and a level that barely moves writes nothing.
      setLevel(bar, '--v', Math.round(Math.min(1, v * 1.4) * 32) / 32);
    });
  }

  async acquireWakeLock() {
    if (this.#wakeLock || this.#askingWakeLock || !navigator.wakeLock) return;
    // In an <iframe> without allow="screen-wake-lock" asking would only log a policy violation.
    if (!pageAllows('screen-wake-lock')) return;
    this.#wantWakeLock = true;
    this.#askingWakeLock = true;
    try {
      const lock = await navigator.wakeLock.request('screen');
      // The call ended while the browser was granting it: kept, it held the screen on until the tab hid.
      if (!this.#wantWakeLock) return void lock.release().catch(() => {});
      this.#wakeLock = lock;
      lock.addEventListener('release', () => { if (this.#wakeLock === lock) this.#wakeLock = null; }, { once: true });
    } catch {
      this.#wakeLock = null; // battery saver or a hidden tab: the call works anyway
    } finally {
      this.#askingWakeLock = false;
    }
  }

  releaseWakeLock() {
    this.#wantWakeLock = false;
    this.#wakeLock?.release().catch(() => {});
    this.#wakeLock = null;
  }

  /** The element is gone: no timer keeps ticking, no lock is held. */
  stop() {
    this.stopClock();
    for (const timer of this.#announcements) clearTimeout(timer);
    this.#announcements.clear();
    this.releaseWakeLock();
  }
}

/** The level last written to each meter and bar. @type {WeakMap<HTMLElement, number>} */
const written = new WeakMap();

/**
 * Write a level only when it changed: every write restyles the element, and a level often stays put
 * (silence, a muted microphone, an agent listening).
 * @param {HTMLElement} el @param {string} name @param {number} value
 */
function setLevel(el, name, value) {
  if (written.get(el) === value) return;
  written.set(el, value);
  el.style.setProperty(name, String(value));
}
