// <itellico-call>: the click-to-talk UI over CallSession. Importing this module defines the element.
//
// Configuration is by attributes (demo, mode, lang, theme, api-base, consent-text, max-call-seconds, link,
// initial-text); the public API is properties, methods and bubbling, composed `itellico-call:*` events
// (see docs/widget.md). Everything lives in an open shadow root styled by one stylesheet
// loaded by URL, so a host page with a strict CSP (no 'unsafe-inline') works and host CSS cannot leak in.
// livekit-client is not loaded until the person shows intent (hover/focus warms it, click starts).

import { CallSession, loadLivekitClient } from './call-session.js';
import { isActive } from './call-state.js';
import { hasConsented, rememberConsent } from './consent.js';
import { describeError, detectBrowser } from './error-messages.js';
import { availablePref, loadDevicePrefs, saveDevicePref } from './device-prefs.js';
import { formatDuration, secondsUntil, transcriptFileName } from './format.js';
import { createTranslator, resolveLanguage } from './i18n.js';
import { ICONS } from './icons.js';
import { transcriptToJSON, transcriptToText, visibleEntries } from './transcript.js';

const STYLESHEET_URL = new URL('../css/itellico-call.css', import.meta.url).href;
const EVENT_PREFIX = 'itellico-call:';
/** Session events re-dispatched on the element for host pages. */
const PUBLIC_EVENTS = ['state', 'agent-state', 'transcript', 'error', 'ended'];
/** The transcript stops following new lines when the person has scrolled further up than this. */
const STICK_TO_BOTTOM_PX = 32;

