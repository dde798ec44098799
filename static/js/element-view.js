// Draws <itellico-call> from the facts the element keeps about its call (state, agent state, mode,
// mute, last error, last end): the call chrome for the state, the error and after-call panels, the
// privacy policy's links (privacy-url), the agent-state label and visualizer, the clock, the banners
// that belong to one call, and the session's purely visual events (levels, banners, the agent's audio
// element). The element decides; this draws.

import { CallChrome } from './call-chrome.js';
import { CallEvent } from './call-events.js';
import { isActive } from './call-state.js';
import { translateParts } from './element-template.js';
import { ErrorPanel } from './error-panel.js';
import { describeError, detectBrowser } from './error-messages.js';
import { PRIVACY_URL, PrivacyLinks } from './privacy-link.js';
import { SummaryPanel } from './summary-panel.js';
import { TranscriptView } from './transcript-view.js';

/**
 * @typedef {import('./call-events.js').CallState} CallState
 * @typedef {import('./call-events.js').AgentState} AgentState
 * @typedef {import('./call-events.js').ErrorDetail} ErrorDetail
 * @typedef {import('./call-events.js').EndedDetail} EndedDetail
 * @typedef {import('./call-session.js').CallSession} CallSession
 * @typedef {import('./session-bridge.js').SessionHandlers} SessionHandlers
 * @typedef {ReturnType<typeof import('./i18n.js').createTranslator>} Translator
 * @typedef {object} ViewFacts
 * @property {CallState} state
 * @property {boolean} voice          the running call's mode (else the attribute's) is voice
 * @property {AgentState|null} agentState
 * @property {boolean} muted
 * @property {string} title
 * @property {CallSession|null} session
 * @property {ErrorDetail|null} lastError
 * @property {EndedDetail|null} lastEnded
 * @property {Translator} tr
 */

/** @param {HTMLElement} el @param {string|null} lang the language of its words; none: its parent's */
const markLang = (el, lang) => (lang ? (el.lang = lang) : el.removeAttribute('lang'));

/** Ends a screen reader hears the reason of (ended.* in the catalogues). */
const ANNOUNCED_ENDS = new Set(['agent-ended', 'max-duration', 'removed']);

export class ElementView {
  chrome;
  transcript;
  #host;
  #dom;
  #t;
  #errorPanel;
  #summaryPanel;
  #privacy;
  /** livekit-client is rebuilding the connection (its Reconnecting until Reconnected). */
  #reconnecting = false;
  /** What the card waits for before it first shows. @type {Set<Promise<unknown>>} */
  #awaited = new Set();

  /**
   * @param {HTMLElement} host @param {import('./element-template.js').ElementParts} dom
   * @param {(key: string, params?: object) => string} t reads the element's current language
   * @param {{speakerLabels: () => {agent: string, user: string}, isError: () => boolean}} hooks
   */
  constructor(host, dom, t, { speakerLabels, isError }) {
    this.#host = host;
    this.#dom = dom;
    this.#t = t;
    this.chrome = new CallChrome(dom, t);
    this.transcript = new TranscriptView(dom, speakerLabels, () => host.getAttribute('agent-lang'));
    this.#errorPanel = new ErrorPanel(dom.error, dom.callButton, t, isError);
    this.#summaryPanel = new SummaryPanel(dom.summary);
    this.#privacy = new PrivacyLinks(dom);
    // Show the card only once its stylesheet is in (no flash of unstyled controls) and its words
    // (showAfter: no flash of keys, or of English before the page's language).
    this.showAfter(new Promise((loaded) => {
      dom.stylesheet.addEventListener('load', loaded, { once: true });
      dom.stylesheet.addEventListener('error', loaded, { once: true });
    }));
  }

