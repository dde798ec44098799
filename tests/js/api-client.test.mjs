import test from 'node:test';
import assert from 'node:assert/strict';
import { createApiClient, parseRetryAfter } from '../../static/js/api-client.js';

const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const created = { call_id: 'c1', token: 't', livekit_url: 'ws://x', agent_name: 'A', mode: 'voice', handle: 'h', agent_join_timeout_ms: 15000, max_call_seconds: null };

test('createCall posts the body and returns data', async () => {
  let seen;
  const api = createApiClient({ apiBase: 'http://app/', fetch: async (url, init) => { seen = { url, init }; return json(201, created); } });
  const r = await api.createCall({ demo: 'd', mode: 'voice' });
  assert.equal(r.ok, true);
  assert.equal(r.data.call_id, 'c1');
  assert.equal(seen.url, 'http://app/api/calls');
  assert.equal(seen.init.method, 'POST');
  assert.deepEqual(JSON.parse(seen.init.body), { demo: 'd', mode: 'voice' });
});

test('server errors keep their code, 429 carries Retry-After', async () => {
  const api = createApiClient({ fetch: async () => json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '17' }) });
  const r = await api.createCall({});
  assert.deepEqual(r, { ok: false, error: { code: 'rate_limited', message: 'slow down', status: 429, retryAfter: 17, requestId: null } });
});

test('network failures and non-JSON bodies still give a code', async () => {
  const down = createApiClient({ fetch: async () => { throw new TypeError('Failed to fetch'); } });
  assert.equal((await down.createCall({})).error.code, 'network_error');
  const html = createApiClient({ fetch: async () => new Response('<h1>Bad gateway</h1>', { status: 502 }) });
  assert.equal((await html.createCall({})).error.code, 'upstream_unavailable');
  const weird = createApiClient({ fetch: async () => new Response('nope', { status: 200 }) });
  assert.equal((await weird.createCall({})).error.code, 'bad_response');
  const partial = createApiClient({ fetch: async () => json(201, { call_id: 'c' }) });
  assert.equal((await partial.createCall({})).error.code, 'bad_response');
});

test('getCall sends the handle header', async () => {
  let headers;
  const api = createApiClient({ fetch: async (url, init) => { headers = init.headers; return json(200, { call_id: 'c1', status: 'completed', messages: [] }); } });
  const r = await api.getCall('c1', 'signed');
  assert.equal(r.ok, true);
  assert.equal(headers['X-Call-Handle'], 'signed');
});

test('pollCall waits with backoff until the status settles', async () => {
  const statuses = ['in_progress', 'in_progress', 'completed'];
  const sleeps = [];
  const api = createApiClient({ fetch: async () => json(200, { call_id: 'c1', status: statuses.shift(), messages: [] }) });
  const r = await api.pollCall('c1', 'h', { sleep: async (ms) => { sleeps.push(ms); } });
  assert.equal(r.data.status, 'completed');
  assert.deepEqual(sleeps, [500, 1000]);
});

test('pollCall gives up after its time budget and returns the last answer', async () => {
  let calls = 0;
  const api = createApiClient({ fetch: async () => { calls += 1; return json(200, { call_id: 'c1', status: 'in_progress', messages: [] }); } });
  const r = await api.pollCall('c1', 'h', { timeoutMs: 2000, sleep: async () => {} });
  assert.equal(r.data.status, 'in_progress');
  assert.equal(calls, 3); // 0, +500, +1000 (next wait of 2000 would pass the budget)
});

test('Retry-After as seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('5'), 5);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10);
  assert.equal(parseRetryAfter('soon'), undefined);
});

test('a create refused by CORS on another site asks why, and says the origin is not allowed', async () => {
  // The browser hides a refused preflight as a network error; the widget's config endpoint answers
  // any page why (Access-Control-Allow-Origin: *), so an inline element can say so too.
  const asked = [];
  const refused = async (url, init) => {
    asked.push([init?.method ?? 'GET', url]);
    if (init?.method === 'POST') throw new TypeError('Failed to fetch');
    return json(403, { error: { code: 'origin_not_allowed', message: 'Calls are not allowed from this website.', request_id: 'r1' } });
  };
  const r = await createApiClient({ apiBase: 'https://app.example/', fetch: refused }).createCall({ demo: 'north wind' });
  assert.equal(r.error.code, 'origin_not_allowed');
  assert.equal(r.error.status, 403);
  assert.deepEqual(asked, [['POST', 'https://app.example/api/calls'], ['GET', 'https://app.example/api/demos/north%20wind/widget']]);

  // Really offline: the question fails too, and it stays a network error. Our own page asks nothing.
  const offline = createApiClient({ apiBase: 'https://app.example', fetch: async () => { throw new TypeError('Failed to fetch'); } });
  assert.equal((await offline.createCall({ demo: 'x' })).error.code, 'network_error');
  let calls = 0;
  const own = createApiClient({ fetch: async () => { calls += 1; throw new TypeError('Failed to fetch'); } });
  assert.equal((await own.createCall({ demo: 'x' })).error.code, 'network_error');
  assert.equal(calls, 1);
});

test('an api-base that is not a URL or a path is the site owner\'s mistake: nothing is sent, misconfigured', async () => {
  const seen = [];
  const fetch = async (url) => { seen.push(url); return new Response('{}', { status: 501 }); };
  const warnings = [];
  const warn = console.warn;
  console.warn = (message) => warnings.push(message);
  try {
    // `//host` and `/\host` look like paths and are another host's address (a browser reads the
    // backslash as a slash): they are neither a path on this origin nor an https:// URL.
    for (const apiBase of ['127.0.0.1:5301', 'call.example.com', 'localhost:5301', 'ftp://call.example.com', 'javascript:alert(1)', '//call.example.com', '/\\call.example.com']) {
      const result = await createApiClient({ apiBase, fetch }).createCall({ mode: 'text' });
      assert.equal(result.ok, false, apiBase);
      assert.equal(result.error.code, 'misconfigured', apiBase);
      assert.match(result.error.message, /api-base/, apiBase);
    }
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(seen, []);
  assert.ok(warnings.some((w) => /api-base "127\.0\.0\.1:5301"/.test(w)), warnings.join('\n'));
  // What is allowed: same origin, a path on it, an absolute http(s) URL.
  for (const [apiBase, url] of [['', '/api/calls'], ['/webcall/', '/webcall/api/calls'], ['https://call.example.com', 'https://call.example.com/api/calls'], ['http://127.0.0.1:5301/', 'http://127.0.0.1:5301/api/calls']]) {
    seen.length = 0;
    await createApiClient({ apiBase, fetch }).createCall({ mode: 'text' });
    assert.deepEqual(seen, [url], apiBase);
  }
});
