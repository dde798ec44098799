// Whether the agent can take our typed messages yet. A LiveKit Agents agent drops text from a
// participant its room does not list ("participant not found, ignoring text input": livekit-agents 1.8
// `room_io/room_io.py`, `_on_chat_text_stream`), and livekit-server may list the page to the agent
// seconds after the page sees the agent and shows the call as up: a page that publishes nothing is
// announced only in the room's batch of updates every 3 s (once 48 of 324 e2e calls, 2.8 s after the
// dispatch; a message typed in that window went unanswered). call-room.js now announces such a page
// at once where the server has data tracks (announceWithoutMicrophone); this guard covers the rest.
// The signs that the agent lists us: it subscribed to one of our tracks (our microphone), or it sent
// us its own transcription. A call with neither (text only, and an agent that says nothing first)
// sends after AGENT_EARS_MAX_MS.

/** The longest a typed message waits for a sign that the agent can read it. */
export const AGENT_EARS_MAX_MS = 4000;

export class AgentEars {
  #listening = false;
  /** @type {Array<() => void>} */ #waiting = [];

  /** Listen for the agent subscribing to our tracks. @param {any} room @param {any} lk */
  watch(room, lk) {
    room.on(lk.RoomEvent.LocalTrackSubscribed, () => this.heard());
  }

  /** The agent shows that it lists us; every message held for it goes now. */
  heard() {
    this.#listening = true;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  /**
   * Resolves once the agent can read what we type, or after `maxMs` without a sign of it.
   * @param {number} [maxMs] @returns {Promise<void>}
   */
  ready(maxMs = AGENT_EARS_MAX_MS) {
    if (this.#listening) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
