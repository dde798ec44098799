// Reading a share link's token from the URL fragment as prospects receive it (static/js/share-link.js):
// mail and chat clients glue a dot or bracket to the link's end, or break it over two lines (a space,
// `%20` in location.hash). The server cleans the same way (clean_token in webcall/links.py); the
// signature alone decides whether the token opens anything.
import test from 'node:test';
import assert from 'node:assert/strict';
import { linkFromFragment } from '../../static/js/share-link.js';

const TOKEN = 'eyJzbHVnIjoiYWxwZW5ibGljayIsImxpbmtfaWQiOiJ4In0.Zk3_q-9aB0cD1eF2gH3iJ4kL5mN';

test('a plain fragment gives its token', () => {
  assert.equal(linkFromFragment(`#link=${TOKEN}`), TOKEN);
  assert.equal(linkFromFragment(`link=${TOKEN}`), TOKEN);
});

test('punctuation glued to the end of the link is not part of the token', () => {
  for (const tail of ['.', ').', ')', '>', ',', '!', '"', "'", '%2E', '%29.', '.%20', ' ', '%5D']) {
    assert.equal(linkFromFragment(`#link=${TOKEN}${tail}`), TOKEN, tail);
  }
});

test('a line break inside the token (a space, %20, a doubly encoded %2520) is dropped', () => {
  const [a, b] = [TOKEN.slice(0, 20), TOKEN.slice(20)];
  for (const gap of ['%20', ' ', '+', '%20%20', '%0A', '%2520']) {
    assert.equal(linkFromFragment(`#link=${a}${gap}${b}`), TOKEN, gap);
  }
});

test('no token, or nothing left after the clean-up, is no link', () => {
  for (const hash of ['', '#', '#link=', '#link=.', '#link=%20', '#other=x', null, undefined]) {
    assert.equal(linkFromFragment(hash), null, String(hash));
  }
  assert.equal(linkFromFragment(`#link=${'a'.repeat(4001)}`), null);
});

test('a malformed percent sign does not throw', () => {
  assert.equal(linkFromFragment(`#link=${TOKEN}%`), TOKEN);
  assert.equal(linkFromFragment(`#link=${TOKEN}%E0%A4.`), TOKEN);
  assert.equal(linkFromFragment(`#link=${TOKEN}%252E%`), TOKEN);
});
