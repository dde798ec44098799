// The agent in the call's LiveKit room: who it is, what it is doing (`lk.agent.state`), waiting for it
// to join, and noticing that it left, whenever that happens (also during and after a reconnect).

import { normaliseAgentState } from './call-state.js';
import { CallError, STEPS } from './errors.js';

/** An RPC method no agent implements: the reply (UNSUPPORTED_METHOD) alone shows the agent is there. */
export const AGENT_PRESENCE_METHOD = 'itellico.presence';

/**
 * The agent is a participant of kind AGENT (or flagged isAgent). Avatar workers publish on behalf of the
 * agent; they are not the agent (livekit-client 2.x: they carry the `lk.publish_on_behalf` attribute).
 * @param {any} p a RemoteParticipant
 * @param {any} lk the livekit-client module
 */
export const isAgentParticipant = (p, lk) =>
  (p.kind === lk.ParticipantKind?.AGENT || p.isAgent) && !p.attributes?.['lk.publish_on_behalf'];

/** @param {any} room @param {any} lk @returns {any} the agent listed in the room, if any */
export function findAgent(room, lk) {
  return [...room.remoteParticipants.values()].find((p) => isAgentParticipant(p, lk));
}

/**
 * Ask the agent whether it is there. After a signal *resume* livekit-server lists the participants still
 * present but never reports one that left during the outage, so livekit-client keeps a ghost agent.
 * LiveKit SDKs acknowledge every RPC, even one whose method they do not handle (they answer
 * UNSUPPORTED_METHOD); no acknowledgement (CONNECTION_TIMEOUT, after 7 s) or a disconnected/unknown
 * recipient means nobody is there.
 * @param {any} room @param {any} lk @param {string} identity
 * @returns {Promise<boolean|null>} false: gone; true: answered; null: cannot tell (no RPC in this client)
 */
export async function agentAnswers(room, lk, identity) {
  if (typeof room.localParticipant?.performRpc !== 'function') return null;
  const codes = lk.RpcError?.ErrorCode ?? {};
  const gone = [codes.CONNECTION_TIMEOUT ?? 1501, codes.RECIPIENT_DISCONNECTED ?? 1503, codes.RECIPIENT_NOT_FOUND ?? 1401];
  try {
    await room.localParticipant.performRpc({ destinationIdentity: identity, method: AGENT_PRESENCE_METHOD, payload: '' });
    return true;
  } catch (err) {
    return !gone.includes(/** @type {any} */ (err)?.code);
  }
}

/**
 * @typedef {import('./call-events.js').AgentState} AgentState
 * @typedef {object} AgentPresenceHooks
 * @property {(agentState: AgentState) => void} onAgentState
 * @property {(track: any) => void} onAgentTrack   play this agent audio track
 * @property {(room: any) => void} onLeft          the agent of this Room is gone: end the call
 * @property {(room: any) => void} onGoneWhileAway a full reconnect found the agent gone: the call dropped
 * @property {() => boolean} isReconnecting          livekit is rebuilding the connection (and its participant list)
 */

export class AgentPresence {
  /** @type {string|null} */ identity = null;
  /** @type {AgentState|null} */ state = null;
  /** @type {{resolve: () => void, reject: (err: Error) => void}|null} */ #waiter = null;
  /** The connection is coming back by a signal *resume* (participant list kept, maybe stale). */
  #resuming = false;
  #hooks;

  /** @param {AgentPresenceHooks} hooks */
  constructor(hooks) {
    this.#hooks = hooks;
  }

  reset() {
    this.identity = null;
    this.state = null;
    this.#waiter = null;
  }

  /** Listen to the Room's participant events (before connect). @param {any} room @param {any} lk */
  wire(room, lk) {
    const E = lk.RoomEvent;
    room
      .on(E.ParticipantConnected, (p) => {
        if (isAgentParticipant(p, lk) && (!this.identity || p.identity === this.identity)) this.#adopt(p);
      })
      .on(E.ParticipantDisconnected, (p) => {
        // During a full reconnect livekit rebuilds its participant list; that is not the agent leaving
        // (Reconnected decides, below).
        if (p.identity === this.identity && !this.#hooks.isReconnecting()) this.#hooks.onLeft(room);
      })
      .on(E.ParticipantAttributesChanged, (changed, p) => {
        if (p?.identity === this.identity && 'lk.agent.state' in changed) this.#setState(changed['lk.agent.state']);
      })
      // SignalReconnecting: a resume; Reconnecting: a full reconnect (it may follow a failed resume).
      .on(E.SignalReconnecting, () => { this.#resuming = true; })
      .on(E.Reconnecting, () => { this.#resuming = false; })
      .on(E.Reconnected, () => this.#onReconnected(room, lk));
  }

  /**
   * Resolves when the agent is in the room (at once if it already is); rejects with agent_join_timeout, or
   * call_dropped when our connection is down then.
   * @param {any} room @param {any} lk @param {number} timeoutMs
   */
  waitFor(room, lk, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        // Our own connection down (livekit reconnecting): the agent may well have come, and the visitor read
        // "The agent did not answer" for their own network's fault (an audit).
        reject(new CallError(this.#hooks.isReconnecting() ? 'call_dropped' : 'agent_join_timeout', STEPS.waitingForAgent));
      }, timeoutMs);
      this.#waiter = {
        resolve: () => { clearTimeout(timer); this.#waiter = null; resolve(undefined); },
        reject: (err) => { clearTimeout(timer); this.#waiter = null; reject(err); },
      };
      const present = findAgent(room, lk);
      if (present) this.#adopt(present);
    });
  }

  /** Stop waiting (the call was cancelled or dropped). @param {Error} err */
  cancelWait(err) {
    this.#waiter?.reject(err);
  }

  /** The agent's audio track, when it publishes one. @param {any} room */
  audioTrack(room) {
    const agent = this.identity && room?.remoteParticipants.get(this.identity);
    return [...(agent?.audioTrackPublications?.values?.() ?? [])].find((pub) => pub.track)?.track ?? null;
  }

  #adopt(p) {
    this.identity = p.identity;
    this.#setState(p.attributes?.['lk.agent.state'] ?? 'initializing');
    // Attributes set before we joined never arrive as change events (livekit-client 2.x), so read them now.
    for (const pub of p.audioTrackPublications?.values?.() ?? []) {
      if (pub.track) this.#hooks.onAgentTrack(pub.track);
    }
    this.#waiter?.resolve();
  }

  #onReconnected(room, lk) {
    // After a full reconnect livekit lists the participants again (from the join response) before it emits
    // Reconnected, so an agent missing now has left or crashed meanwhile (Room.handleSignalRestarted).
    // After a resume it may still be listed though gone (see agentAnswers), so then ask it.
    const resumed = this.#resuming;
    this.#resuming = false;
    const agent = findAgent(room, lk);
    if (!agent) {
      // A full reconnect into a room without the agent: the call did not survive our connection's loss
      // (an outage long enough that the server dropped us, and the agent's session closed).
      if (this.identity) (resumed ? this.#hooks.onLeft : this.#hooks.onGoneWhileAway)(room);
      return;
    }
    this.#adopt(agent);
    if (!resumed) return;
    agentAnswers(room, lk, agent.identity).then((answers) => {
      // A newer reconnect or a new agent since: that one decides.
      if (answers === false && !this.#hooks.isReconnecting() && agent.identity === this.identity) this.#hooks.onLeft(room);
    });
  }

  #setState(value) {
    const next = /** @type {AgentState} */ (normaliseAgentState(value));
    if (next === this.state) return;
    this.state = next;
    this.#hooks.onAgentState(next);
  }
}