const TEMPLATE = `
<link rel="stylesheet" href="${STYLESHEET_URL}">
<section class="card" part="card" hidden>
  <header class="head">
    <div class="head-text">
      <h2 class="title" part="title" id="title"></h2>
      <p class="subtitle" part="subtitle"></p>
    </div>
    <p class="status" part="status" role="status" aria-live="polite" aria-atomic="true" data-state="idle">
      <span class="status-dot" aria-hidden="true"></span><span class="status-text"></span>
    </p>
  </header>

  <div class="consent panel" part="consent" hidden>
    <h3 class="panel-title" data-i18n="consent.title"></h3>
    <p class="consent-text"></p>
    <p class="fine" data-i18n="consent.remembered"></p>
    <div class="row">
      <button type="button" class="btn primary" data-action="accept" data-i18n="action.accept"></button>
      <button type="button" class="btn ghost" data-action="decline" data-i18n="action.cancel"></button>
    </div>
  </div>

  <div class="stage" part="stage">
    <div class="visualizer" part="visualizer" aria-hidden="true" data-agent-state="">
      <span class="bar"></span><span class="bar"></span><span class="bar"></span><span class="bar"></span><span class="bar"></span>
    </div>
    <p class="agent-state" part="agent-state" data-agent-state=""></p>
    <p class="timer" part="timer" hidden><span class="sr-only" data-i18n="label.timer"></span> <span class="timer-value">0:00</span></p>
    <button type="button" class="call-button" part="call-button" data-action="call">
      <span class="call-icon"></span><span class="call-label"></span>
    </button>
    <p class="hint" part="hint"><span class="hint-icon"></span><span class="hint-text" data-i18n="hint.headphones"></span></p>
  </div>

  <div class="banner warn" part="reconnecting" role="alert" hidden data-i18n="banner.reconnecting"></div>
  <div class="banner warn" part="max-warning" hidden></div>
  <div class="banner info" part="audio-blocked" hidden>
    <span data-i18n="banner.audioBlocked"></span>
    <button type="button" class="btn primary" data-action="start-audio"><span class="btn-icon" data-icon="speaker"></span><span data-i18n="action.tapToHear"></span></button>
  </div>

  <div class="error panel" part="error" role="alert" hidden>
    <div class="error-head"><span class="error-icon"></span><h3 class="panel-title error-title"></h3></div>
    <p class="error-message"></p>
    <p class="error-next"></p>
    <p class="fine error-step"></p>
    <div class="row">
      <button type="button" class="btn primary" data-action="retry" data-i18n="action.tryAgain"></button>
      <button type="button" class="btn secondary" data-action="switch-to-text"><span class="btn-icon" data-icon="chat"></span><span data-i18n="action.switchToText"></span></button>
    </div>
  </div>

  <div class="summary panel" part="summary" hidden>
    <h3 class="panel-title" data-i18n="summary.title"></h3>
    <p class="ended-reason"></p>
    <dl class="facts">
      <div><dt data-i18n="summary.duration"></dt><dd data-summary="duration">–</dd></div>
      <div><dt data-i18n="summary.status"></dt><dd data-summary="status">–</dd></div>
    </dl>
    <p class="fine summary-note" hidden></p>
  </div>

  <div class="controls" part="controls" hidden>
    <button type="button" class="btn toggle" part="mute-button" data-action="mute" aria-pressed="false" aria-keyshortcuts="M">
      <span class="btn-icon mute-icon"></span><span class="mute-label"></span>
    </button>
    <div class="meter" part="mic-level" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
      <span class="meter-fill"></span>
    </div>
    <details class="devices" part="devices">
      <summary class="btn ghost"><span class="btn-icon" data-icon="settings"></span><span data-i18n="action.settings"></span></summary>
      <div class="device-fields">
        <label class="field"><span data-i18n="label.mic"></span><select data-device="audioinput"></select></label>
        <label class="field speaker-field"><span data-i18n="label.speaker"></span><select data-device="audiooutput"></select></label>
      </div>
    </details>
  </div>
  <p class="fine shortcut-hint" part="shortcut-hint" hidden data-i18n="hint.shortcut"></p>

  <section class="conversation" part="conversation">
    <div class="conversation-head">
      <h3 class="panel-title" id="transcript-title" data-i18n="label.transcript"></h3>
      <div class="tools">
        <button type="button" class="btn tool" data-action="copy" data-i18n-label="action.copyLabel"><span class="btn-icon" data-icon="copy"></span><span data-i18n="action.copy"></span></button>
        <button type="button" class="btn tool" data-action="download-text" data-i18n-label="action.downloadTextLabel"><span class="btn-icon" data-icon="download"></span><span data-i18n="action.downloadText"></span></button>
        <button type="button" class="btn tool" data-action="download-json" data-i18n-label="action.downloadJsonLabel"><span class="btn-icon" data-icon="download"></span><span data-i18n="action.downloadJson"></span></button>
      </div>
    </div>
    <div class="transcript" part="transcript" role="log" aria-live="polite" aria-relevant="additions" aria-labelledby="transcript-title" tabindex="0"></div>
    <button type="button" class="btn secondary jump" part="jump-to-latest" data-action="jump" hidden><span data-i18n="action.jumpToLatest"></span></button>
    <p class="empty fine" part="transcript-empty" data-i18n="hint.emptyTranscript"></p>
  </section>

  <form class="composer" part="composer" hidden>
    <label class="sr-only" for="message" data-i18n="label.message"></label>
    <input id="message" class="message" part="message-input" type="text" autocomplete="off" enterkeyhint="send" maxlength="2000">
    <button type="submit" class="btn primary send" part="send-button" data-i18n-label="action.send"><span class="btn-icon" data-icon="send"></span></button>
  </form>

  <p class="sr-only" aria-live="polite" data-announcer></p>
  <div class="sink" hidden></div>
</section>`;

let template;
function instantiate() {
  template ??= Object.assign(document.createElement('template'), { innerHTML: TEMPLATE });
  return template.content.cloneNode(true);
}

export class ItellicoCallElement extends HTMLElement {
  static observedAttributes = ['lang', 'mode', 'theme', 'consent-text'];

