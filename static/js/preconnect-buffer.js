// The microphone track's pre-connect buffer (livekit-client's recording of what the visitor says before
// the agent is in the room), with what it takes on livekit-client 2.23 for the agent to hear the first
// words whole (1-4) and for a hang-up while they are sent to leave no error on the page (5):
// 1. The recording ends when the agent subscribes to the track, but livekit-client listens for that only
//    after `publishTrack` returned; an agent already in the room subscribes sooner, the recording then
//    runs on for 10 s while the agent gives up waiting for it after 3 s, hearing neither it nor the
//    live audio in between. We listen from before the publish.
// 2. Stopping drops the recording's last chunk (up to its 100 ms timeslice): livekit-client's
//    `dataavailable` listener awaits the chunk's bytes and by then `stop` has closed the stream. Our
//    track asks for the pending chunk and lets livekit-client take it before stopping. Measured in
//    Chromium: 250 ms recorded → 0.18 s of audio sent with a plain stop, 0.24 s with this one.
// 3. The seam. The agent hears the recording, then its live audio stream, which starts when the
//    agent's side of the subscription is ready, a moment the page cannot see: the page is told
//    "subscribed" earlier (measured on loopback: the agent's stream began 80 ms before to 500 ms
//    after it, mostly 100–250 ms after). Whatever falls between the recording's end and that start
//    is heard twice or never, and a word across it comes out garbled ("opening hours on saturday" →
//    "opening our latter day"); holding the live audio instead inserts silence there, which garbles
//    a word just as well ("opening of dollars"). So the seam is moved to where it costs nothing: the
//    live audio is held (`pauseUpstream`: nothing is sent, and livekit-client reports the track muted
//    to the server meanwhile; the microphone itself and the recording are not) while the recording
//    runs, and after the subscription the recording runs on to the visitor's next pause (the level
//    of the microphone, `levelNow`), at least SEAM.minMs and at most SEAM.maxMs; there the live
//    audio resumes and the recording ends. The agent then hears the speech once, with the pause a
//    little longer. Most visitors have finished their first sentence by then: the pause is at once.
// 4. The agent's first words. An agent that joins while the visitor is talking greets over them, and
//    the browser's echo canceller, hearing the agent play, damps the visitor's voice in the recording
//    (measured in the bench: "your" lost in 3 of 6 calls; 0 of 6 with echo cancellation off). So
//    when the visitor has spoken into the recording, the page takes the agent's audio only where the
//    recording ends (their pause), `agentMayTalk`; a LiveKit Agents agent waits for that subscription
//    before it speaks (call-room.js), so its greeting is late, not lost.
// 5. A send broken off. When the page hangs up while the recording is on its way to the agent, the
//    write fails and livekit-client's loop stops reading, which cancels the recorder's stream. Its
//    cancel then throws (close() on a stream being cancelled) before it marks the stream closed, and a
//    chunk the recorder was handing over is enqueued: an uncaught "Cannot enqueue a chunk into a closed
//    readable stream" on the host page (a clean-clone run). livekit-client gets a stream of ours; its
//    cancel stops only ours, and the recorder's stream ends as it always does, when recording stops.

const FLUSH_TIMEOUT_MS = 250;
/** When the recording ends after the agent's subscription: at a pause (a level below quietLevel for
 * quietMs), not before minMs (past the usual moment the agent's stream starts) nor after maxMs (the
 * agent waits 3 s for the recording). `level` is the mic meter's, read at each poll (audio-level.js:
 * speech ≈ 0.2–0.7, over the last ~21 ms). Polls further apart than maxGapMs (a busy page runs them
 * late) leave speech between them unseen: the quiet is counted again from the later one. */
export const SEAM = Object.freeze({ minMs: 250, maxMs: 2000, quietMs: 150, quietLevel: 0.12, pollMs: 20, maxGapMs: 50 });
/** The longest the agent's audio waits for a visitor who spoke into the recording: the seam's own
 * bound after the agent's subscription, plus the moment that subscription takes. */
export const AGENT_WAIT_MAX_MS = 3000;
const trackClasses = new WeakMap();

