// The names and detail shapes of every event a CallSession emits, in one frozen map, as livekit-client
// does with RoomEvent. Emit and listen with CallEvent.X, never a bare string: the type check
// (`make lint`, tsconfig.json) then fails on a renamed event or a detail of the wrong shape.
// The <itellico-call> element re-dispatches the public ones as `itellico-call:<name>` (docs/widget.md).

export const CallEvent = Object.freeze({
  /** The call state changed. */
  State: 'state',
  /** What the agent is doing (`lk.agent.state`). */
  AgentState: 'agent-state',
  /** A transcript line was added or changed. */
  Transcript: 'transcript',
  /** Something failed; `fatal` errors end the call. */
  Error: 'error',
  /** The call is over (exactly once per call). */
  Ended: 'ended',
  /** The connection broke; livekit is retrying (about 45 s at most). */
  Reconnecting: 'reconnecting',
  Reconnected: 'reconnected',
  /** true: the browser blocks the agent's audio until `startAudio()` runs from a tap. */
  AudioBlocked: 'audio-blocked',
  /** The media element playing the agent (the UI may put it in the DOM; it plays either way). */
  AgentAudio: 'agent-audio',
  /** Microphone loudness, about 16 times a second. */
  MicLevel: 'mic-level',
  /** The agent's loudness, same shape. */
  AgentLevel: 'agent-level',
  Muted: 'muted',
  /** Once, shortly before the maximum call length ends the call. */
  MaxCallWarning: 'max-call-warning',
  /** A device was plugged in or removed. */
  DevicesChanged: 'devices-changed',
  /** true: the microphone stopped mid-call and could not be restarted (the agent hears nothing); false: it is back. */
  MicLost: 'mic-lost',
});

/** @typedef {typeof CallEvent[keyof typeof CallEvent]} CallEventName */

/** The events the element re-dispatches on itself for host pages, prefixed with ELEMENT_EVENT_PREFIX. */
export const PUBLIC_EVENTS = Object.freeze(/** @type {const} */ ([
  CallEvent.State, CallEvent.AgentState, CallEvent.Transcript, CallEvent.Error, CallEvent.Ended,
]));
export const ELEMENT_EVENT_PREFIX = 'itellico-call:';

/**
 * @typedef {'idle'|'requesting-mic'|'connecting'|'waiting-for-agent'|'in-call'|'ending'|'ended'|'error'} CallState
 * @typedef {'initializing'|'idle'|'listening'|'thinking'|'speaking'} AgentState
 * @typedef {'hangup'|'agent-ended'|'max-duration'|'dropped'|'cancelled'|'failed'|'removed'} EndReason
 * @typedef {import('./transcript.js').TranscriptEntry} TranscriptEntry
 * @typedef {{level: number, bands: number[]}} LevelSample
 *
 * @typedef {object} StateDetail
 * @property {CallState} state
 * @property {CallState} previous
 *
 * @typedef {object} ErrorDetail
 * @property {string} code        a stable code from errors.js
 * @property {string} message
 * @property {string} step        what failed (errors.js STEPS)
 * @property {number} [retryAfter] seconds (rate_limited, too_many_open_calls, upstream_unavailable)
 * @property {string|null} [requestId] our server's id of a failed create ("Reference: …" in the panel)
 * @property {boolean} fatal      false: a device problem mid-call; the call goes on
 *
 * @typedef {object} EndedDetail
 * @property {EndReason} reason
 * @property {string|null} callId
 * @property {number|null} durationSeconds null when the agent never answered
 */

/**
 * The detail of each event, by name.
 * @typedef {{
 *   'state': StateDetail,
 *   'agent-state': {agentState: AgentState},
 *   'transcript': {entry: TranscriptEntry, entries: TranscriptEntry[]},
 *   'error': ErrorDetail,
 *   'ended': EndedDetail,
 *   'reconnecting': {},
 *   'reconnected': {},
 *   'audio-blocked': {blocked: boolean},
 *   'mic-lost': {lost: boolean},
 *   'agent-audio': {element: HTMLMediaElement, attached: boolean},
 *   'mic-level': LevelSample,
 *   'agent-level': LevelSample,
 *   'muted': {muted: boolean},
 *   'max-call-warning': {secondsLeft: number},
 *   'devices-changed': {},
 * }} CallEventDetails
 */

/**
 * Listen to one CallSession event with its detail typed.
 * @template {CallEventName} K
 * @param {EventTarget} target
 * @param {K} type
 * @param {(detail: CallEventDetails[K]) => void} listener
 * @param {AddEventListenerOptions} [options]
 */
export function onCallEvent(target, type, listener, options) {
  target.addEventListener(type, (event) => listener(/** @type {CustomEvent<CallEventDetails[K]>} */ (event).detail), options);
}
