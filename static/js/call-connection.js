// The Room of the session's current call, as the session sees it: made once per call (the warm-up and
// the start sequence race to it), its events (and the agent's presence in it) turned into the session's
// events, whether livekit is reconnecting, whether a disconnect is ours (hang-up, failure) or news, and
// which news ends the call how: a drop, an end from the server, the agent leaving. The session decides
// what ending means.

import { AgentEars } from './agent-ears.js';
import { AgentPresence } from './agent-presence.js';
import { createCallRoom } from './call-room.js';
import { CallEvent } from './call-events.js';
import { isActive } from './call-state.js';
import { CallError, END_REASONS, STEPS, endReasonForDisconnect } from './errors.js';
import { noteRoomClosed } from './livekit-logs.js';

/**
 * @typedef {import('./call-events.js').CallEventDetails} CallEventDetails
 * @typedef {<K extends keyof CallEventDetails>(type: K, detail: CallEventDetails[K]) => void} Emit
 * @typedef {object} CallConnectionHooks
 * @property {import('./audio-output.js').AudioOutput} audio
 * @property {import('./conversation.js').Conversation} conversation
 * @property {Emit} emit
 * @property {() => import('./call-events.js').CallState} state
 * @property {() => void} onDropped     the network lost the call (livekit gave up reconnecting)
 * @property {(reason: import('./call-events.js').EndReason) => void} onClosed  the server ended the Room
 * @property {() => void} onAgentLeft   the agent of the current Room is gone
 * @property {() => Promise<void>} agentMayTalk  when the agent's audio may be taken (call-room.js)
 */

export class CallConnection {
  /** @type {any} the current call's Room; null before it is made and once it is released */
  room = null;
  /** livekit is rebuilding the connection (Reconnecting until Reconnected). */
  reconnecting = false;
  /** We disconnect (or the Room is gone already): its Disconnected is not news. */
  closing = false;
  /** Who the agent is, waiting for it, noticing that it left. */
  agent;
  /** Whether the agent can read what we type yet (agent-ears.js); one per Room. */
  #ears = new AgentEars();
  #hooks;
  #told = false; // this reconnect's Reconnecting was emitted (in a call, not while waiting for the agent)

  /** @param {CallConnectionHooks} hooks */
  constructor(hooks) {
    this.#hooks = hooks;
    this.agent = new AgentPresence({
      onAgentState: (agentState) => hooks.emit(CallEvent.AgentState, { agentState }),
      onAgentTrack: (track) => hooks.audio.attach(track),
      onLeft: (room) => this.#agentLeft(room),
      onGoneWhileAway: (room) => {
        if (room === this.room && !this.closing && hooks.state() === 'in-call') hooks.onDropped();
        else this.#agentLeft(room);
      },
      isReconnecting: () => this.reconnecting,
    });
  }

  /** A new call. */
  reset() {
    this.closing = false;
    this.reconnecting = false;
  }

  /** The call's Room, made on the first call. @param {any} lk @param {any} created @param {string} [audioOutputDeviceId] */
  ensure(lk, created, audioOutputDeviceId) {
    if (this.room) return this.room;
    const { audio, conversation, emit, state } = this.#hooks;
    const room = createCallRoom(lk, created, {
      audioOutputDeviceId,
      hooks: {
        onReconnecting: () => this.#onReconnecting(),
        onReconnected: () => {
          const told = this.#told; // "Connection lost" was said: not for a reconnect begun while waiting
          this.reconnecting = this.#told = false;
          // Said once the agent's own Reconnected handler (wired after this one) has looked: "Reconnected."
          // then "The call dropped" told the visitor both.
          queueMicrotask(() => { if (told && room === this.room && state() === 'in-call') emit(CallEvent.Reconnected, {}); });
        },
        onDisconnected: (reason) => this.#onDisconnected(reason),
        onAgentTrack: (track) => audio.attach(track),
        onTrackGone: (track) => audio.detach(track),
        onAudioBlocked: (blocked) => emit(CallEvent.AudioBlocked, { blocked }),
        onDevicesChanged: () => emit(CallEvent.DevicesChanged, {}),
        onDeviceError: (code, message) => emit(CallEvent.Error, { code, message, step: STEPS.inCall, fatal: false }),
        onTranscript: (update) => {
          if (update.role === 'agent') this.#ears.heard(); // it sends to us: its room lists us
          // A stream finishing after hang-up must not reopen the transcript.
          if (isActive(state())) conversation.applyStream(update);
        },
        agentMayTalk: () => this.#hooks.agentMayTalk(),
      },
    });
    this.room = room;
    this.#ears = new AgentEars();
    this.#ears.watch(room, lk);
    // After the Room's own handlers: its Reconnected clears `reconnecting`, which the agent's reads.
    this.agent.wire(room, lk);
    return room;
  }

  /** Resolves when the agent can read typed text, or after a bound (agent-ears.js). */
  agentCanRead() {
    return this.#ears.ready();
  }

  /** Hang up: the Disconnected that follows is ours. Resolves when livekit is done (never rejects). */
  disconnect() {
    this.closing = true;
    noteRoomClosed(this.room);
    return this.room?.disconnect().catch(() => {});
  }

  /** Resume blocked agent audio (from a tap); announces whether it is blocked still. */
  async startAudio() {
    if (!this.room) return;
    try {
      await this.room.startAudio();
    } catch {
      // Still blocked (the browser refused the play): said below; the tap's handler awaits nothing.
    } finally {
      this.#hooks.emit(CallEvent.AudioBlocked, { blocked: !this.room?.canPlaybackAudio });
    }
  }

  /** Forget the Room: none of its late events reaches the session any more. */
  release() {
    this.room?.removeAllListeners();
    this.room = null;
    this.reconnecting = false;
  }

  /**
   * The agent is gone: end the call, whether it is up or the agent was just adopted and start() has not
   * shown in-call yet. Never a call that shows "listening" with nobody there.
   * @param {any} room
   */
  #agentLeft(room) {
    if (room !== this.room || this.closing) return; // an earlier call's Room, or we are hanging up
    const state = this.#hooks.state();
    if (state === 'in-call' || state === 'waiting-for-agent') this.#hooks.onAgentLeft();
  }

  #onReconnecting() {
    const state = this.#hooks.state();
    if (this.reconnecting || (state !== 'in-call' && state !== 'waiting-for-agent')) return;
    // Waiting for the agent too: a join timeout meanwhile is our connection's, not the agent's (agent-presence.js).
    this.reconnecting = true;
    if ((this.#told = state === 'in-call')) this.#hooks.emit(CallEvent.Reconnecting, {});
  }

  /** @param {number|undefined} reason livekit's DisconnectReason */
  #onDisconnected(reason) {
    noteRoomClosed(this.room);
    if (this.closing) return; // end() finishes the call itself
    const endReason = endReasonForDisconnect(reason);
    const state = this.#hooks.state();
    if (state === 'in-call') {
      if (endReason === END_REASONS.dropped) this.#hooks.onDropped();
      else {
        this.closing = true; // the room is gone; nothing left to disconnect
        this.#hooks.onClosed(endReason);
      }
    } else if (state === 'waiting-for-agent') {
      this.agent.cancelWait(new CallError('call_dropped', STEPS.waitingForAgent));
    }
  }
}
