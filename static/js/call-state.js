// The call's life as a small state machine, so the UI and the session agree on
// what can happen next and a late event (say, a reconnect after hang-up) cannot
// drag a finished call back to life.

/** Call states in the order a successful call passes through them. */
export const CALL_STATES = Object.freeze([
  'idle',
  'requesting-mic',
  'connecting',
  'waiting-for-agent',
  'in-call',
  'ending',
  'ended',
  'error',
]);

/** What the agent is doing, from its `lk.agent.state` participant attribute. */
export const AGENT_STATES = Object.freeze(['initializing', 'idle', 'listening', 'thinking', 'speaking']);

const START = ['requesting-mic', 'connecting'];

/** @type {Record<string, readonly string[]>} */
const TRANSITIONS = Object.freeze({
  idle: [...START, 'error'],
  'requesting-mic': ['connecting', 'ending', 'ended', 'error'],
  connecting: ['waiting-for-agent', 'ending', 'ended', 'error'],
  'waiting-for-agent': ['in-call', 'ending', 'ended', 'error'],
  'in-call': ['ending', 'ended', 'error'],
  ending: ['ended'],
  ended: [...START, 'idle'],
  error: [...START, 'idle'],
});

/** @param {string} from @param {string} to */
export function canTransition(from, to) {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** States in which a call is being set up or running (so it holds resources that `end()` must free). */
export function isActive(state) {
  return ['requesting-mic', 'connecting', 'waiting-for-agent', 'in-call', 'ending'].includes(state);
}

/** States in which a call is being set up: asked for, but the agent is not there yet. */
export function isStarting(state) {
  return ['requesting-mic', 'connecting', 'waiting-for-agent'].includes(state);
}

/** States from which `start()` may begin a new call. */
export function canStart(state) {
  return state === 'idle' || state === 'ended' || state === 'error';
}

/** Accept only known agent states; an unknown value (say, from a newer agent) reads as 'idle' rather than breaking the UI. */
export function normaliseAgentState(value) {
  return AGENT_STATES.includes(value) ? value : 'idle';
}

export class CallStateMachine {
  #state = 'idle';
  #onIllegal;

  /** @param {{onIllegal?: (from: string, to: string) => void}} [options] */
  constructor({ onIllegal } = {}) {
    this.#onIllegal = onIllegal;
  }

  get state() {
    return this.#state;
  }

  /** Move to `to` if allowed. Returns true when the state changed; illegal moves are ignored and reported. */
  transition(to) {
    if (to === this.#state) return false;
    if (!canTransition(this.#state, to)) {
      this.#onIllegal?.(this.#state, to);
      return false;
    }
    this.#state = to;
    return true;
  }
}