  /** Show the card once `arrival` has settled too (a card already shown stays so). @param {Promise<unknown>} arrival */
  showAfter(arrival) {
    this.#awaited.add(arrival);
    const settled = () => {
      this.#awaited.delete(arrival);
      if (this.#awaited.size === 0) this.#dom.card.hidden = false;
    };
    arrival.then(settled, settled);
  }

  /**
   * Draw the facts. Drawing a state can hide or switch off the control that has focus ("Try again" as
   * the call starts again, the mute button or the message box as it ends): the browser would drop focus
   * to <body>, and a keyboard or screen reader user would start again from the top of the page. The
   * call button is the next thing to use in every state, so focus moves there.
   * @param {ViewFacts} f
   */
  render(f) {
    const { root, callButton } = this.#dom;
    const focused = root.activeElement;
    const before = this.#host.dataset.state;
    this.#draw(f);
    const now = root.activeElement;
    if (focused && (now === focused || now === null) && isGone(focused)) callButton.focus();
    if (f.state !== before && f.state === 'in-call') this.#bringIntoView(this.#callControls(f.voice));
  }

  /**
   * The part the person needs next, scrolled into sight if it is off screen: the call's controls as it
   * starts (mute, or the message box in text mode; the call button sits just above them), the summary as
   * it ends (ended() below). On a phone the summary started below the fold (y=674 of 844). Focus stays
   * where render() put it.
   * @param {HTMLElement} target
   */
  #bringIntoView(target) {
    if (target.hidden || typeof target.scrollIntoView !== 'function') return;
    const reduce = globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
    target.scrollIntoView({ block: 'nearest', behavior: reduce ? 'auto' : 'smooth' });
  }

  /**
   * The phone turned mid-call: the page kept its scroll offset, which in landscape could leave the call
   * button above the screen. The controls, then the call button, come back into sight (at once: the turn
   * itself was a jump). Only on a turn, not on every resize: a phone's address bar resizes the page as
   * the person scrolls, and they would be pulled back while reading.
   */
  #onTurn = () => {
    const { card, callButton } = this.#dom;
    if (this.#host.dataset.state !== 'in-call') return;
    const next = this.#callControls(card.dataset.mode === 'voice');
    if (!next.hidden) next.scrollIntoView({ block: 'nearest' });
    callButton.scrollIntoView({ block: 'nearest' });
  };

