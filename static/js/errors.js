// Every error code the browser can show, and what the person can do about it.
// The server's codes come from the backend contract; the client codes are ours.
// Messages live in the i18n catalogues (error.<code>.title / .message / .next),
// so this file holds only the facts that drive behaviour.

/** The steps of starting a call, named in errors so a person (and support) knows where it failed. */
export const STEPS = Object.freeze({
  microphone: 'microphone',
  creatingCall: 'creating-call',
  loadingClient: 'loading-client',
  connecting: 'connecting',
  waitingForAgent: 'waiting-for-agent',
  inCall: 'in-call',
  summary: 'summary',
});

/**
 * retry: a new attempt may work (show "Try again").
 * offerText: the problem is the microphone, so a typed conversation still works.
 * ownerMustFix: nothing the person can do; the site's owner has to act.
 * countdown: the server may say when to come back (Retry-After); the panel counts down to it.
 */
export const ERRORS = Object.freeze({
  // server codes
  invalid_request: { retry: false, ownerMustFix: true },
  unknown_demo: { retry: false, ownerMustFix: true },
  origin_not_allowed: { retry: false, ownerMustFix: true },
  rate_limited: { retry: true, countdown: true },
  too_many_open_calls: { retry: true, countdown: true }, // calls of this network or link still open (webcall/open_calls.py)
  upstream_unavailable: { retry: true, countdown: true }, // a 503 from itellico: Retry-After 5 (webcall/api.py)
  upstream_rejected: { retry: false, ownerMustFix: true },
  upstream_timeout: { retry: true },
  misconfigured: { retry: false, ownerMustFix: true },
  not_found: { retry: false },
  forbidden: { retry: false },
  method_not_allowed: { retry: false, ownerMustFix: true },
  link_required: { retry: false },
  link_invalid: { retry: false },
  link_expired: { retry: false },
  link_revoked: { retry: false },
  internal_error: { retry: true },
  // client codes
  network_error: { retry: true },
  bad_response: { retry: true },
  mic_denied: { retry: true, offerText: true },
  mic_dismissed: { retry: true, offerText: true }, // Chrome: the prompt was closed, not answered; it shows again
  mic_not_found: { retry: true, offerText: true },
  mic_in_use: { retry: true, offerText: true },
  mic_failed: { retry: true, offerText: true },
  // The page's Permissions-Policy (or its <iframe>'s allow) forbids the microphone: a retry fails the
  // same way until the site's owner changes it (call-start.js); typing works meanwhile.
  mic_blocked_by_page: { retry: false, offerText: true, ownerMustFix: true },
  client_load_failed: { retry: true },
  livekit_unreachable: { retry: true },
  agent_join_timeout: { retry: true },
  call_dropped: { retry: true },
  unsupported_browser: { retry: false, offerText: true },
  webrtc_unavailable: { retry: false },
  unknown_error: { retry: true },
});

/** @param {string} code */
export function errorInfo(code) {
  return ERRORS[code] ?? ERRORS.unknown_error;
}

/** Normalise anything thrown or returned into a known code (unknown server codes become unknown_error). */
export function knownCode(code) {
  return Object.hasOwn(ERRORS, code) ? code : 'unknown_error';
}

/**
 * Map a getUserMedia / livekit MediaDeviceFailure error to our code.
 * livekit's MediaDeviceFailure.getFailure returns PermissionDenied | NotFound | DeviceInUse | Other;
 * we also read the DOMException name so this works before livekit-client has loaded.
 * @param {unknown} err
 * @param {string} [failure] result of MediaDeviceFailure.getFailure(err), when available
 */
export function micErrorCode(err, failure) {
  const name = /** @type {any} */ (err)?.name ?? '';
  // Only Chrome tells a closed prompt ("Permission dismissed") from a refusal ("Permission denied");
  // Firefox and Safari say the same for both, so those stay mic_denied.
  if (name === 'NotAllowedError' && /\bdismissed\b/i.test(String(/** @type {any} */ (err)?.message ?? ''))) {
    return 'mic_dismissed';
  }
  if (failure === 'PermissionDenied' || name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError') {
    return 'mic_denied';
  }
  if (failure === 'NotFound' || name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return 'mic_not_found';
  }
  if (failure === 'DeviceInUse' || name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return 'mic_in_use';
  }
  return 'mic_failed';
}

/** Why a call ended, as told to listeners of the `ended` event. */
export const END_REASONS = Object.freeze({
  hangup: 'hangup', // the person ended it
  agentEnded: 'agent-ended', // the agent left or the room was closed by the server
  maxDuration: 'max-duration', // the demo's maximum call length was reached
  dropped: 'dropped', // the connection was lost and could not be restored
  cancelled: 'cancelled', // ended before the agent answered
  failed: 'failed', // an error stopped the call from starting
  removed: 'removed', // the page took the element out of the document mid-call (page-listeners.js, whenRemoved)
});

/**
 * Map livekit's numeric DisconnectReason (the protobuf enum of @livekit/protocol) to an end reason.
 * @param {number|undefined} reason
 * @param {{clientInitiated?: boolean}} [context] true when we called disconnect ourselves
 */
export function endReasonForDisconnect(reason, context = {}) {
  if (context.clientInitiated || reason === 1 /* CLIENT_INITIATED */) return END_REASONS.hangup;
  // PARTICIPANT_REMOVED, ROOM_DELETED, ROOM_CLOSED, USER_REJECTED, AGENT_ERROR: the other side closed the call
  if ([4, 5, 10, 12, 16].includes(reason ?? -1)) return END_REASONS.agentEnded;
  return END_REASONS.dropped;
}

/** A failure with its code and the step it happened in; CallSession reports it as an `error` event. */
export class CallError extends Error {
  /**
   * @param {string} code an ERRORS key (or 'cancelled' inside the session)
   * @param {string} step a STEPS value
   * @param {{cause?: unknown, retryAfter?: number, message?: string, requestId?: string}} [details]
   *   requestId: our server's id of the failed request ("Reference: …" in the error panel)
   */
  constructor(code, step, { cause, retryAfter, message, requestId } = {}) {
    super(message || code, { cause });
    this.code = code;
    this.step = step;
    this.retryAfter = retryAfter;
    this.requestId = requestId;
  }
}
