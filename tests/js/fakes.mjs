// Fakes shared by the CallSession tests: livekit-client's Room, the microphone, the Permissions API,
// Web Audio and our backend. They model only what CallSession uses of livekit-client 2.x, no network.
import { EventEmitter } from 'node:events';

// The browser these tests stand in for has WebRTC (the sessions check for it before a call starts);
// the fake Room never uses it. A test of a browser without it passes `RTCPeerConnection: undefined`.
globalThis.RTCPeerConnection ??= class RTCPeerConnection {};

export const RpcErrorCode = { CONNECTION_TIMEOUT: 1501, RECIPIENT_DISCONNECTED: 1503, RECIPIENT_NOT_FOUND: 1401 };

export const RoomEvent = {
  ParticipantConnected: 'participantConnected', ParticipantDisconnected: 'participantDisconnected',
  ParticipantAttributesChanged: 'participantAttributesChanged', TrackSubscribed: 'trackSubscribed',
  TrackUnsubscribed: 'trackUnsubscribed', AudioPlaybackStatusChanged: 'audioPlaybackChanged',
  Reconnecting: 'reconnecting', SignalReconnecting: 'signalReconnecting', Reconnected: 'reconnected',
  Disconnected: 'disconnected', MediaDevicesChanged: 'mediaDevicesChanged', MediaDevicesError: 'mediaDevicesError',
  LocalTrackSubscribed: 'localTrackSubscribed', TrackPublished: 'trackPublished', Connected: 'connected',
};

/**
 * livekit-client's module. `disconnectGate`: a promise that room.disconnect() waits for before it
 * disconnects, as the real one waits for the server (so a test can act while a Room is dying).
 * `mediaRecorder`: how the browser's MediaRecorder behaves for the pre-connect buffer: 'ok', 'missing'
 * (livekit-client 2.23 then warns and records nothing) or 'throws' (the recorder cannot start).
 * `lk.log` records 'buffer started', 'connect' and 'publish' in order. `subscribeDuringPublish`: the agent
 * subscribes to the published track before publishTrack returns (RoomEvent.LocalTrackSubscribed).
 */
