import test from 'node:test';
import assert from 'node:assert/strict';
import { CALL_STATES, CallStateMachine, canTransition, canStart, isActive, normaliseAgentState } from '../../static/js/call-state.js';

test('a voice call walks the happy path', () => {
  const m = new CallStateMachine();
  for (const s of ['requesting-mic', 'connecting', 'waiting-for-agent', 'in-call', 'ending', 'ended']) {
    assert.equal(m.transition(s), true, `→ ${s}`);
  }
  assert.equal(m.state, 'ended');
});

test('text mode skips the microphone step', () => {
  assert.equal(canTransition('idle', 'connecting'), true);
});

test('illegal transitions are ignored and reported', () => {
  const seen = [];
  const m = new CallStateMachine({ onIllegal: (from, to) => seen.push(`${from}>${to}`) });
  assert.equal(m.transition('in-call'), false);
  assert.equal(m.state, 'idle');
  m.transition('connecting');
  m.transition('waiting-for-agent');
  m.transition('in-call');
  m.transition('ending');
  assert.equal(m.transition('in-call'), false, 'a late event cannot revive an ending call');
  assert.deepEqual(seen, ['idle>in-call', 'ending>in-call']);
});

test('staying in the same state is not a change and not an error', () => {
  const seen = [];
  const m = new CallStateMachine({ onIllegal: () => seen.push(1) });
  assert.equal(m.transition('idle'), false);
  assert.equal(seen.length, 0);
});

test('every state has an exit and only ended/error/idle can start again', () => {
  for (const s of CALL_STATES) assert.ok(CALL_STATES.some((t) => canTransition(s, t)), s);
  assert.deepEqual(CALL_STATES.filter(canStart), ['idle', 'ended', 'error']);
  assert.deepEqual(CALL_STATES.filter(isActive), ['requesting-mic', 'connecting', 'waiting-for-agent', 'in-call', 'ending']);
});

test('errors can happen at every setup step, and after an error a new call can start', () => {
  for (const s of ['requesting-mic', 'connecting', 'waiting-for-agent', 'in-call']) assert.ok(canTransition(s, 'error'), s);
  assert.ok(canTransition('error', 'requesting-mic'));
  assert.ok(canTransition('ended', 'connecting'));
});

test('agent states: known values pass, unknown read as idle', () => {
  assert.equal(normaliseAgentState('speaking'), 'speaking');
  assert.equal(normaliseAgentState('dancing'), 'idle');
  assert.equal(normaliseAgentState(undefined), 'idle');
});
