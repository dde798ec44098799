import test from 'node:test';
import assert from 'node:assert/strict';
import { CallChrome } from '../../static/js/call-chrome.js';

/** An element that records the custom properties written to it. */
function fakeElement() {
  const writes = [];
  return { writes, style: { setProperty: (name, value) => writes.push([name, value]) }, setAttribute() {} };
}

function chrome() {
  const parts = { meter: fakeElement(), bars: [fakeElement(), fakeElement(), fakeElement()] };
  return { parts, chrome: new CallChrome(/** @type {any} */ (parts), (key) => key) };
}

test('the agent visualizer writes a bar only when its level changed', () => {
  const { parts, chrome: c } = chrome();
  c.renderAgentLevel({ level: 0, bands: [0.5, 0.2, 0] });
  c.renderAgentLevel({ level: 0, bands: [0.5, 0.2, 0] }); // the same sample again
  c.renderAgentLevel({ level: 0, bands: [0.501, 0.3, 0] }); // the first bar moves less than a step
  assert.deepEqual(parts.bars.map((b) => b.writes), [
    [['--v', '0.6875']],
    [['--v', '0.28125'], ['--v', '0.40625']],
    [['--v', '0']],
  ]);
});

test('the mic meter writes its level only when it changed, and a muted microphone reads 0 once', () => {
  const { parts, chrome: c } = chrome();
  c.renderMicLevel(0.42, false);
  c.renderMicLevel(0.421, false);
  c.renderMicLevel(0.6, true);
  c.renderMicLevel(0.3, true);
  assert.deepEqual(parts.meter.writes, [['--level', '0.42'], ['--level', '0']]);
});
