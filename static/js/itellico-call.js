// <itellico-call>: the click-to-talk UI over CallSession. Importing this module defines the element.
//
// Configuration is by attributes (demo, mode, lang, theme, api-base, consent-text, max-call-seconds, link,
// initial-text); the public API is properties, methods and bubbling, composed `itellico-call:*` events
// (see docs/widget.md). Everything lives in an open shadow root (element-template.js) so host CSS cannot
// leak in. livekit-client is not loaded until the person shows intent (hover/focus warms it, click starts).
// Parts: transcript-view.js, error-panel.js, summary-panel.js, device-picker.js, call-chrome.js.

import { CallEvent, ELEMENT_EVENT_PREFIX, PUBLIC_EVENTS, onCallEvent } from './call-events.js';
import { CallSession, loadLivekitClient } from './call-session.js';
import { CallChrome, isMuteShortcut } from './call-chrome.js';
import { isActive } from './call-state.js';
import { hasConsented, rememberConsent } from './consent.js';
import { loadDevicePrefs, saveDevicePref } from './device-prefs.js';
import { fillDevicePickers } from './device-picker.js';
import { renderTemplate, translateParts } from './element-template.js';
import { ErrorPanel } from './error-panel.js';
import { describeError, detectBrowser } from './error-messages.js';
import { transcriptFileName } from './format.js';
import { createTranslator, resolveLanguage } from './i18n.js';
import { SummaryPanel } from './summary-panel.js';
import { transcriptToJSON, transcriptToText } from './transcript.js';
import { TranscriptView, downloadFile } from './transcript-view.js';

/**
 * @typedef {import('./call-events.js').CallState} CallState
 * @typedef {import('./call-events.js').AgentState} AgentState
 * @typedef {import('./call-events.js').ErrorDetail} ErrorDetail
 * @typedef {import('./call-events.js').EndedDetail} EndedDetail
 * @typedef {import('./transcript.js').TranscriptEntry} TranscriptEntry
 */

/** @returns {Storage|undefined} */
function storage() {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // storage blocked in this context (sandboxed iframe)
  }
}

export class ItellicoCallElement extends HTMLElement {
  static observedAttributes = ['lang', 'mode', 'theme', 'consent-text'];

  /** @type {CallSession|null} */ #session = null;
  /** @type {CallState} */ #state = 'idle';
  /** @type {AgentState|null} */ #agentState = null;
  /** @type {TranscriptEntry[]} */ #entries = [];
  /** @type {ErrorDetail|null} */ #lastError = null;
  /** @type {EndedDetail|null} */ #lastEnded = null;
  #muted = false;
  #tr = createTranslator('en');
  /** @type {Record<string, string>|undefined} */ #variables = undefined;
  /** Devices picked in this element (remembered in localStorage across page loads); applied to every new call. */
  /** @type {{audioinput?: string, audiooutput?: string}} */
  #preferredDevices = { audioinput: undefined, audiooutput: undefined, ...loadDevicePrefs(storage()) };
  /** @param {string} key @param {object} [params] */
  #t = (key, params) => this.#tr.t(key, params);
  #dom;
  #chrome;
  #transcriptView;
  #errorPanel;
  #summaryPanel;

