import test from 'node:test';
import assert from 'node:assert/strict';
import {
  affectsPreview, debounce, draftKey, logoTooLarge, keptInDraft, parseDraft, rowLabel, sameFields, valuesByName,
} from '../../static/js/pages/demo-editor-logic.js';

function fakeTimers() {
  let now = 0;
  let next = 1;
  const pending = new Map();
  return {
    setTimeout: (cb, ms) => { const id = next++; pending.set(id, { at: now + ms, cb }); return id; },
    clearTimeout: (id) => { pending.delete(id); },
    advance(ms) {
      now += ms;
      for (const [id, { at, cb }] of [...pending]) if (at <= now) { pending.delete(id); cb(); }
    },
  };
}

test('debounce calls once, after the last call of a burst, with its arguments', () => {
  const timers = fakeTimers();
  const calls = [];
  const later = debounce((value) => calls.push(value), 400, timers);
  later('a'); timers.advance(300);
  later('ab'); timers.advance(300);
  later('abc');
  assert.deepEqual(calls, []);
  timers.advance(399);
  assert.deepEqual(calls, []);
  timers.advance(1);
  assert.deepEqual(calls, ['abc']);
  timers.advance(5000);
  assert.deepEqual(calls, ['abc']);
});

test('cancel drops the pending call', () => {
  const timers = fakeTimers();
  const calls = [];
  const later = debounce(() => calls.push(1), 400, timers);
  later(); later.cancel(); timers.advance(1000);
  assert.deepEqual(calls, []);
  later(); timers.advance(400);
  assert.deepEqual(calls, [1]);
});

test('flush makes a pending call now, once, and nothing when none is pending', () => {
  const timers = fakeTimers();
  const calls = [];
  const later = debounce((value) => calls.push(value), 400, timers);
  later.flush();
  assert.deepEqual(calls, []);
  later('a'); later('ab'); later.flush();
  assert.deepEqual(calls, ['ab']);
  timers.advance(1000); later.flush();
  assert.deepEqual(calls, ['ab']);
});

test('fields redraw the preview; the CSRF token and buttons do not', () => {
  assert.equal(affectsPreview({ name: 'title', type: 'text' }), true);
  assert.equal(affectsPreview({ name: 'logo_file', type: 'file' }), true);
  assert.equal(affectsPreview({ name: 'brand.theme', type: 'select-one' }), true);
  assert.equal(affectsPreview({ name: 'csrf', type: 'hidden' }), false);
  assert.equal(affectsPreview({ name: 'action', type: 'submit' }), false);
  assert.equal(affectsPreview({ name: '', type: 'text' }), false);
  assert.equal(affectsPreview(null), false);
});

test('a cloned row is numbered after the last one', () => {
  assert.equal(rowLabel('Name 3', 4), 'Name 4');
  assert.equal(rowLabel('Max length', 1), 'Max length 1');
});

test('a draft keeps every field the rep fills in and the form\'s base, not the token, a stored value, a file or a button', () => {
  const controls = [
    { name: 'csrf', type: 'hidden' }, { name: 'title', type: 'text' }, { name: 'var_name', type: 'text' },
    { name: 'base', type: 'hidden', dataset: { draftKeep: '' } },
    { name: 'description', type: 'textarea' }, { name: 'language', type: 'select-one' },
    { name: 'logo_file', type: 'file' }, { name: 'brand.logo', type: 'hidden' }, { name: 'action', type: 'submit' },
    { name: 'logo_remove', type: 'checkbox' }, { name: '', type: 'text' }, { name: 'old', type: 'text', disabled: true },
    { name: 'add', type: 'button' },
  ];
  assert.deepEqual(
    controls.filter(keptInDraft).map((c) => c.name),
    ['title', 'var_name', 'base', 'description', 'language', 'logo_remove'],
  );
});

test('drafts compare field by field, in order', () => {
  assert.ok(sameFields([['a', '1'], ['b', '']], [['a', '1'], ['b', '']]));
  assert.ok(!sameFields([['a', '1']], [['a', '1'], ['b', '']]));
  assert.ok(!sameFields([['a', '1'], ['b', '2']], [['b', '2'], ['a', '1']]));
  assert.ok(!sameFields([['a', '1']], [['a', '2']]));
});

test('blank table rows are no change: a refused save comes back with one more to fill in', () => {
  // Posted: the blank form's three rows, the first filled in. Shown again (400): the filled row and
  // three blank ones, the name trimmed. That offered the draft back as "not saved" (an audit found it).
  const rows = [['var_name', 'var_max'], ['tv_name', 'tv_value']];
  const posted = [['title', 'Acme'], ['var_name', 'name '], ['var_max', '40'], ['var_name', ''], ['var_max', ''],
    ['var_name', ''], ['var_max', ''], ['tv_name', ''], ['tv_value', ''], ['accent', '#ffcc00']];
  const shown = [['title', 'Acme'], ['var_name', 'name'], ['var_max', '40'], ['var_name', ''], ['var_max', ''],
    ['var_name', ''], ['var_max', ''], ['var_name', ''], ['var_max', ''], ['tv_name', ''], ['tv_value', ''],
    ['tv_name', ''], ['tv_value', ''], ['tv_name', ''], ['tv_value', ''], ['accent', '#ffcc00']];
  assert.ok(sameFields(posted, shown, rows));
  // A row's content still counts, and so does a row moved to a different place in the table.
  assert.ok(!sameFields(posted, shown.map(([n, v]) => [n, n === 'var_max' && v === '40' ? '41' : v]), rows));
  const split = [['title', 'Acme'], ['var_name', 'name'], ['var_max', ''], ['var_name', ''], ['var_max', '40'], ['accent', '#ffcc00']];
  assert.ok(!sameFields(posted, split, rows));
  // An emptied plain field is a change.
  assert.ok(!sameFields(posted, shown.map(([n, v]) => [n, n === 'title' ? '' : v]), rows));
});

test('a field with several rows keeps its values in row order', () => {
  const byName = valuesByName([['var_name', 'first'], ['var_max', '20'], ['var_name', 'second'], ['var_max', '']]);
  assert.deepEqual([...byName], [['var_name', ['first', 'second']], ['var_max', ['20', '']]]);
});

test('drafts are kept per account and page', () => {
  assert.notEqual(draftKey('1', '/demos/new'), draftKey('2', '/demos/new'));
  assert.notEqual(draftKey('1', '/demos/new'), draftKey('1', '/demos/acme/edit'));
});

test('a stored draft is read only when it has our shape', () => {
  const good = { at: 5, fields: [['title', 'Acme']] };
  assert.deepEqual(parseDraft(JSON.stringify(good)), good);
  for (const raw of [null, '', '{', 'null', '[]', '{"at": 5}', '{"at": "5", "fields": []}',
    '{"at": 5, "fields": [["title"]]}', '{"at": 5, "fields": [["title", 1]]}', '{"at": 5, "fields": "x"}']) {
    assert.equal(parseDraft(raw), null, raw);
  }
});


test('a logo file over the limit is refused with its size and the limit in KB; one that fits is not', () => {
  assert.equal(logoTooLarge({ name: 'huge.png', size: 2_000_070 }, 524_288), 'huge.png is 1953 KB: a logo may be at most 512 KB. Pick a smaller file.');
  assert.equal(logoTooLarge({ name: 'ok.png', size: 524_288 }, 524_288), null);
  assert.equal(logoTooLarge({ name: 'any.png', size: 9_999_999 }, Number.NaN), null); // no limit known: the server decides
});
