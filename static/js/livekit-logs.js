// livekit-client's console output, fitted to a widget that lives on other people's websites: an
// ordinary hang-up must not leave a red error in the host page's console, and a call writes no info
// lines there (`quietByDefault`).
//
// The microphone's pre-connect buffer (microphone.js) waits for an agent to become active before it
// sends the recording. When the call ends first (the visitor hung up while the agent was on its way,
// or no agent came), livekit-client 2.23 logs 'error sending preconnect buffer' at error level,
// although nothing went wrong: there was nobody to send the recording to. Nor is it news when the
// visitor hangs up while the recording is still on its way to the agent (seen in CI: the send fails
// as the Room closes). Those cases are logged at debug level instead. An agent not active within 10 s
// is a warning: livekit-client goes on waiting and still sends the recording to an agent that comes
// later, and the element's own join timeout (15 s, call-start.js) is the error the visitor sees. Every
// other error (a failed send to an agent in a call that goes on, say) stays an error.

/** The reasons livekit-client gives when the call ended before any agent could take the recording. */
const ENDED_BEFORE_AGENT = ['Got disconnected without active agent present', 'Agent disconnected'];
const BUFFER_NOT_SENT = 'error sending preconnect buffer';
const AGENT_LATE = 'agent not active within';

/** Names of the Rooms this page has left or is leaving (the last few). */
const closedRooms = new Set();
const CLOSED_ROOMS_KEPT = 16;

/**
 * The call in this Room is over (hung up, failed or ended by the other side).
 * @param {any} room a livekit-client Room
 */
export function noteRoomClosed(room) {
  if (!room?.name) return;
  closedRooms.add(room.name);
  if (closedRooms.size > CLOSED_ROOMS_KEPT) closedRooms.delete(closedRooms.values().next().value);
}

/** @type {WeakSet<object>} the loggers already adjusted (once per livekit-client module) */
const adjusted = new WeakSet();

/**
 * Whether a log call is the pre-connect buffer left unsent because the call ended.
 * @param {unknown} message @param {any} context
 */
export function isBufferLeftUnsent(message, context) {
  const reason = context?.error?.message ?? String(context?.error ?? '');
  return typeof message === 'string' && message.includes(BUFFER_NOT_SENT)
    && (ENDED_BEFORE_AGENT.some((text) => reason.includes(text)) || closedRooms.has(context?.room));
}

/**
 * Warnings and errors only, by default: livekit-client logs at info level ("connection state changed",
 * "room connected", … about ten lines a call) into the console of the page it is a guest on. A
 * default, not a setting: a developer's own level in localStorage (`loglevel:livekit`, loglevel's)
 * still holds, for every livekit logger (livekit-client gives each the main logger's level).
 * @param {any} lk the livekit-client module
 */
function quietByDefault(lk) {
  const main = lk.getLogger(lk.LoggerNames.Default);
  main.setDefaultLevel('warn');
  const level = main.getLevel();
  for (const name of Object.values(lk.LoggerNames)) lk.getLogger(name).setDefaultLevel(level);
}

/**
 * Log the pre-connect buffer left unsent at the end of a call as debug, not error, and lower
 * livekit-client's default level to warn (`quietByDefault`). Harmless on a livekit-client without
 * named loggers (the fakes of the unit tests) and when called again.
 * @param {any} lk the livekit-client module
 */
export function adjustLivekitLogs(lk) {
  const logger = lk.getLogger?.(lk.LoggerNames?.Participant);
  if (!logger || adjusted.has(logger)) return;
  adjusted.add(logger);
  if (lk.LoggerNames.Default && logger.setDefaultLevel) quietByDefault(lk);
  const made = logger.methodFactory;
  // loglevel asks the factory for each method at or above the logger's level whenever it rebuilds.
  logger.methodFactory = (/** @type {string} */ method, /** @type {number} */ level, /** @type {string} */ name) => {
    const write = made(method, level, name);
    if (method !== 'error') return write;
    const quiet = level <= 1 ? made('debug', level, name) : () => {};
    const warn = made('warn', level, name);
    return (/** @type {unknown} */ message, /** @type {any} */ context) => {
      if (isBufferLeftUnsent(message, context)) return quiet(message, context);
      if (typeof message === 'string' && message.includes(BUFFER_NOT_SENT)
        && String(context?.error?.message ?? '').includes(AGENT_LATE)) return warn(message, context);
      return write(message, context);
    };
  };
  logger.rebuild(); // applies the factory now, without writing the level to the host's localStorage
}
