import test from 'node:test';
import assert from 'node:assert/strict';
import { Transcript, transcriptToText, transcriptToJSON, visibleEntries } from '../../static/js/transcript.js';

const clock = () => { let t = 1_700_000_000_000; return () => (t += 1000); };

test('agent delta chunks of one stream are appended and the trailer makes the line final', () => {
  const tr = new Transcript({ now: clock() });
  tr.applyStream({ segmentId: 'SG_1', streamId: 's1', role: 'agent', text: 'Hello ' });
  tr.applyStream({ segmentId: 'SG_1', streamId: 's1', role: 'agent', text: 'Hello there' });
  assert.deepEqual(tr.entries.map((e) => [e.text, e.final]), [['Hello there', false]]);
  tr.applyStream({ segmentId: 'SG_1', streamId: 's1', role: 'agent', text: 'Hello there', final: true });
  assert.equal(tr.entries.length, 1);
  assert.equal(tr.entries[0].final, true);
});

test('a second agent stream for the same segment appends (delta), it does not replace', () => {
  const tr = new Transcript();
  tr.applyStream({ segmentId: 'SG_1', streamId: 's1', role: 'agent', text: 'Good ', final: false });
  tr.applyStream({ segmentId: 'SG_1', streamId: 's2', role: 'agent', text: 'morning.' });
  assert.equal(tr.entries[0].text, 'Good morning.');
});

test('user interim updates replace the text of their segment, no duplicate lines', () => {
  const tr = new Transcript();
  tr.applyStream({ segmentId: 'U1', streamId: 'a', role: 'user', text: 'what are' });
  tr.applyStream({ segmentId: 'U1', streamId: 'b', role: 'user', text: 'what are your opening' });
  tr.applyStream({ segmentId: 'U1', streamId: 'c', role: 'user', text: 'what are your opening hours', final: true });
  assert.equal(tr.length, 1);
  assert.deepEqual(tr.entries[0], { ...tr.entries[0], text: 'what are your opening hours', final: true, role: 'user', source: 'voice' });
});

test('a late interim stream does not reopen a final line', () => {
  const tr = new Transcript();
  tr.applyStream({ segmentId: 'U1', streamId: 'a', role: 'user', text: 'hello', final: true });
  tr.applyStream({ segmentId: 'U1', streamId: 'b', role: 'user', text: 'hello', final: false });
  assert.equal(tr.entries[0].final, true);
});

test('lines keep the order in which their segment first appeared, typed lines included', () => {
  const tr = new Transcript();
  tr.applyStream({ segmentId: 'A1', streamId: 'x', role: 'agent', text: 'Hi, how can I help?' });
  tr.applyStream({ segmentId: 'U1', streamId: 'y', role: 'user', text: 'opening' });
  tr.addTyped('Do you open on Sunday?');
  tr.applyStream({ segmentId: 'A1', streamId: 'x', role: 'agent', text: 'Hi, how can I help?', final: true });
  tr.applyStream({ segmentId: 'U1', streamId: 'z', role: 'user', text: 'opening hours', final: true });
  assert.deepEqual(tr.entries.map((e) => e.id), ['A1', 'U1', 'typed-1']);
  const typed = tr.entries[2];
  assert.equal(typed.role, 'user');
  assert.equal(typed.final, true);
  assert.equal(typed.source, 'typed');
});

test('entries are copies: callers cannot corrupt the transcript', () => {
  const tr = new Transcript();
  tr.addTyped('x');
  tr.entries[0].text = 'changed';
  assert.equal(tr.entries[0].text, 'x');
});

test('finalizeAll and clear', () => {
  const tr = new Transcript();
  tr.applyStream({ segmentId: 'A', streamId: '1', role: 'agent', text: 'cut off mid' });
  tr.addTyped('typed lines are final already');
  const changed = tr.finalizeAll();
  assert.deepEqual(changed.map((e) => [e.id, e.final]), [[tr.entries[0].id, true]]);
  assert.equal(tr.entries[0].final, true);
  assert.deepEqual(tr.finalizeAll(), []);
  tr.clear();
  assert.equal(tr.length, 0);
  assert.equal(tr.addTyped('again').id, 'typed-1');
});

test('export as text and JSON skips empty lines', () => {
  const tr = new Transcript({ now: clock() });
  tr.applyStream({ segmentId: 'A', streamId: '1', role: 'agent', text: 'Hello! ', final: true });
  tr.applyStream({ segmentId: 'U', streamId: '2', role: 'user', text: '   ' });
  tr.addTyped('Hi');
  assert.equal(visibleEntries(tr.entries).length, 2);
  assert.equal(transcriptToText(tr.entries, { agent: 'Agent', user: 'You' }), 'Agent: Hello!\nYou: Hi');
  const json = JSON.parse(transcriptToJSON(tr.entries, { callId: 'c1' }));
  assert.equal(json.call_id, 'c1');
  assert.deepEqual(json.messages.map((m) => [m.role, m.message, m.source]), [['agent', 'Hello!', 'voice'], ['user', 'Hi', 'typed']]);
  assert.match(json.messages[0].timestamp, /^\d{4}-\d\d-\d\dT/);
});