export function fakeLivekit({ agentJoins = true, connectFails = false, disconnectGate = null, mediaRecorder = 'ok', subscribeDuringPublish = false, publishGate = null, dataTracks = 'ok', micRestartFails = false } = {}) {
  const lk = { rooms: [], published: [], dataTracks: [], sent: [], rpcs: [], log: [] };
  class RpcError extends Error {
    constructor(code, message) { super(message); this.code = code; }
  }
  class LocalAudioTrack extends EventEmitter {
    constructor(mst) { super(); this.mediaStreamTrack = mst; this.muted = false; this.stopped = false; this.recorder = undefined; this.upstream = []; }
    get hasPreConnectBuffer() { return Boolean(this.recorder); }
    startPreConnectBuffer() {
      if (mediaRecorder === 'missing') return;
      if (this.recorder) return;
      this.recorder = { stopped: false };
      if (mediaRecorder === 'throws') throw new DOMException('MediaRecorder cannot start', 'NotSupportedError');
      lk.log.push('buffer started');
    }
    stopPreConnectBuffer() {
      if (this.recorder) this.recorder.stopped = true;
      this.recorder = undefined;
    }
    // Like livekit-client: muting emits `muted`; unmuting a microphone whose capture ended restarts it
    // first (`micRestartFails`: no device or no permission, it throws and stays muted).
    async mute() { this.muted = true; this.emit('muted', this); }
    async unmute() {
      if (this.mediaStreamTrack?.readyState === 'ended') {
        if (micRestartFails) throw new DOMException('Permission denied', 'NotAllowedError');
        this.mediaStreamTrack = { kind: 'audio', readyState: 'live', enabled: true, stop() {} };
        this.emit('restarted', this);
      }
      this.muted = false;
      this.emit('unmuted', this);
    }
    /** The capture ended (device unplugged, permission revoked); livekit-client could not restart it, so it mutes it. */
    async loseCapture() {
      this.mediaStreamTrack = { ...this.mediaStreamTrack, readyState: 'ended' };
      this.emit('ended', this);
      await this.mute();
    }
    // livekit-client sets it while publishing (see publishTrack below).
    get sender() { return this._sender; }
    set sender(sender) { this._sender = sender; }
    // What the sender did: 'paused' / 'resumed' (livekit-client's pauseUpstream: nothing sent, reported muted to the server).
    isUpstreamPaused = false;
    async pauseUpstream() {
      if (this.isUpstreamPaused) return;
      this.upstream.push('paused');
      this.isUpstreamPaused = true;
      await this.sender?.replaceTrack(null);
    }
    async resumeUpstream() {
      if (!this.isUpstreamPaused) return;
      this.upstream.push('resumed');
      this.isUpstreamPaused = false;
      await this.sender?.replaceTrack(this.mediaStreamTrack);
    }
    stop() { this.stopped = true; }
  }
  class Room extends EventEmitter {
    constructor(options) {
      super();
      this.options = options;
      this.remoteParticipants = new Map();
      this.canPlaybackAudio = true;
      this.handlers = {};
      this.disconnected = false;
      this.localParticipant = {
        identity: 'me',
        trackPublications: new Map(),
        publishTrack: async (track, opts) => {
          if (this.disconnected) throw new Error('cannot publish track when not connected');
          lk.log.push('publish');
          // The sender carries the microphone until something holds it (RTCRtpSender.replaceTrack).
          track.sender = { track: track.mediaStreamTrack, async replaceTrack(t) { this.track = t; } };
          lk.published.push({ track, opts, withBuffer: track.hasPreConnectBuffer });
          this.localParticipant.trackPublications.set('TR_mic', { track });
          // An agent already in the room subscribes at once: livekit-client reports that while
          // publishTrack is still finishing (before its own listener for it is in place).
          if (subscribeDuringPublish) this.emit(RoomEvent.LocalTrackSubscribed, { track, trackSid: 'TR_mic' });
          await publishGate?.promise; // a slow publish: the negotiation still going on
        },
        // `dataTracks`: 'ok', 'refused' (a server without data tracks) or 'missing' (an older livekit-client).
        publishDataTrack: dataTracks === 'missing' ? undefined : async ({ name }) => {
          if (dataTracks === 'refused') throw new Error('data tracks are not enabled');
          lk.dataTracks.push(name);
        },
        sendText: async (text, opts) => { lk.sent.push({ text, opts }); },
        // Like a LiveKit SDK on the other side: every request is acknowledged, and a method nobody
        // registered is answered UNSUPPORTED_METHOD; a participant the server no longer has never acks.
        performRpc: async ({ destinationIdentity, method }) => {
          lk.rpcs.push({ destinationIdentity, method });
          if (this.serverParticipants.has(destinationIdentity)) throw new RpcError(1400, 'Method not supported at destination');
          throw new RpcError(1501, 'Connection timeout');
        },
      };
      /** Who the server really has in the room (livekit-client may still list a ghost after a resume). */
      this.serverParticipants = new Set();
      lk.rooms.push(this);
    }
    async prepareConnection() {}
    async connect(url, token, opts) {
      if (this.disconnected) throw new Error('room was disconnected');
      this.connectArgs = { url, token, opts };
      lk.log.push('connect');
      if (connectFails) throw new Error('could not establish pc connection');
      if (agentJoins) setTimeout(() => this.agentJoins(), 5);
    }
    agentJoins(identity = 'agent-1') {
      const agent = { identity, kind: 4, isAgent: true, attributes: { 'lk.agent.state': 'initializing' }, audioTrackPublications: new Map() };
      this.remoteParticipants.set(agent.identity, agent);
      this.serverParticipants.add(agent.identity);
      this.emit(RoomEvent.ParticipantConnected, agent);
      this.agent = agent;
      return agent;
    }
    /** The agent leaves (or the server drops it after a crash). */
    agentLeaves() {
      const agent = this.agent;
      this.serverParticipants.delete(agent.identity);
      this.remoteParticipants.delete(agent.identity);
      this.emit(RoomEvent.ParticipantDisconnected, agent);
    }
    /** The agent leaves while our signal connection is down: after a resume, livekit-client still lists it. */
    agentVanishes() {
      this.serverParticipants.delete(this.agent.identity);
    }
    async disconnect() {
      if (this.disconnected || this.disconnecting) return;
      this.disconnecting = true;
      await disconnectGate;
      this.disconnected = true;
      this.emit(RoomEvent.Disconnected, 1);
    }
    registerTextStreamHandler(topic, cb) {
      if (this.handlers[topic]) throw new Error('HandlerAlreadyRegistered');
      this.handlers[topic] = cb;
    }
    async startAudio() { this.canPlaybackAudio = true; }
    async switchActiveDevice() { return true; }
    getActiveDevice() { return undefined; }
  }
  RpcError.ErrorCode = { ...RpcErrorCode, UNSUPPORTED_METHOD: 1400 };
  Object.assign(lk, {
    Room, LocalAudioTrack, RoomEvent, RpcError,
    TrackEvent: { Ended: 'ended', Muted: 'muted', Unmuted: 'unmuted', Restarted: 'restarted' },
    Track: { Kind: { Audio: 'audio' }, Source: { Microphone: 'microphone' } },
    ParticipantKind: { AGENT: 4 },
  });
  return lk;
}

