import assert from 'node:assert/strict';
import test from 'node:test';

import { AudioOutput } from '../../static/js/audio-output.js';

/** An AudioContext whose analysers hear `sound.amplitude` (a square wave), whatever the track. */
function soundingAudioContext(sound) {
  return class {
    createMediaStreamSource() { return { connect() {}, disconnect() {} }; }
    createAnalyser() {
      return {
        fftSize: 2048,
        get frequencyBinCount() { return this.fftSize / 2; },
        getFloatTimeDomainData(samples) { samples.forEach((_, i) => { samples[i] = i % 2 ? sound.amplitude : -sound.amplitude; }); },
        getByteFrequencyData(spectrum) { spectrum.fill(0); },
      };
    }
    resume() { return Promise.resolve(); }
    close() { return Promise.resolve(); }
  };
}

test('the mic level is what the microphone hears now, not the meter\'s last sample', (t) => {
  // The pre-connect recording ends at the visitor's pause, read with this level every 20 ms
  // (preconnect-buffer.js); the meter samples only every 60 ms, later on a busy page: a sample from a
  // gap between two words would pass for a pause while the visitor is speaking.
  globalThis.MediaStream ??= class { constructor(tracks) { this.tracks = tracks; } };
  t.after(() => output.release());
  const sound = { amplitude: 0 };
  const output = new AudioOutput({ AudioContext: soundingAudioContext(sound), emit: () => {} });
  output.startMeter('mic', /** @type {any} */ ({ kind: 'audio' }));
  assert.equal(output.level('mic'), 0);
  sound.amplitude = 0.1; // the visitor speaks; no meter sample was taken since
  assert.ok(output.level('mic') > 0.3, `speech reads ${output.level('mic')}`);
  sound.amplitude = 0;
  assert.equal(output.level('mic'), 0);
  output.stopMeter('mic');
  assert.equal(output.level('mic'), 0, 'no meter, no level');
});
