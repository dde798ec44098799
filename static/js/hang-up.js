// Ending a call the visitor gave up on before its agent answered. itellico has no request that ends a
// call (docs/api.md): a call ends when the visitor leaves its room and its agent sees them go. A call
// whose create answered after the visitor cancelled, or that the visitor left before its agent came,
// kept the agent alone in the room until the agent's own timeout (a minute in the sandbox), a billed
// call nobody hears. So the page joins it once more (no microphone, nothing subscribed), makes itself
// known to the agent at once (call-room.js announceWithoutMicrophone: a participant that publishes
// nothing is announced only in livekit-server's batch every 3 s), waits for the agent to come (at most
// its join timeout) and to take it in (it starts speaking, at most a few seconds), and leaves. An agent
// that never saw the page arrive may never see it leave.

import { findAgent, isAgentParticipant } from './agent-presence.js';
import { announceWithoutMicrophone, connectOptions } from './call-room.js';

/** How long an agent that came is given to show it took the page in, before the page leaves anyway. */
const TAKE_IN_MS = 3500;

/** The agent is handling the call (greeting or answering): it has taken the page in. @param {any} p @param {any} lk */
const handling = (p, lk) => isAgentParticipant(p, lk) && ['speaking', 'thinking'].includes(p.attributes?.['lk.agent.state']);

/**
 * @param {any} lk the livekit-client module
 * @param {{livekit_url: string, token: string, rtc_config?: RTCConfiguration}} created the create's answer
 * @param {number} timeoutMs how long to wait for the agent
 * @returns {Promise<void>} once left (never rejects: nothing more can be done for an unreachable call)
 */
export async function hangUpUnanswered(lk, created, timeoutMs) {
  const room = new lk.Room();
  /** @type {ReturnType<typeof setTimeout>[]} */ const timers = [];
  let graceStarted = false;
  const takenIn = new Promise((resolve) => {
    const done = () => resolve(undefined);
    const check = () => {
      const agent = findAgent(room, lk);
      if (!agent) return;
      if (handling(agent, lk)) done();
      else if (!graceStarted) {
        graceStarted = true;
        timers.push(setTimeout(done, TAKE_IN_MS));
      }
    };
    timers.push(setTimeout(done, timeoutMs));
    room.on(lk.RoomEvent.Connected, check);
    room.on(lk.RoomEvent.ParticipantConnected, check);
    room.on(lk.RoomEvent.ParticipantAttributesChanged, check);
  });
  try {
    const options = connectOptions(created, false);
    try {
      await room.connect(created.livekit_url, created.token, options);
    } catch {
      await room.connect(created.livekit_url, created.token, options); // once more: a busy server or link
    }
    announceWithoutMicrophone(room);
    const agent = findAgent(room, lk);
    if (!agent || !handling(agent, lk)) await takenIn;
  } catch {
    // Not reachable: the agent's own timeout ends the call.
  } finally {
    timers.forEach(clearTimeout);
    await room.disconnect().catch(() => {});
  }
}
