// The microphone track's pre-connect buffer (livekit-client's recording of what the visitor says before
// the agent is in the room), with two fixes for livekit-client 2.23 that decide whether the agent hears
// the first words whole:
// 1. The recording ends when the agent subscribes to the track, but livekit-client listens for that only
//    after `publishTrack` returned; an agent already in the room subscribes sooner, the recording then
//    runs on for 10 s while the agent gives up waiting for it after 3 s, hearing neither it nor the
//    live audio in between. We listen from before the publish.
// 2. Stopping drops the recording's last chunk (up to its 100 ms timeslice): livekit-client's
//    `dataavailable` listener awaits the chunk's bytes and by then `stop` has closed the stream. That
//    chunk is the audio just before the agent's subscription, where the agent switches from the
//    recording to the live track; without it a word there loses a syllable. Our track asks for the
//    pending chunk and lets livekit-client take it before stopping. Measured in Chromium: 250 ms
//    recorded → 0.18 s of audio sent with a plain stop, 0.24 s with this one.

const FLUSH_TIMEOUT_MS = 250;
const trackClasses = new WeakMap();

/**
 * livekit-client's LocalAudioTrack whose `stopPreConnectBuffer` (called by livekit-client on the
 * agent's subscription, by its 10 s timeout, and by us) keeps the recording's end.
 * `dropPreConnectBuffer` stops at once (hanging up: nothing will be sent).
 * @param {any} lk the livekit-client module
 */
export function bufferedTrackClass(lk) {
  let BufferedTrack = trackClasses.get(lk);
  if (!BufferedTrack) {
    BufferedTrack = class extends lk.LocalAudioTrack {
      /** @type {Promise<void>|null} */ #stopping = null;

      /** @param {any[]} args */
      startPreConnectBuffer(...args) {
        this.#stopping = null;
        return super.startPreConnectBuffer(...args);
      }

      stopPreConnectBuffer() {
        if (!canFlush(this.localTrackRecorder)) return super.stopPreConnectBuffer();
        this.#stopping ??= flushRecorder(this.localTrackRecorder).then(() => super.stopPreConnectBuffer());
      }

      dropPreConnectBuffer() {
        super.stopPreConnectBuffer();
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