  constructor() {
    super();
    const dom = renderTemplate(this.attachShadow({ mode: 'open' }));
    this.#dom = dom;
    this.#chrome = new CallChrome(dom, this.#t);
    this.#transcriptView = new TranscriptView(dom, () => this.#speakerLabels());
    this.#errorPanel = new ErrorPanel(dom.error, this.#t, () => this.#state === 'error');
    this.#summaryPanel = new SummaryPanel(dom.summary);
    // Show the card only once its stylesheet is in, so there is no flash of unstyled controls.
    const reveal = () => { dom.card.hidden = false; };
    dom.stylesheet.addEventListener('load', reveal, { once: true });
    dom.stylesheet.addEventListener('error', reveal, { once: true });
    dom.root.addEventListener('click', (e) => this.#onClick(e));
    dom.root.addEventListener('change', (e) => this.#onDeviceChange(e));
    dom.composer.addEventListener('submit', (e) => { e.preventDefault(); this.#submitText(); });
    // Warm up: fetch livekit-client when the person is about to click, not on page load.
    for (const type of ['pointerenter', 'focus']) {
      dom.callButton.addEventListener(type, () => loadLivekitClient().catch(() => { /* reported when the call starts */ }), { once: true });
    }
  }

  connectedCallback() {
    this.#applyLanguage();
    document.addEventListener('keydown', this.#onKeydown);
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#render();
  }

  disconnectedCallback() {
    document.removeEventListener('keydown', this.#onKeydown);
    document.removeEventListener('visibilitychange', this.#onVisibility);
    // Single-page apps re-parent elements: a move runs disconnectedCallback and connectedCallback in the
    // same task, before any microtask. Only an element still out of the document after one is gone, and
    // then it must leave no live microphone, wake lock or ticking timer behind.
    queueMicrotask(() => {
      if (this.isConnected) return;
      this.#session?.end();
      this.#chrome.stop();
      this.#errorPanel.stop();
    });
  }

  attributeChangedCallback(/** @type {string} */ name) {
    if (name === 'lang') this.#applyLanguage();
    if (this.#dom) this.#render();
  }

  // ── public API ─────────────────────────────────────────────────────────────

  /** The call state: idle, requesting-mic, connecting, waiting-for-agent, in-call, ending, ended, error. */
  get state() { return this.#state; }
  /** initializing, idle, listening, thinking, speaking, or null outside a call. */
  get agentState() { return this.#agentState; }
  /** The backend's id of the current (or last) call, or null. */
  get callId() { return this.#session?.callId ?? null; }
  /** The lines so far: [{id, role, text, final, source, timestamp}]. */
  get transcript() { return this.#entries.map((e) => ({ ...e })); }
  get muted() { return this.#muted; }
  /** Values for the agent's variables (only names the demo allows reach it). Set before start(). */
  get variables() { return this.#variables; }
  set variables(value) { this.#variables = value && typeof value === 'object' ? { ...value } : undefined; }

  /** @returns {'voice'|'text'} */
  get mode() { return this.getAttribute('mode') === 'text' ? 'text' : 'voice'; }
  set mode(value) { this.setAttribute('mode', value === 'text' ? 'text' : 'voice'); }

  /** Start a call (asks for consent first when a consent text is set and not yet accepted). */
  async start() {
    if (isActive(this.#state)) return false;
    const consentText = this.getAttribute('consent-text');
    if (consentText && !hasConsented(consentText, storage())) {
      this.#dom.consent.hidden = false;
      this.#dom.consentText.textContent = consentText;
      this.#dom.$('[data-action="accept"]').focus();
      return false;
    }
    return this.#startSession();
  }

  /** Hang up (or cancel a call that is still connecting). */
  end() {
    return this.#session?.end();
  }

  /** Send typed text to the agent during a call. Resolves true when sent. @param {string} text */
  sendText(text) {
    return this.#session?.sendText(text) ?? Promise.resolve(false);
  }

  /** Mute (true) or unmute (false) the microphone. @param {boolean} muted */
  async setMuted(muted) {
    this.#muted = Boolean(muted);
    await this.#session?.setMuted(this.#muted);
    this.#chrome.renderMute(this.#muted);
  }

  /** Diagnostics: inbound audio counters and the selected ICE pair (see CallSession#getConnectionStats). */
  getConnectionStats() {
    return this.#session?.getConnectionStats() ?? Promise.resolve(null);
  }

  // ── session wiring ─────────────────────────────────────────────────────────

  #newSession() {
    const maxAttr = Number(this.getAttribute('max-call-seconds'));
    const session = new CallSession({
      apiBase: this.getAttribute('api-base') ?? '',
      demo: this.getAttribute('demo') ?? undefined,
      mode: this.mode,
      initialText: this.getAttribute('initial-text') ?? undefined,
      link: this.getAttribute('link') ?? undefined,
      variables: this.#variables,
      maxCallSeconds: maxAttr > 0 ? maxAttr : undefined,
    });
    /**
     * This session's event, while it is the element's current one.
     * @template {import('./call-events.js').CallEventName} K
     * @param {K} type @param {(detail: import('./call-events.js').CallEventDetails[K]) => void} fn
     */
    const on = (type, fn) => onCallEvent(session, type, (detail) => { if (this.#session === session) fn(detail); });
    on(CallEvent.State, (d) => this.#onState(d.state));
    on(CallEvent.AgentState, (d) => { this.#agentState = d.agentState; this.#renderAgentState(); });
    on(CallEvent.Transcript, (d) => { this.#entries = d.entries; this.#transcriptView.render(this.#entries); });
    on(CallEvent.Error, (d) => this.#onError(d));
    on(CallEvent.Ended, (d) => this.#onEnded(d));
    on(CallEvent.Reconnecting, () => { this.#dom.reconnecting.hidden = false; });
    on(CallEvent.Reconnected, () => { this.#dom.reconnecting.hidden = true; this.#chrome.announce(this.#t('banner.reconnected')); });
    on(CallEvent.AudioBlocked, (d) => { this.#dom.audioBlocked.hidden = !d.blocked; });
    on(CallEvent.AgentAudio, (d) => { if (d.attached) this.#dom.sink.append(d.element); });
    on(CallEvent.MicLevel, (d) => this.#chrome.renderMicLevel(d.level, this.#muted));
    on(CallEvent.AgentLevel, (d) => this.#chrome.renderAgentLevel(d));
    on(CallEvent.Muted, (d) => { this.#muted = d.muted; this.#chrome.renderMute(this.#muted); });
    on(CallEvent.MaxCallWarning, (d) => this.#chrome.startMaxWarning(d.secondsLeft));
    on(CallEvent.DevicesChanged, () => this.#fillDevicePickers());
    for (const type of PUBLIC_EVENTS) {
      onCallEvent(session, type, (detail) => {
        // `ended` always reaches the host, once per call: a host that retries from its error listener
        // has already replaced this session when the failed call's `ended` follows.
        if (this.#session === session || type === CallEvent.Ended) this.#dispatch(type, detail);
      });
    }
    return session;
  }

  #startSession() {
    this.#dom.consent.hidden = true;
    const session = this.#newSession();
    this.#session = session;
    this.#entries = [];
    this.#lastError = null;
    this.#lastEnded = null;
    this.#errorPanel.stop();
    this.#transcriptView.reset();
    // Nothing is awaited before start(): it unlocks audio and must run inside the click (Safari).
    // Before a call both only record the choice, synchronously.
    if (this.#muted) session.setMuted(true);
    // The microphone preference is an `ideal` constraint (a missing device falls back to the default);
    // the speaker is applied once the call is up and the device is known to be present (#fillDevicePickers).
    if (this.#preferredDevices.audioinput) session.switchDevice('audioinput', this.#preferredDevices.audioinput);
    return session.start();
  }

  /** @param {CallState} state */
  #onState(state) {
    this.#state = state;
    if (state === 'in-call') {
      this.#chrome.startClock(() => this.#renderClock());
      this.#chrome.acquireWakeLock();
      this.#fillDevicePickers();
    }
    if (!isActive(state)) {
      this.#chrome.stopClock();
      this.#chrome.releaseWakeLock();
      this.#agentState = null;
      this.#renderAgentState();
    }
    this.#render();
    // In text mode the message box is the next thing to use (focus only after render un-hides it).
    if (state === 'in-call' && this.#effectiveMode() === 'text') this.#dom.input.focus();
  }

  /** @param {ErrorDetail} detail */
  #onError(detail) {
    if (!detail.fatal) {
      this.#chrome.announce(describeError(detail, this.#t, { browser: this.#browser() }).title);
      return;
    }
    this.#lastError = detail;
    this.#errorPanel.arm(detail);
    this.#render();
  }

  /** @param {EndedDetail} detail */
  #onEnded(detail) {
    this.#lastEnded = detail;
    this.#dom.reconnecting.hidden = true;
    this.#dom.audioBlocked.hidden = true;
    this.#dom.maxWarning.hidden = true;
    this.#transcriptView.render(this.#entries);
    if (detail.reason !== 'failed' && this.#session) this.#summaryPanel.load(detail, this.#session, this.#tr);
    this.#render();
  }

  /** @param {string} type @param {unknown} detail */
  #dispatch(type, detail) {
    this.dispatchEvent(new CustomEvent(`${ELEMENT_EVENT_PREFIX}${type}`, { detail, bubbles: true, composed: true }));
  }

  // ── interaction ────────────────────────────────────────────────────────────

  /** @param {Event} event */
  #onClick(event) {
    const button = /** @type {HTMLButtonElement|null} */ (/** @type {Element} */ (event.target).closest?.('[data-action]'));
    if (!button || button.disabled) return;
    switch (button.dataset.action) {
      case 'call':
        // Synchronously into session.start(): it unlocks audio inside this click.
        if (isActive(this.#state)) this.end();
        else this.start();
        break;
      case 'accept':
        rememberConsent(this.getAttribute('consent-text'), storage());
        this.#startSession();
        break;
      case 'decline':
        this.#dom.consent.hidden = true;
        this.#dom.callButton.focus();
        break;
      case 'retry':
        this.start();
        break;
      case 'jump':
        this.#transcriptView.jumpToLatest();
        break;
      case 'switch-to-text':
        this.mode = 'text';
        this.start();
        break;
      case 'start-audio':
        // Must run synchronously inside the tap: autoplay rules only honour a direct user gesture.
        this.#session?.startAudio();
        break;
      case 'mute':
        this.setMuted(!this.#muted);
        break;
      case 'copy':
        (async () => navigator.clipboard.writeText(transcriptToText(this.#entries, this.#speakerLabels())))().then(
          () => this.#chrome.announce(this.#t('action.copied')),
          () => this.#chrome.announce(this.#t('action.copyFailed')),
        );
        break;
      case 'download-text':
        downloadFile(this.#dom.sink, transcriptFileName(this.callId, 'txt'), 'text/plain', transcriptToText(this.#entries, this.#speakerLabels()));
        break;
      case 'download-json':
        downloadFile(this.#dom.sink, transcriptFileName(this.callId, 'json'), 'application/json', transcriptToJSON(this.#entries, { callId: this.callId }));
        break;
      default:
    }
  }

  /** @param {KeyboardEvent} event */
  #onKeydown = (event) => {
    if (this.#state !== 'in-call' || this.#effectiveMode() !== 'voice' || !isMuteShortcut(event, this)) return;
    event.preventDefault();
    this.setMuted(!this.#muted);
  };

  #onVisibility = () => {
    // The browser drops a wake lock when the tab is hidden; take it again when the person comes back.
    if (document.visibilityState === 'visible' && this.#state === 'in-call') this.#chrome.acquireWakeLock();
  };

  async #submitText() {
    const text = this.#dom.input.value.trim();
    if (!text) return;
    if (await this.sendText(text)) this.#dom.input.value = '';
  }

  /** @param {Event} event */
  #onDeviceChange(event) {
    const select = /** @type {HTMLSelectElement|null} */ (/** @type {Element} */ (event.target).closest?.('select[data-device]'));
    if (!select) return;
    const kind = /** @type {'audioinput'|'audiooutput'} */ (select.dataset.device);
    this.#preferredDevices[kind] = select.value || undefined;
    saveDevicePref(storage(), kind, select.value);
    this.#session?.switchDevice(kind, select.value);
  }

  #fillDevicePickers() {
    if (!this.#session || this.mode !== 'voice') return;
    fillDevicePickers(this.#dom, this.#session, this.#preferredDevices, this.#t);
  }

  // ── rendering ──────────────────────────────────────────────────────────────

  #applyLanguage() {
    const lang = resolveLanguage(this.getAttribute('lang'), globalThis.navigator?.languages ?? []);
    this.#tr = createTranslator(lang);
    if (!this.#dom) return;
    translateParts(this.#dom, lang, this.#t);
    this.#renderAgentState();
    this.#transcriptView.render(this.#entries, true);
  }

  #render() {
    const dom = this.#dom;
    const state = this.#state;
    const voice = this.#effectiveMode() === 'voice';
    const active = isActive(state);

    this.dataset.state = state;
    this.#chrome.renderState(state, {
      voice,
      title: this.getAttribute('title-text') || this.#session?.agentName || this.#t('title'),
      hadCall: Boolean(this.#session?.startedAt),
    });

    if (state === 'error' && this.#lastError) {
      this.#errorPanel.render(this.#lastError, { t: this.#t, browser: this.#browser(), canSwitchToText: this.#session?.mode !== 'text' });
    }
    dom.error.hidden = state !== 'error';
    // After a dropped call the after-call panel shows too, under the error (its summary may be unavailable).
    const afterCall = state === 'ended' || (state === 'error' && this.#lastEnded?.reason === 'dropped');
    dom.summary.hidden = !afterCall;
    if (afterCall && this.#lastEnded) this.#summaryPanel.showReason(this.#lastEnded, this.#tr);
    if (!active) dom.reconnecting.hidden = true;
    this.#chrome.renderMute(this.#muted);
    this.#renderAgentState();
    this.#renderClock();
  }

  #renderAgentState() {
    const value = this.#state === 'in-call' ? this.#agentState ?? 'initializing' : '';
    this.#dom.agentState.dataset.agentState = value;
    this.#dom.visualizer.dataset.agentState = value;
    this.dataset.agentState = value;
    this.#dom.agentState.textContent = value ? this.#t(`agent.${value}`) : '';
    if (value !== 'speaking') this.#chrome.renderAgentLevel({ level: 0, bands: [] });
  }

  #renderClock() {
    this.#chrome.renderClock(this.#session?.elapsedSeconds ?? 0, this.#session?.maxCallSeconds ?? null, this.#state === 'in-call');
  }

  /** The running call's mode wins over the attribute, which may change mid-call and applies to the next call. */
  #effectiveMode() {
    return isActive(this.#state) && this.#session ? this.#session.mode : this.mode;
  }

  #speakerLabels() {
    return { agent: this.#session?.agentName || this.#t('label.agent'), user: this.#t('label.you') };
  }

  #browser() {
    return detectBrowser(globalThis.navigator?.userAgent ?? '');
  }
}

if (!customElements.get('itellico-call')) customElements.define('itellico-call', ItellicoCallElement);