/**
 * livekit-client's LocalAudioTrack whose `stopPreConnectBuffer` (called by livekit-client on the
 * agent's subscription, by its 10 s timeout, and by us) records on to the visitor's next pause, keeps
 * the recording's end and resumes there the live audio `holdLiveAudio` held. `dropPreConnectBuffer`
 * stops at once (hanging up: nothing will be sent).
 * @param {any} lk the livekit-client module
 */
export function bufferedTrackClass(lk) {
  let BufferedTrack = trackClasses.get(lk);
  if (!BufferedTrack) {
    BufferedTrack = class extends lk.LocalAudioTrack {
      /** @type {Promise<void>|null} */ #stopping = null;
      /** The microphone's level now (0–1); without a meter it reads as quiet: the seam at SEAM.minMs. */
      levelNow = () => 0;
      #ending = false; // the recording's last chunk is being taken: too late to hold the live audio
      #held = false; // a hold was asked for (livekit-client sets isUpstreamPaused only once it holds)
      #spoke = false; // the visitor spoke while the recording ran
      /** @type {{recording: ReadableStream, stream: ReadableStream}|undefined} */ #sent;
      /** @type {ReturnType<typeof setInterval>|undefined} */ #listening;
      /** Resolves when the recording has ended (sent or dropped). */
      #ended = Promise.resolve();
      #markEnded = () => {};

      /** @param {any[]} args */
      startPreConnectBuffer(...args) {
        this.#stopping = null;
        this.#ending = false;
        this.#spoke = false;
        this.#ended = new Promise((resolve) => { this.#markEnded = resolve; });
        try {
          return super.startPreConnectBuffer(...args);
        } finally {
          if (this.hasPreConnectBuffer) this.#listenForSpeech();
          else this.#recordingEnded();
        }
      }

      /**
       * Resolves when the agent may be heard (item 4 above): at once, unless the visitor has spoken
       * into a recording still running; then where it ends, at the latest after AGENT_WAIT_MAX_MS.
       * @returns {Promise<void>}
       */
      agentMayTalk() {
        if (!this.hasPreConnectBuffer || !this.#spoke) return Promise.resolve();
        return Promise.race([this.#ended, new Promise((resolve) => setTimeout(resolve, AGENT_WAIT_MAX_MS))]);
      }

      #listenForSpeech() {
        this.#listening = setInterval(() => {
          if (this.levelNow() >= SEAM.quietLevel) this.#spoke = true;
          if (this.#spoke) clearInterval(this.#listening);
        }, SEAM.pollMs);
      }

      #recordingEnded() {
        clearInterval(this.#listening);
        this.#markEnded();
      }

      // livekit-client hands the track its sender while publishing, before the negotiation that lets
      // it send: the live audio is held from here, and `holdLiveAudio` makes that livekit-client's own
      // hold once published. Held only after the publish returned, the audio of that moment (mid-
      // question on a busy page) reached an agent already subscribed, who heard it twice.
      get sender() { return super.sender; }
      set sender(sender) {
        super.sender = sender;
        if (!sender || this.#ending || !this.hasPreConnectBuffer) return;
        this.#held = true;
        sender.replaceTrack(null).catch(() => { /* not held: the agent may hear a stretch twice */ });
      }

      /** Send nothing live while the recording runs (call once published); it resumes where the recording ends. */
      async holdLiveAudio() {
        if (this.#ending || !this.hasPreConnectBuffer) return;
        this.#held = true;
        try {
          await this.pauseUpstream();
        } catch { /* not held: the agent may hear a stretch twice */ }
      }

      /**
       * The recording as livekit-client sends it to the agent: through a stream of its own, whose cancel
       * does not reach the recorder's (item 5 above). The same one on every call for one recording.
       */
      getPreConnectBuffer() {
        const recording = super.getPreConnectBuffer();
        if (!recording || typeof TransformStream === 'undefined') return recording;
        if (this.#sent?.recording !== recording) {
          const passed = new TransformStream();
          recording.pipeTo(passed.writable, { preventCancel: true }).catch(() => { /* the send broke off */ });
          this.#sent = { recording, stream: passed.readable };
        }
        return this.#sent.stream;
      }

      stopPreConnectBuffer() {
        if (!this.hasPreConnectBuffer) {
          this.#resumeLiveAudio();
          this.#recordingEnded();
          return super.stopPreConnectBuffer();
        }
        this.#stopping ??= nextPause(() => this.levelNow()).then(() => {
          this.#ending = true;
          this.#resumeLiveAudio();
          return flushRecorder(this.localTrackRecorder).then(() => super.stopPreConnectBuffer());
        }).finally(() => this.#recordingEnded());
      }

      dropPreConnectBuffer() {
        this.#ending = true; // the call is ending: nothing more is sent, live or recorded
        this.#recordingEnded();
        super.stopPreConnectBuffer();
      }

      #resumeLiveAudio() {
        if (!this.#held) return;
        this.#held = false;
        // Queued behind a hold still in progress (livekit-client orders both on one lock); a sender held
        // before livekit-client's own hold began (the recording ended first) gets its track back too.
        this.resumeUpstream()
          .then(() => {
            const sender = this.sender;
            if (sender && !sender.track && !this.isUpstreamPaused) return sender.replaceTrack(this.mediaStreamTrack);
          })
          .catch(() => { /* the call is ending */ });
      }
    };
    trackClasses.set(lk, BufferedTrack);
  }
  return BufferedTrack;
}

/**
 * Ask the recorder for its pending chunk and wait until it was read (livekit-client's listener came
 * first and awaits the same bytes: once ours are read, so are its); at most FLUSH_TIMEOUT_MS.
 * `recorder` is livekit-client's internal MediaRecorder; without one, nothing to wait for.
 * @param {any} recorder
 * @returns {Promise<void>}
 */
export function flushRecorder(recorder) {
  return new Promise((resolve) => {
    if (!canFlush(recorder)) return resolve();
    setTimeout(resolve, FLUSH_TIMEOUT_MS);
    recorder.addEventListener('dataavailable', (/** @type {any} */ e) => {
      Promise.resolve(e.data?.arrayBuffer?.()).finally(() => setTimeout(resolve, 0));
    }, { once: true });
    try {
      recorder.requestData();
    } catch {
      resolve(); // it stopped meanwhile
    }
  });
}

/**
 * Resolves at the visitor's next pause: once `level()` has stayed below quietLevel for quietMs, read
 * at polls no further apart than maxGapMs, not before minMs, at the latest at maxMs (see SEAM).
 * @param {() => number} level @param {typeof SEAM} [seam] @param {() => number} [now]
 * @returns {Promise<void>}
 */
export function nextPause(level, seam = SEAM, now = () => performance.now()) {
  const { minMs, maxMs, quietMs, quietLevel, pollMs, maxGapMs } = seam;
  const start = now();
  /** @type {number|null} */ let quietSince = null;
  let last = start;
  return new Promise((resolve) => {
    const tick = () => {
      const t = now();
      if (t - last > maxGapMs) quietSince = null; // unseen in between: maybe speech
      last = t;
      quietSince = level() < quietLevel ? (quietSince ?? t) : null;
      const paused = quietSince !== null && t - quietSince >= quietMs;
      if (t - start >= maxMs || (t - start >= minMs && paused)) resolve();
      else setTimeout(tick, pollMs);
    };
    tick();
  });
}

/** @param {any} recorder */
function canFlush(recorder) {
  return recorder?.state === 'recording' && typeof recorder.requestData === 'function';
}

/**
 * Stop the recording (so it is sent) when the agent subscribes to this track; call before publishing.
 * @param {any} room @param {any} lk @param {any} track
 */
export function stopBufferOnceSubscribed(room, lk, track) {
  const onSubscribed = (/** @type {any} */ publication) => {
    if (publication?.track !== track) return;
    forget();
    if (track.hasPreConnectBuffer) track.stopPreConnectBuffer();
  };
  const forget = () => {
    room.off(lk.RoomEvent.LocalTrackSubscribed, onSubscribed);
    room.off(lk.RoomEvent.Disconnected, forget);
  };
  room.on(lk.RoomEvent.LocalTrackSubscribed, onSubscribed);
  room.on(lk.RoomEvent.Disconnected, forget);
}
