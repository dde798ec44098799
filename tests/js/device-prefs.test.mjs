import test from 'node:test';
import assert from 'node:assert/strict';
import { DEVICES_KEY, availablePref, loadDevicePrefs, saveDevicePref } from '../../static/js/device-prefs.js';
import { secondsUntil } from '../../static/js/format.js';

const memoryStorage = () => {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) };
};

test('a picked microphone and speaker are remembered, an empty pick forgets', () => {
  const storage = memoryStorage();
  assert.deepEqual(loadDevicePrefs(storage), {});
  assert.equal(saveDevicePref(storage, 'audioinput', 'mic-2'), true);
  assert.equal(saveDevicePref(storage, 'audiooutput', 'spk-1'), true);
  assert.deepEqual(loadDevicePrefs(storage), { audioinput: 'mic-2', audiooutput: 'spk-1' });
  saveDevicePref(storage, 'audioinput', '');
  assert.deepEqual(loadDevicePrefs(storage), { audiooutput: 'spk-1' });
  assert.equal(saveDevicePref(storage, 'videoinput', 'cam'), false, 'only audio kinds');
});

test('broken or blocked storage keeps nothing and never throws', () => {
  const storage = memoryStorage();
  storage.setItem(DEVICES_KEY, '{not json');
  assert.deepEqual(loadDevicePrefs(storage), {});
  storage.setItem(DEVICES_KEY, JSON.stringify({ audioinput: 42, audiooutput: '' }));
  assert.deepEqual(loadDevicePrefs(storage), {});
  const blocked = { getItem() { throw new Error('SecurityError'); }, setItem() { throw new Error('SecurityError'); } };
  assert.deepEqual(loadDevicePrefs(blocked), {});
  assert.equal(saveDevicePref(blocked, 'audioinput', 'x'), false);
  assert.deepEqual(loadDevicePrefs(undefined), {});
});

test('a remembered device is used only while it is plugged in', () => {
  const devices = [{ deviceId: 'default' }, { deviceId: 'spk-1' }];
  assert.equal(availablePref({ audiooutput: 'spk-1' }, 'audiooutput', devices), 'spk-1');
  assert.equal(availablePref({ audiooutput: 'gone' }, 'audiooutput', devices), undefined);
  assert.equal(availablePref({}, 'audiooutput', devices), undefined);
});

test('countdown seconds round up and stop at zero', () => {
  assert.equal(secondsUntil(5000, 1000), 4);
  assert.equal(secondsUntil(5000, 4001), 1);
  assert.equal(secondsUntil(5000, 5000), 0);
  assert.equal(secondsUntil(5000, 9000), 0);
});
