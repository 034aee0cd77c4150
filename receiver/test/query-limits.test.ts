// Read-side rate limits on a real receiver over HTTP: a token over its query bucket gets
// 429 + Retry-After with a JSON error and is counted in /metrics, then is let in again
// once the bucket has refilled; events streams and exports weigh more; health routes are
// never limited; ingest and other tokens are unaffected; keyless requests share a
// per-tenant bucket. And with the default limits, what the Grafana app asks when a team
// opens sessions all at once is never refused.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../src/config.ts';
import { QUERY_COSTS } from '../src/limits/query-limits.ts';
import { request } from './helpers/http.ts';
import type { RawResponse } from './helpers/http.ts';
import { segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';

const WRITE = 'write-key-query-limits-000001';
const READ = 'read-token-query-limits-00001';
const OTHER_READ = 'read-token-query-limits-00002';
const STREAM_READ = 'read-token-query-limits-00003';
const EXPORT_READ = 'read-token-query-limits-00004';
const ADMIN = 'admin-token-query-limits-0001';

async function ingest(base: RunningReceiver, sessionId: string, secret?: string): Promise<RawResponse> {
  const body = JSON.stringify(segmentsRequest([0, 1, 2].map((seq) => makeSegment({ sessionId, seq, start: Date.now() - 30_000 + seq * 1000 }).segment)));
  return request(`${base.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) }, body });
}

function get(base: RunningReceiver, route: string, secret?: string, method = 'GET'): Promise<RawResponse> {
  return request(`${base.url}${route}`, { method, headers: secret ? { authorization: `Bearer ${secret}` } : {} });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One token per test (each its own bucket) and a slow refill, so a busy machine taking a
// while between requests cannot refill a bucket behind a test's back.
describe('query rate limits (1 request/s, bursts of 4)', () => {
  let rx: RunningReceiver;

  before(async () => {
    rx = await startReceiver({
      queryRateLimit: { requestsPerSecond: 1, burstRequests: 4 },
      auth: { tenants: [{ id: 'shop', writeKeys: [WRITE], readTokens: [READ, OTHER_READ, STREAM_READ, EXPORT_READ], adminTokens: [ADMIN] }] },
    });
    assert.equal((await ingest(rx, 'ql-1', WRITE)).status, 200);
    assert.equal((await ingest(rx, 'ql-keyless')).status, 200);
  });
  after(async () => {
    await rx?.stop();
  });

  test('429 + Retry-After with a JSON error once the bucket is empty, counted; allowed again after the refill', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await get(rx, '/api/v1/sessions', READ)).status, 200, `request ${i} of the burst`);
    const refused = await get(rx, '/api/v1/sessions/ql-1', READ);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(String(refused.headers['content-type']), /^application\/json/);
    const body = JSON.parse(refused.body.toString('utf8')) as { error: string };
    assert.match(body.error, /^read token config:[0-9a-f]{12} is over its query rate limit \(1 requests\/s, bursts of 4; an events stream counts as 2 requests, an export as 10\); retry after 1 s$/);
    // Health and metrics are never limited, however empty the bucket.
    for (let i = 0; i < 20; i++) {
      for (const route of ['/healthz', '/readyz', '/metrics']) assert.equal((await get(rx, route, READ)).status, 200, route);
    }
    // Nor is another token, nor ingest.
    assert.equal((await get(rx, '/api/v1/sessions/ql-1', OTHER_READ)).status, 200);
    assert.equal((await ingest(rx, 'ql-2', WRITE)).status, 200);
    const metrics = (await get(rx, '/metrics')).body.toString('utf8');
    assert.match(metrics, /otel_replay_query_rate_limited_total\{tenant="shop"\} 1\b/);
    await sleep(1000 * Number(refused.headers['retry-after']) + 50);
    assert.equal((await get(rx, '/api/v1/sessions/ql-1', READ)).status, 200, 'let in again after Retry-After');
  });

  test('an events stream weighs 2 and an export 10: the export passes from a full bucket and the debt is waited for', async () => {
    assert.equal((await get(rx, '/api/v1/sessions/ql-1/events', STREAM_READ)).status, 200);
    assert.equal((await get(rx, '/api/v1/sessions/ql-1/events', STREAM_READ)).status, 200);
    assert.equal((await get(rx, '/api/v1/sessions/ql-1/events', STREAM_READ)).status, 429, 'two streams emptied a bucket of 4');
    const exported = await get(rx, '/api/v1/sessions/ql-1/export.html', EXPORT_READ);
    assert.equal(exported.status, 200);
    const after = await get(rx, '/api/v1/sessions', EXPORT_READ);
    assert.equal(after.status, 429);
    // 10 - 4 = 6 tokens of debt plus the one needed, at 1/s: 7 s.
    assert.equal(after.headers['retry-after'], String(QUERY_COSTS.export - 4 + 1));
  });

  test('deletions come out of the admin token bucket and answer 429 the same way', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await get(rx, `/api/v1/sessions/none-${i}`, ADMIN, 'DELETE')).status, 404);
    const refused = await get(rx, '/api/v1/sessions/ql-1', ADMIN, 'DELETE');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(refused.body.toString('utf8'), /"error":"admin token config:[0-9a-f]{12} is over its query rate limit/);
    assert.equal((await get(rx, '/api/v1/sessions/ql-1', OTHER_READ)).status, 200, 'the refused deletion did nothing');
  });

  test('keyless requests share one bucket for their tenant, apart from every token', async () => {
    const results: RawResponse[] = [];
    for (let i = 0; i < 5; i++) results.push(await get(rx, '/api/v1/sessions/ql-keyless'));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 429]);
    const refused = results[4]!;
    assert.match(refused.body.toString('utf8'), /tenant default \(requests without a token\) is over its query rate limit/);
    assert.equal((await get(rx, '/api/v1/sessions/ql-1', OTHER_READ)).status, 200);
    assert.equal((await get(rx, '/healthz')).status, 200);
  });
});

describe('the default query limits and the Grafana app', () => {
  let rx: RunningReceiver;
  const sessions = Array.from({ length: 8 }, (_, i) => `plugin-${i}`);

  before(async () => {
    rx = await startReceiver({ auth: { tenants: [{ id: 'team', writeKeys: [WRITE], readTokens: [READ] }] } });
    for (const id of sessions) assert.equal((await ingest(rx, id, WRITE)).status, 200);
  });
  after(async () => {
    await rx?.stop();
  });

  test('a whole team opening sessions at once through one Grafana token is never refused', async () => {
    const defaults = defaultConfig().queryRateLimit;
    assert.deepEqual(defaults, { requestsPerSecond: 20, burstRequests: 200 }, 'the defaults this test is about');
    const now = Date.now();
    const list = (page: number) => `/api/v1/sessions?from=${now - 3600_000}&to=${now}&sort=firstSeen&order=desc&limit=25&offset=${page * 25}`;
    // What the app sends (grafana-plugin/src/services/receiver.ts): the Sessions page asks one
    // search per change; a Session page asks the summary and the events stream side by side,
    // and restarts the stream on a seek outside what is loaded; a dashboard panel searches.
    // Ten people do all of that within the same moment; one of them also exports.
    const person = (p: number) => {
      const id = sessions[p % sessions.length]!;
      return [
        list(0), list(1),
        `/api/v1/sessions/${id}`, `/api/v1/sessions/${id}/events`,
        `/api/v1/sessions/${id}/events?at=${now - 25_000}`, `/api/v1/sessions/${id}/events?at=${now - 29_000}`,
        `/api/v1/sessions?limit=10&hasErrors=true`,
      ];
    };
    const routes = [...Array.from({ length: 10 }, (_, p) => person(p)).flat(), `/api/v1/sessions/${sessions[0]}/export.html`];
    const cost = routes.reduce((n, r) => n + (r.includes('/events') ? QUERY_COSTS.eventsStream : r.endsWith('export.html') ? QUERY_COSTS.export : 1), 0);
    assert.ok(cost <= defaults.burstRequests, `the burst (${cost} requests' worth) fits the default`);
    const answers = await Promise.all(routes.map((r) => get(rx, r, READ)));
    assert.deepEqual(answers.map((a, i) => `${a.status} ${routes[i]}`).filter((s) => !s.startsWith('200 ')), []);
    // And one person browsing on: a session page every 300 ms for 2 s.
    for (let i = 0; i < 7; i++) {
      const id = sessions[i % sessions.length]!;
      const [summary, events] = await Promise.all([get(rx, `/api/v1/sessions/${id}`, READ), get(rx, `/api/v1/sessions/${id}/events`, READ)]);
      assert.deepEqual([summary.status, events.status], [200, 200]);
      await sleep(300);
    }
    assert.doesNotMatch((await get(rx, '/metrics')).body.toString('utf8'), /otel_replay_query_rate_limited_total\{/);
  });
});
