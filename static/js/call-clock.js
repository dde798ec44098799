// The time of one call: when the agent answered, when the call ended, how long it lasted, its maximum
// length from the create response, and the maximum-length timers (a warning shortly before, then the end). Kept apart from CallSession so the
// session's release can clear every timer in one place and the duration has one definition.

/** Warn this long before the maximum call length ends the call. */
export const MAX_CALL_WARNING_SECONDS = 30;

export class CallClock {
  /** @type {number|null} ms since epoch when the agent answered */ startedAt = null;
  /** @type {number|null} */ endedAt = null;
  /** @type {number|null} the create response's max_call_seconds */ maxSeconds = null;
  /** @type {Set<ReturnType<typeof setTimeout>>} */ #timers = new Set();
  #now;

  /** @param {() => number} now */
  constructor(now) {
    this.#now = now;
  }

  /** A new call: nothing answered, nothing ended. */
  reset() {
    this.startedAt = null;
    this.endedAt = null;
    this.maxSeconds = null;
  }

  /** The agent answered. */
  begin() {
    this.startedAt = this.#now();
  }

  /** The call is over: the duration stops growing and no timer fires any more. */
  stop() {
    if (this.startedAt && !this.endedAt) this.endedAt = this.#now();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  get elapsedSeconds() {
    if (!this.startedAt) return 0;
    return Math.max(0, Math.floor(((this.endedAt ?? this.#now()) - this.startedAt) / 1000));
  }

  /** The `ended` event's duration: null when the agent never answered. */
  get durationSeconds() {
    return this.startedAt ? this.elapsedSeconds : null;
  }

  /**
   * Warn MAX_CALL_WARNING_SECONDS before `max` seconds, then end the call. No limit: no timers.
   * @param {number|null} max @param {(secondsLeft: number) => void} onWarning @param {() => void} onMax
   */
  armMaxLength(max, onWarning, onMax) {
    // setTimeout fires at once beyond 2^31 - 1 ms (24.8 days): a limit that long is none, not an end now.
    if (!max || !(max > 0) || max * 1000 > 2 ** 31 - 1) return;
    const warnIn = Math.max(0, max - MAX_CALL_WARNING_SECONDS);
    this.#setTimer(() => onWarning(Math.min(MAX_CALL_WARNING_SECONDS, max)), warnIn * 1000);
    this.#setTimer(onMax, max * 1000);
  }

  /** @param {() => void} fn @param {number} ms */
  #setTimer(fn, ms) {
    const timer = setTimeout(() => { this.#timers.delete(timer); fn(); }, ms);
    this.#timers.add(timer);
  }
}