  #session = null;
  #state = 'idle';
  #agentState = null;
  #entries = [];
  #lastError = null;
  #muted = false;
  #tr = createTranslator('en');
  #dom;
  #clock = null;
  #wakeLock = null;
  #stickToBottom = true;
  #reducedMotion = globalThis.matchMedia?.('(prefers-reduced-motion: reduce)');
  #variables = undefined;
  #lastEnded = null;
  #summaryToken = 0;
  /** Devices picked in this element (remembered in localStorage across page loads); applied to every new call. */
  #preferredDevices = { audioinput: undefined, audiooutput: undefined, ...loadDevicePrefs(this.#storage()) };
  /** When a rate-limited person may try again (ms since epoch), and the countdown's ticker. */
  #retryAt = 0;
  #retryTimer = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.append(instantiate());
    const $ = (sel) => root.querySelector(sel);
    this.#dom = {
      root, $,
      card: $('.card'),
      status: $('[part="status"]'),
      statusText: $('.status-text'),
      title: $('.title'),
      subtitle: $('.subtitle'),
      consent: $('[part="consent"]'),
      consentText: $('.consent-text'),
      visualizer: $('[part="visualizer"]'),
      bars: [...root.querySelectorAll('.visualizer .bar')],
      agentState: $('[part="agent-state"]'),
      timer: $('[part="timer"]'),
      timerValue: $('.timer-value'),
      callButton: $('[part="call-button"]'),
      callIcon: $('.call-icon'),
      callLabel: $('.call-label'),
      hint: $('[part="hint"]'),
      reconnecting: $('[part="reconnecting"]'),
      maxWarning: $('[part="max-warning"]'),
      audioBlocked: $('[part="audio-blocked"]'),
      error: $('[part="error"]'),
      summary: $('[part="summary"]'),
      controls: $('[part="controls"]'),
      muteButton: $('[part="mute-button"]'),
      meter: $('[part="mic-level"]'),
      speakerField: $('.speaker-field'),
      shortcutHint: $('[part="shortcut-hint"]'),
      transcript: $('[part="transcript"]'),
      jump: $('[part="jump-to-latest"]'),
      empty: $('[part="transcript-empty"]'),
      tools: $('.tools'),
      composer: $('[part="composer"]'),
      input: $('[part="message-input"]'),
      announcer: $('[data-announcer]'),
      sink: $('.sink'),
    };
    // Show the card only once its stylesheet is in, so there is no flash of unstyled controls.
    const link = root.querySelector('link');
    const reveal = () => { this.#dom.card.hidden = false; };
    link.addEventListener('load', reveal, { once: true });
    link.addEventListener('error', reveal, { once: true });
    this.#dom.$('.hint-icon').innerHTML = ICONS.headphones;
    this.#dom.$('.error-icon').innerHTML = ICONS.alert;
    for (const el of root.querySelectorAll('[data-icon]')) el.innerHTML = ICONS[el.dataset.icon];

    root.addEventListener('click', (e) => this.#onClick(e));
    root.addEventListener('change', (e) => this.#onDeviceChange(e));
    this.#dom.composer.addEventListener('submit', (e) => { e.preventDefault(); this.#submitText(); });
    this.#dom.transcript.addEventListener('scroll', () => {
      const t = this.#dom.transcript;
      this.#stickToBottom = t.scrollHeight - t.scrollTop - t.clientHeight < STICK_TO_BOTTOM_PX;
      this.#dom.jump.hidden = this.#stickToBottom;
    }, { passive: true });
    // Warm up: fetch livekit-client when the person is about to click, not on page load.
    for (const type of ['pointerenter', 'focus']) {
      this.#dom.callButton.addEventListener(type, () => this.#warmUp(), { once: true });
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
    // same task, before any microtask. Only an element still out of the document after one is gone.
    queueMicrotask(() => { if (!this.isConnected) this.#teardown(); });
  }

  /** A removed element must not leave a live microphone, a wake lock or a ticking timer behind. */
  #teardown() {
    this.#session?.end();
    this.#stopClock();
    clearInterval(this.#retryTimer);
    this.#retryTimer = null;
    for (const timer of this.#announceTimers) clearTimeout(timer);
    this.#announceTimers.clear();
    this.#releaseWakeLock();
  }

  attributeChangedCallback(name) {
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

  get mode() { return this.getAttribute('mode') === 'text' ? 'text' : 'voice'; }
  set mode(value) { this.setAttribute('mode', value === 'text' ? 'text' : 'voice'); }

  /** Start a call (asks for consent first when a consent text is set and not yet accepted). */
  async start() {
    if (isActive(this.#state)) return false;
    const consentText = this.getAttribute('consent-text');
    if (consentText && !hasConsented(consentText, this.#storage())) {
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

  /** Send typed text to the agent during a call. Resolves true when sent. */
  sendText(text) {
    return this.#session?.sendText(text) ?? Promise.resolve(false);
  }

  /** Mute (true) or unmute (false) the microphone. */
  async setMuted(muted) {
    this.#muted = Boolean(muted);
    await this.#session?.setMuted(this.#muted);
    this.#renderMute();
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
    const on = (type, fn) => session.addEventListener(type, (e) => { if (this.#session === session) fn(e.detail); });
    on('state', (d) => this.#onState(d));
    on('agent-state', (d) => { this.#agentState = d.agentState; this.#renderAgentState(); });
    on('transcript', (d) => { this.#entries = d.entries; this.#renderTranscript(); });
    on('error', (d) => this.#onError(d));
    on('ended', (d) => this.#onEnded(d));
    on('reconnecting', () => { this.#dom.reconnecting.hidden = false; });
    on('reconnected', () => { this.#dom.reconnecting.hidden = true; this.#announce(this.#t('banner.reconnected')); });
    on('audio-blocked', (d) => { this.#dom.audioBlocked.hidden = !d.blocked; });
    on('agent-audio', (d) => { if (d.attached) this.#dom.sink.append(d.element); });
    on('mic-level', (d) => this.#renderMicLevel(d.level));
    on('agent-level', (d) => this.#renderAgentLevel(d));
    on('muted', (d) => { this.#muted = d.muted; this.#renderMute(); });
    on('max-call-warning', (d) => this.#startMaxWarning(d.secondsLeft));
    on('devices-changed', () => this.#fillDevicePickers());
    for (const type of PUBLIC_EVENTS) {
      session.addEventListener(type, (e) => {
        // `ended` always reaches the host, once per call: a host that retries from its error listener
        // has already replaced this session when the failed call's `ended` follows.
        if (this.#session === session || type === 'ended') this.#dispatch(type, e.detail);
      });
    }
    return session;
  }

  async #startSession() {
    this.#dom.consent.hidden = true;
    this.#session = this.#newSession();
    this.#entries = [];
    this.#lastError = null;
    this.#lastEnded = null;
    this.#dom.transcript.replaceChildren();
    this.#stickToBottom = true;
    this.#dom.jump.hidden = true;
    // Nothing is awaited before start(): it unlocks audio and must run inside the click (Safari).
    // Before a call both only record the choice, synchronously.
    if (this.#muted) this.#session.setMuted(true);
    // The microphone preference is an `ideal` constraint (a missing device falls back to the default);
    // the speaker is applied once the call is up and the device is known to be present (#fillDevicePickers).
    if (this.#preferredDevices.audioinput) this.#session.switchDevice('audioinput', this.#preferredDevices.audioinput);
    return this.#session.start();
  }

  #onState({ state }) {
    this.#state = state;
    if (state === 'in-call') {
      this.#startClock();
      this.#acquireWakeLock();
      this.#fillDevicePickers();
    }
    if (!isActive(state)) {
      this.#stopClock();
      this.#releaseWakeLock();
      this.#agentState = null;
      this.#renderAgentState();
    }
    this.#render();
    // In text mode the message box is the next thing to use (focus only after render un-hides it).
    if (state === 'in-call' && this.#effectiveMode() === 'text') this.#dom.input.focus();
  }

  #onError(detail) {
    if (!detail.fatal) {
      this.#announce(describeError(detail, this.#t, { browser: this.#browser() }).title);
      return;
    }
    this.#lastError = detail;
    this.#retryAt = detail.code === 'rate_limited' && detail.retryAfter > 0 ? Date.now() + detail.retryAfter * 1000 : 0;
    clearInterval(this.#retryTimer);
    this.#retryTimer = this.#retryAt ? setInterval(() => this.#renderRetry(), 250) : null;
    this.#render();
  }

  #onEnded(detail) {
    this.#lastEnded = detail;
    this.#dom.reconnecting.hidden = true;
    this.#dom.audioBlocked.hidden = true;
    this.#dom.maxWarning.hidden = true;
    this.#renderTranscript();
    if (detail.reason !== 'failed') this.#loadSummary(detail);
    this.#render();
  }

  async #loadSummary(ended) {
    const token = ++this.#summaryToken;
    const { summary } = this.#dom;
    const note = summary.querySelector('.summary-note');
    summary.querySelector('.ended-reason').textContent = this.#t(`ended.${ended.reason}`);
    summary.querySelector('[data-summary="duration"]').textContent = ended.durationSeconds != null ? formatDuration(ended.durationSeconds) : '–';
    summary.querySelector('[data-summary="status"]').textContent = '…';
    note.hidden = false;
    note.textContent = this.#t('summary.loading');
    summary.dataset.loaded = 'false';
    if (!this.#session?.callId) {
      note.textContent = this.#t('summary.unavailable');
      return;
    }
    const result = await this.#session.summary();
    if (token !== this.#summaryToken) return; // a newer call started meanwhile
    if (result.ok) {
      const { status, duration_seconds: duration } = result.data;
      if (duration != null) summary.querySelector('[data-summary="duration"]').textContent = formatDuration(duration);
      const statusKey = `callStatus.${status}`;
      summary.querySelector('[data-summary="status"]').textContent = this.#tr.has(statusKey) ? this.#t(statusKey) : String(status ?? '–');
      summary.dataset.status = status ?? '';
      note.hidden = true;
    } else {
      summary.querySelector('[data-summary="status"]').textContent = '–';
      note.textContent = this.#t('summary.unavailable');
    }
    summary.dataset.loaded = 'true';
  }

  #dispatch(type, detail) {
    this.dispatchEvent(new CustomEvent(`${EVENT_PREFIX}${type}`, { detail, bubbles: true, composed: true }));
  }

  // ── interaction ────────────────────────────────────────────────────────────

  #onClick(event) {
    const button = event.target.closest?.('[data-action]');
    if (!button || button.disabled) return;
    switch (button.dataset.action) {
      case 'call':
        if (isActive(this.#state)) this.end();
        else this.start();
        break;
      case 'accept':
        rememberConsent(this.getAttribute('consent-text'), this.#storage());
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
        this.#stickToBottom = true;
        this.#dom.transcript.scrollTop = this.#dom.transcript.scrollHeight;
        this.#dom.jump.hidden = true;
        this.#dom.transcript.focus();
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
        this.#copyTranscript();
        break;
      case 'download-text':
        this.#download('txt', 'text/plain', transcriptToText(this.#entries, this.#speakerLabels()));
        break;
      case 'download-json':
        this.#download('json', 'application/json', transcriptToJSON(this.#entries, { callId: this.callId }));
        break;
      default:
    }
  }

  #onKeydown = (event) => {
    if (event.key !== 'm' && event.key !== 'M') return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (this.#state !== 'in-call' || this.#effectiveMode() !== 'voice') return;
    // Only when the person is not typing somewhere, and only for keys aimed at this element or the bare page,
    // so a widget never steals the letter M from a host page's own inputs.
    const path = event.composedPath();
    const target = path[0];
    if (target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
    const aimedHere = path.includes(this) || target === document.body || target === document.documentElement;
    if (!aimedHere) return;
    event.preventDefault();
    this.setMuted(!this.#muted);
  };

  #onVisibility = () => {
    // The browser drops a wake lock when the tab is hidden; take it again when the person comes back.
    if (document.visibilityState === 'visible' && this.#state === 'in-call') this.#acquireWakeLock();
  };

  async #submitText() {
    const text = this.#dom.input.value.trim();
    if (!text) return;
    if (await this.sendText(text)) this.#dom.input.value = '';
  }

  #onDeviceChange(event) {
    const select = event.target.closest?.('select[data-device]');
    if (!select) return;
    this.#preferredDevices[select.dataset.device] = select.value || undefined;
    saveDevicePref(this.#storage(), select.dataset.device, select.value);
    this.#session?.switchDevice(select.dataset.device, select.value);
  }

  async #fillDevicePickers() {
    if (!this.#session || this.mode !== 'voice') return;
    const devices = await this.#session.listDevices();
    const active = this.#session.activeDevices();
    this.#dom.speakerField.hidden = !devices.canSelectSpeaker || devices.audiooutput.length === 0;
    for (const kind of ['audioinput', 'audiooutput']) {
      const select = this.#dom.$(`select[data-device="${kind}"]`);
      const options = devices[kind].map((d, i) => {
        const option = new Option(d.label || `${this.#t(kind === 'audioinput' ? 'label.mic' : 'label.speaker')} ${i + 1}`, d.deviceId);
        if (d.deviceId === 'default') option.textContent = d.label || this.#t('label.defaultDevice');
        return option;
      });
      select.replaceChildren(...options);
      const current = this.#preferredDevices[kind] ?? active[kind];
      if (current && devices[kind].some((d) => d.deviceId === current)) select.value = current;
    }
    // A remembered speaker, if it is plugged in now (setSinkId needs the call's audio elements).
    const speaker = availablePref(this.#preferredDevices, 'audiooutput', devices.audiooutput);
    if (speaker && speaker !== active.audiooutput) this.#session.switchDevice('audiooutput', speaker);
  }

  async #copyTranscript() {
    const text = transcriptToText(this.#entries, this.#speakerLabels());
    try {
      await navigator.clipboard.writeText(text);
      this.#announce(this.#t('action.copied'));
    } catch {
      this.#announce(this.#t('action.copyFailed'));
    }
  }

  #download(extension, type, content) {
    const url = URL.createObjectURL(new Blob([content], { type: `${type};charset=utf-8` }));
    const link = Object.assign(document.createElement('a'), { href: url, download: transcriptFileName(this.callId, extension) });
    this.#dom.sink.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  #warmUp() {
    loadLivekitClient().catch(() => { /* reported when the call starts */ });
  }

  // ── rendering ──────────────────────────────────────────────────────────────

  #t = (key, params) => this.#tr.t(key, params);

  #applyLanguage() {
    const lang = resolveLanguage(this.getAttribute('lang'), globalThis.navigator?.languages ?? []);
    this.#tr = createTranslator(lang);
    if (!this.#dom) return;
    this.#dom.card.lang = lang;
    for (const el of this.#dom.root.querySelectorAll('[data-i18n]')) el.textContent = this.#t(el.dataset.i18n);
    for (const el of this.#dom.root.querySelectorAll('[data-i18n-label]')) {
      el.setAttribute('aria-label', this.#t(el.dataset.i18nLabel));
      el.title = this.#t(el.dataset.i18nLabel);
    }
    this.#dom.input.placeholder = this.#t('placeholder.message');
    this.#dom.meter.setAttribute('aria-label', this.#t('label.micLevel'));
    this.#renderAgentState();
    this.#renderTranscript(true);
  }

  #render() {
    const dom = this.#dom;
    const state = this.#state;
    const voice = this.#effectiveMode() === 'voice';
    const active = isActive(state);
    const inCall = state === 'in-call';

    this.dataset.state = state;
    dom.card.dataset.state = state;
    dom.card.dataset.mode = voice ? 'voice' : 'text';
    dom.title.textContent = this.getAttribute('title-text') || this.#session?.agentName || this.#t('title');
    dom.subtitle.textContent = this.#t(voice ? 'subtitle.voice' : 'subtitle.text');
    dom.status.dataset.state = state;
    dom.statusText.textContent = this.#t(`state.${state}`);

    // The big button: start, cancel while connecting, hang up in a call.
    dom.callButton.dataset.variant = active ? 'end' : 'start';
    dom.callButton.disabled = state === 'ending';
    dom.callIcon.innerHTML = active ? ICONS.hangUp : voice ? ICONS.phone : ICONS.chat;
    dom.callLabel.textContent = active
      ? this.#t(inCall ? 'action.end' : 'action.cancel')
      : this.#t(state === 'ended' ? 'action.callAgain' : voice ? 'action.start' : 'action.startText');
    dom.callButton.setAttribute('aria-busy', String(active && !inCall));

    dom.timer.hidden = !inCall && !(state === 'ended' && this.#session?.startedAt);
    dom.hint.hidden = !voice || !(state === 'idle' || inCall || state === 'requesting-mic');
    dom.hint.querySelector('.hint-text').textContent = this.#t(voice ? 'hint.headphones' : 'hint.textMode');
    dom.controls.hidden = !(voice && inCall);
    dom.shortcutHint.hidden = !(voice && inCall);
    dom.composer.hidden = !inCall;
    dom.input.disabled = !inCall;

    if (state === 'error' && this.#lastError) this.#renderError(this.#lastError);
    dom.error.hidden = state !== 'error';
    // After a dropped call the after-call panel shows too, under the error (its summary may be unavailable).
    const afterCall = state === 'ended' || (state === 'error' && this.#lastEnded?.reason === 'dropped');
    dom.summary.hidden = !afterCall;
    if (afterCall && this.#lastEnded) dom.summary.querySelector('.ended-reason').textContent = this.#t(`ended.${this.#lastEnded.reason}`);
    if (!active) dom.reconnecting.hidden = true;
    this.#renderMute();
    this.#renderAgentState();
    this.#renderClock();
  }

  #renderError(error) {
    const d = describeError(error, this.#t, { browser: this.#browser() });
    const { error: panel } = this.#dom;
    panel.dataset.code = d.code;
    panel.querySelector('.error-title').textContent = d.title;
    panel.querySelector('.error-message').textContent = d.message;
    panel.querySelector('.error-next').textContent = d.next;
    panel.querySelector('.error-step').textContent = [d.step, this.#t('error.code', { code: d.code })].filter(Boolean).join(' ');
    panel.querySelector('[data-action="retry"]').hidden = !d.retry;
    panel.querySelector('[data-action="switch-to-text"]').hidden = !(d.offerText && this.#session?.mode !== 'text');
    this.#renderRetry();
  }

  /** Busy (rate limited): count down from Retry-After; "Try again" stays disabled until it ends. */
  #renderRetry() {
    const panel = this.#dom.error;
    const retry = panel.querySelector('[data-action="retry"]');
    const next = panel.querySelector('.error-next');
    const counting = this.#state === 'error' && this.#retryAt > 0;
    const left = counting ? secondsUntil(this.#retryAt) : 0;
    retry.disabled = left > 0;
    retry.textContent = left > 0 ? this.#t('action.tryAgainIn', { seconds: left }) : this.#t('action.tryAgain');
    if (!counting) {
      clearInterval(this.#retryTimer);
      this.#retryTimer = null;
      return;
    }
    // The first text is read with the alert; the ticking that follows stays silent.
    if (next.textContent) { next.setAttribute('aria-live', 'off'); retry.setAttribute('aria-live', 'off'); }
    next.textContent = left > 0 ? this.#t('error.rate_limited.next', { seconds: left }) : this.#t('error.rate_limited.nextNow');
    if (left === 0) {
      clearInterval(this.#retryTimer);
      this.#retryTimer = null;
      this.#retryAt = 0;
    }
  }

  #renderAgentState() {
    const value = this.#state === 'in-call' ? this.#agentState ?? 'initializing' : '';
    this.#dom.agentState.dataset.agentState = value;
    this.#dom.visualizer.dataset.agentState = value;
    this.dataset.agentState = value;
    this.#dom.agentState.textContent = value ? this.#t(`agent.${value}`) : '';
    if (value !== 'speaking') this.#renderAgentLevel({ level: 0, bands: [] });
  }

  #renderMute() {
    const { muteButton } = this.#dom;
    muteButton.setAttribute('aria-pressed', String(this.#muted));
    muteButton.setAttribute('aria-label', this.#t(this.#muted ? 'action.unmute' : 'action.mute'));
    muteButton.querySelector('.mute-label').textContent = this.#t(this.#muted ? 'action.unmuteShort' : 'action.muteShort');
    muteButton.querySelector('.mute-icon').innerHTML = this.#muted ? ICONS.micOff : ICONS.mic;
    this.#dom.card.dataset.muted = String(this.#muted);
  }

  #lastMeterValue = -1;
  #renderMicLevel(level) {
    const value = this.#muted ? 0 : Math.round(level * 100);
    // CSSOM custom properties are allowed under a strict CSP (unlike style attributes).
    this.#dom.meter.style.setProperty('--level', String(value / 100));
    const coarse = Math.round(value / 10) * 10; // keep assistive tech from hearing 16 updates a second
    if (coarse !== this.#lastMeterValue) {
      this.#lastMeterValue = coarse;
      this.#dom.meter.setAttribute('aria-valuenow', String(coarse));
    }
  }

  #renderAgentLevel({ level, bands }) {
    if (this.#reducedMotion?.matches) return; // a still visualizer; the agent-state label carries the meaning
    this.#dom.bars.forEach((bar, i) => {
      const v = bands[i] ?? level ?? 0;
      bar.style.setProperty('--v', Math.min(1, v * 1.4).toFixed(3));
    });
  }

  #renderTranscript(relabel = false) {
    const list = this.#dom.transcript;
    const lines = visibleEntries(this.#entries);
    const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
    if (relabel) {
      // Speaker names changed language: rebuild the lines.
      existing.clear();
      list.replaceChildren();
    }
    let previous = null;
    for (const entry of lines) {
      let li = existing.get(entry.id);
      const wasInterim = li && li.dataset.final !== 'true';
      if (!li || (wasInterim && entry.final)) {
        // A new node when a line becomes final: role="log" announces additions, so each line is read once,
        // complete, instead of every interim word.
        const fresh = this.#lineElement(entry);
        if (li) li.replaceWith(fresh);
        else if (previous) previous.after(fresh);
        else list.prepend(fresh);
        li = fresh;
      } else {
        li.querySelector('.line-text').textContent = entry.text.trim();
      }
      previous = li;
    }
    this.#dom.empty.hidden = lines.length > 0;
    // Copy and download only make sense once there is something to copy.
    this.#dom.tools.hidden = lines.length === 0;
    if (this.#stickToBottom) list.scrollTop = list.scrollHeight;
  }

  #lineElement(entry) {
    const li = document.createElement('div'); // a role=log region holds no list items (axe: listitem)
    li.className = 'line';
    li.dataset.id = entry.id;
    li.dataset.role = entry.role;
    li.dataset.final = String(entry.final);
    li.dataset.source = entry.source;
    li.setAttribute('part', `line line-${entry.role}`);
    if (!entry.final) li.setAttribute('aria-hidden', 'true');
    const who = document.createElement('span');
    who.className = 'line-who';
    who.textContent = this.#speakerLabels()[entry.role];
    const text = document.createElement('p');
    text.className = 'line-text';
    text.textContent = entry.text.trim();
    li.append(who, text);
    return li;
  }

  #speakerLabels() {
    return { agent: this.#session?.agentName || this.#t('label.agent'), user: this.#t('label.you') };
  }

  #startClock() {
    this.#stopClock();
    this.#clock = setInterval(() => this.#renderClock(), 1000);
    this.#renderClock();
  }

  #stopClock() {
    clearInterval(this.#clock);
    this.#clock = null;
    clearInterval(this.#maxWarningTimer);
  }

  #renderClock() {
    const elapsed = this.#session?.elapsedSeconds ?? 0;
    const max = this.#session?.maxCallSeconds;
    this.#dom.timerValue.textContent = max > 0 && this.#state === 'in-call'
      ? `${formatDuration(elapsed)} / ${formatDuration(max)}`
      : formatDuration(elapsed);
  }

  #maxWarningTimer = null;
  #startMaxWarning(secondsLeft) {
    const banner = this.#dom.maxWarning;
    const endsAt = Date.now() + secondsLeft * 1000;
    const update = () => {
      const left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      banner.textContent = this.#t('banner.maxLength', { seconds: left });
    };
    update();
    banner.hidden = false;
    // Announce once; the visible countdown ticks silently (a live region would read every second).
    this.#announce(banner.textContent);
    clearInterval(this.#maxWarningTimer);
    this.#maxWarningTimer = setInterval(update, 1000);
  }

  #announceTimers = new Set();
  #announce(message) {
    const el = this.#dom.announcer;
    el.textContent = '';
    // A fresh text node so the same message twice is still announced.
    const timer = setTimeout(() => { this.#announceTimers.delete(timer); el.textContent = message; }, 50);
    this.#announceTimers.add(timer);
  }

  async #acquireWakeLock() {
    if (this.#wakeLock || !navigator.wakeLock) return;
    // In an <iframe> without allow="screen-wake-lock" asking would only log a policy violation.
    const policy = document.permissionsPolicy ?? document.featurePolicy;
    if (policy?.allowsFeature?.('screen-wake-lock') === false) return;
    try {
      this.#wakeLock = await navigator.wakeLock.request('screen');
      this.#wakeLock.addEventListener('release', () => { this.#wakeLock = null; }, { once: true });
    } catch {
      this.#wakeLock = null; // battery saver or a hidden tab: the call works anyway
    }
  }

  #releaseWakeLock() {
    this.#wakeLock?.release().catch(() => {});
    this.#wakeLock = null;
  }

  /** The running call's mode wins over the attribute, which may change mid-call and applies to the next call. */
  #effectiveMode() {
    return isActive(this.#state) && this.#session ? this.#session.mode : this.mode;
  }

  #browser() {
    return detectBrowser(globalThis.navigator?.userAgent ?? '');
  }

  #storage() {
    try {
      return globalThis.localStorage;
    } catch {
      return undefined; // storage blocked in this context (sandboxed iframe)
    }
  }
}

if (!customElements.get('itellico-call')) customElements.define('itellico-call', ItellicoCallElement);
