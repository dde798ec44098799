// Ending a call the visitor gave up on before its agent answered. itellico has no request that ends a
// call (docs/api.md): a call ends when the visitor leaves its room with the agent in it. A call whose
// create answered after the visitor cancelled, or that the visitor left before its agent came, kept the
// agent alone in the room until the agent's own timeout (a minute in the sandbox), a billed call that
// nobody hears. So the page joins it once more, without a microphone and subscribing to nothing, waits
// for the agent (at most its join timeout) and leaves.

import { findAgent, isAgentParticipant } from './agent-presence.js';

/**
 * @param {any} lk the livekit-client module
 * @param {{livekit_url: string, token: string, rtc_config?: RTCConfiguration}} created the create's answer
 * @param {number} timeoutMs how long to wait for the agent
 * @returns {Promise<void>} once left (never rejects: nothing more can be done for an unreachable call)
 */
export async function hangUpUnanswered(lk, created, timeoutMs) {
  const room = new lk.Room();
  /** @type {ReturnType<typeof setTimeout>|undefined} */ let timer;
  const agentCame = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    room.on(lk.RoomEvent.ParticipantConnected, (/** @type {any} */ p) => { if (isAgentParticipant(p, lk)) resolve(undefined); });
  });
  try {
    const options = { autoSubscribe: false, ...(created.rtc_config ? { rtcConfig: created.rtc_config } : {}) };
    await room.connect(created.livekit_url, created.token, options);
    if (!findAgent(room, lk)) await agentCame;
  } catch {
    // Not reachable: the agent's own timeout ends the call.
  } finally {
    clearTimeout(timer);
    await room.disconnect().catch(() => {});
  }
}