/** A text stream reader like livekit's: yields chunks; trailer attributes land in info.attributes at the end. */
export function textStream({ id, attributes, chunks, trailer = {} }) {
  const info = { id, attributes: { ...attributes } };
  return {
    info,
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) { await null; yield c; }
      Object.assign(info.attributes, trailer);
    },
  };
}

/** A promise with its resolve/reject in hand, to hold a step (the permission prompt) open. */
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/**
 * navigator.mediaDevices. `fail` rejects like a browser (a DOMException name); `hold` keeps the prompt
 * open until `release()`; `log` (shared with fakeFetch) records the order of what happened.
 */
export function fakeMic({ fail, hold = false, log = [] } = {}) {
  const calls = [];
  const tracks = [];
  const gate = deferred();
  if (!hold) gate.resolve();
  return {
    calls, tracks, log,
    /** The track of the latest getUserMedia (each call gets a fresh one, as in a browser). */
    get track() { return tracks.at(-1); },
    release: () => gate.resolve(),
    getUserMedia: async (constraints) => {
      calls.push(constraints);
      log.push('getUserMedia');
      await gate.promise;
      if (fail) {
        log.push('getUserMedia rejected');
        throw Object.assign(new Error(fail), { name: fail });
      }
      log.push('getUserMedia resolved');
      const track = { enabled: true, stopped: false, stop() { this.stopped = true; } };
      tracks.push(track);
      return { getAudioTracks: () => [track] };
    },
    enumerateDevices: async () => [],
  };
}

/** navigator.permissions answering `state` for the microphone ('granted', 'prompt', 'denied'), or throwing. */
export function fakePermissions(state) {
  const queries = [];
  return {
    queries,
    query: async (descriptor) => {
      queries.push(descriptor);
      if (state === 'throws') throw new TypeError("'microphone' is not a valid value for enumeration PermissionName.");
      return { state };
    },
  };
}

/** Web Audio's AudioContext, counting construction and resume() (the autoplay unlock). */
export function fakeAudioContextClass() {
  const record = { created: 0, resumed: 0, closed: 0 };
  class AudioContext {
    constructor() { record.created += 1; this.state = 'suspended'; }
    resume() { record.resumed += 1; this.state = 'running'; return Promise.resolve(); }
    close() { record.closed += 1; this.state = 'closed'; return Promise.resolve(); }
  }
  return { AudioContext, record };
}

let callCounter = 0;
export const createResponse = (extra = {}) => ({
  call_id: `call-${++callCounter}`, token: 'tok', livekit_url: 'ws://127.0.0.1:7880', agent_name: 'Ava', mode: 'voice',
  handle: 'h1', agent_join_timeout_ms: 500, max_call_seconds: null, ...extra,
});

export function fakeFetch(routes, { log = [] } = {}) {
  const requests = [];
  const fetch = async (url, init = {}) => {
    requests.push({ url, init });
    log.push(`fetch ${url}`);
    const [status, body, headers] = routes(url, init);
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
  };
  return { fetch, requests, log };
}

export function record(session, types) {
  const events = [];
  for (const type of types) session.addEventListener(type, (e) => events.push({ type, ...e.detail }));
  return events;
}

/** Let every pending promise callback and zero-delay timer run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));

/** Wait for a condition the code under test reaches asynchronously (no fixed sleeps). */
export async function until(condition, what, { attempts = 500 } = {}) {
  for (let i = 0; i < attempts; i += 1) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`never happened: ${what}`);
}
