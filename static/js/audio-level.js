// Loudness of an audio track for the mic meter and the agent visualizer.
// The analyser only *listens* to a MediaStream copy of the track and is never connected to the
// speakers: agent audio plays through a media element so the browser's echo cancellation still
// sees it (Chrome's AEC ignores audio routed through Web Audio: chromium bug 687574).

const BANDS = 5;

/**
 * @param {MediaStreamTrack} track
 * @param {{audioContext: AudioContext, onLevel: (sample: {level: number, bands: number[]}) => void, intervalMs?: number}} options
 * @returns {{stop: () => void, read: () => number}} `read`: the level now (the pre-connect recording's
 *   pause detection polls it faster than the meter's interval, preconnect-buffer.js)
 */
export function createLevelMeter(track, { audioContext, onLevel, intervalMs = 60 }) {
  const source = audioContext.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 1024; // ~21 ms at 48 kHz: long enough that a pause between words reads as quiet (preconnect-buffer.js)
  analyser.smoothingTimeConstant = 0.7;
  source.connect(analyser);
  // Floats, not bytes: 8-bit samples put a floor of ±1/128 under silence (a level of ~0.12), which
  // would hide the pauses the pre-connect recording waits for (preconnect-buffer.js).
  const samples = new Float32Array(analyser.fftSize);
  const spectrum = new Uint8Array(analyser.frequencyBinCount);
  // Speech sits in the lower part of the spectrum; spreading the bars over all bins would leave most flat.
  const usefulBins = Math.floor(spectrum.length * 0.5);
  const perBand = Math.max(1, Math.floor(usefulBins / BANDS));

  const read = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const x of samples) sum += x * x;
    const rms = Math.sqrt(sum / samples.length);
    // Normal speech has an RMS of roughly 0.02–0.2; scale so talking fills most of the meter.
    return Math.min(1, Math.sqrt(rms) * 1.6);
  };
  const timer = setInterval(() => {
    const level = read();
    analyser.getByteFrequencyData(spectrum);
    const bands = [];
    for (let b = 0; b < BANDS; b += 1) {
      let total = 0;
      for (let i = b * perBand; i < (b + 1) * perBand; i += 1) total += spectrum[i];
      bands.push(total / perBand / 255);
    }
    onLevel({ level, bands });
  }, intervalMs);

  return {
    read,
    stop() {
      clearInterval(timer);
      try { source.disconnect(); } catch { /* already disconnected */ }
    },
  };
}