  /** What a call is used by, under the call button: mute and the meters, or the message box. @param {boolean} voice */
  #callControls(voice) {
    return voice ? this.#dom.controls : this.#dom.composer;
  }

  #orientation = globalThis.matchMedia?.('(orientation: portrait)');

  /** @param {ViewFacts} f */
  #draw(f) {
    const dom = this.#dom;
    const { state } = f;
    this.#host.dataset.state = state;
    const dropped = f.lastEnded?.reason === 'dropped';
    this.chrome.renderState(state, { voice: f.voice, title: f.title, hadCall: Boolean(f.session?.startedAt), dropped });
    // The demo's own words (its consent text, a title-text; not the card's translated title) are in its
    // language, whatever the UI's: a screen reader's voice, as for the agent's lines (transcript-view.js).
    const own = this.#host.getAttribute('agent-lang');
    markLang(dom.consentText, own);
    markLang(dom.title, this.#host.getAttribute('title-text') && own);
    this.#privacy.render(this.#host.getAttribute(PRIVACY_URL), state);
    if (state === 'error' && f.lastError) {
      this.#errorPanel.render(f.lastError, { t: this.#t, browser: browser(), canSwitchToText: f.session?.mode !== 'text' });
    }
    dom.error.hidden = state !== 'error';
    // After a dropped call the after-call panel shows too, under the error (its summary may be unavailable).
    const afterCall = state === 'ended' || (state === 'error' && dropped);
    dom.summary.hidden = !afterCall;
    if (afterCall && f.lastEnded) this.#summaryPanel.showReason(f.lastEnded, f.tr);
    if (!isActive(state)) this.#reconnecting = false;
    this.#drawConnection();
    this.chrome.renderMute(f.muted);
    this.renderAgentState(state, f.agentState);
    this.renderClock(f.session, state);
  }

  /**
   * "Connection lost" while livekit reconnects, and at once when the browser knows it is offline:
   * livekit-client notices only at its ping timeout (~15 s), and "In call" meanwhile said nothing.
   */
  #drawConnection() {
    // The state last drawn is the host's data-state (#draw).
    const offline = this.#host.dataset.state === 'in-call' && globalThis.navigator?.onLine === false;
    this.#dom.reconnecting.hidden = !(this.#reconnecting || offline);
  }

  /** @param {CallState} state @param {AgentState|null} agentState */
  renderAgentState(state, agentState) {
    const value = state === 'in-call' ? agentState ?? 'initializing' : '';
    this.#dom.agentState.dataset.agentState = value;
    this.#dom.visualizer.dataset.agentState = value;
    this.#host.dataset.agentState = value;
    this.#dom.agentState.textContent = value ? this.#t(`agent.${value}`) : '';
    if (value !== 'speaking') this.chrome.renderAgentLevel({ level: 0, bands: [] });
  }

  /** @param {CallSession|null} session @param {CallState} state */
  renderClock(session, state) {
    this.chrome.renderClock(session?.elapsedSeconds ?? 0, session?.maxCallSeconds ?? null, state === 'in-call');
  }

  /** The language changed. @param {string} lang @param {ViewFacts} f @param {import('./transcript.js').TranscriptEntry[]} entries */
  translate(lang, f, entries) {
    translateParts(this.#dom, lang, this.#t);
    this.renderAgentState(f.state, f.agentState);
    this.transcript.render(entries, true);
  }

  /** The agent answered: the clock ticks, the screen stays on. @param {() => void} renderClock */
  callUp(renderClock) {
    this.chrome.startClock(renderClock);
    this.chrome.acquireWakeLock();
    this.#orientation?.addEventListener('change', this.#onTurn);
  }

  callDown() {
    this.chrome.stopClock();
    this.chrome.releaseWakeLock();
    this.#orientation?.removeEventListener('change', this.#onTurn);
  }

  /** A new call: no countdown of the last error, an empty transcript. */
  reset() {
    this.#errorPanel.stop();
    this.transcript.reset();
  }

  /** @param {ErrorDetail} detail */
  showError(detail) {
    if (detail.fatal) this.#errorPanel.arm(detail);
    else this.chrome.announce(describeError(detail, this.#t, { browser: browser() }).title);
  }

  /**
   * The call is over: its banners go, the transcript is final, the after-call panel loads the summary.
   * @param {EndedDetail} detail @param {CallSession|null} session @param {Translator} tr
   * @param {import('./transcript.js').TranscriptEntry[]} entries
   */
  ended(detail, session, tr, entries) {
    this.#reconnecting = false;
    this.#drawConnection();
    this.#dom.audioBlocked.hidden = true;
    this.#dom.micLost.hidden = true;
    this.#dom.maxWarning.hidden = true;
    this.transcript.render(entries);
    if (detail.reason !== 'failed' && session) this.#summaryPanel.load(detail, session, tr, { lines: entries.length });
    // The status says only "Call ended": why is news when the person did not end it themselves (the
    // error panel, an alert, speaks for a dropped or failed call).
    if (ANNOUNCED_ENDS.has(detail.reason)) this.chrome.announce(tr.t(`ended.${detail.reason}`));
    // Only now, filled (its facts, "Loading…"): brought into view as the state turned, before, it grew
    // under the fold by a line (a phone in landscape, hung up from the top of the page).
    if (this.#host.dataset.state === 'ended') this.#bringIntoView(this.#dom.summary);
  }

  /** The session's events that only draw. @param {() => boolean} muted @returns {SessionHandlers} */
  handlers(muted) {
    const chrome = this.chrome;
    const dom = this.#dom;
    return {
      [CallEvent.Reconnecting]: () => { this.#reconnecting = true; this.#drawConnection(); },
      [CallEvent.Reconnected]: () => {
        this.#reconnecting = false;
        this.#drawConnection();
        chrome.announce(this.#t('banner.reconnected'));
      },
      [CallEvent.AudioBlocked]: (d) => { dom.audioBlocked.hidden = !d.blocked; },
      [CallEvent.MicLost]: (d) => { dom.micLost.hidden = !d.lost; },
      [CallEvent.AgentAudio]: (d) => { if (d.attached) dom.sink.append(d.element); },
      [CallEvent.MicLevel]: (d) => chrome.renderMicLevel(d.level, muted()),
      [CallEvent.AgentLevel]: (d) => chrome.renderAgentLevel(d),
      [CallEvent.MaxCallWarning]: (d) => chrome.startMaxWarning(d.secondsLeft),
    };
  }

  /** The element was removed: no timer keeps ticking, no lock is held. */
  stop() {
    this.chrome.stop();
    this.#orientation?.removeEventListener('change', this.#onTurn);
    this.#errorPanel.stop();
  }
}

function browser() {
  return detectBrowser(globalThis.navigator?.userAgent ?? '');
}

/** Hidden (the view hides parts with the `hidden` attribute) or disabled. @param {Element} el */
function isGone(el) {
  return el.closest('[hidden]') !== null || el.matches(':disabled');
}
