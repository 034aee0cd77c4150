// Security at the HTTP edge of a real receiver with auth on and keys from the key file
// (made by the keys CLI): tenants stay apart on every route and in storage, index and
// forwarding; missing, unknown, rotated, revoked and expired keys; origin-scoped keys;
// CORS; hostile ids in every id-bearing route; per-key rate limits.

import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runKeysCli } from '../src/cli/keys.ts';
import { digestOf, readKeyFile } from '../src/keys/key-file.ts';
import { OtlpSink, LOGS_PATH, TRACES_PATH } from './peers/otlp-sink.ts';
import { waitUntil } from './helpers/http.ts';
import { logRecord, logsRequest, segmentRecord, segmentsRequest, span, tracesRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';

const ALLOWED_ORIGIN = 'https://app.example.com';
const CANARY = 'CANARY-5b1e0c-outside-the-store';

let sink: OtlpSink;
let rx: RunningReceiver;
let keyFile: string;

/** Runs the keys CLI in-process against the receiver's key file; returns the printed secret. */
function keys(...args: string[]): string {
  const out: string[] = [];
  const err: string[] = [];
  const code = runKeysCli([...args, '--file', keyFile], { out: (l) => out.push(l), err: (l) => err.push(l) });
  assert.equal(code, 0, err.join('\n'));
  return out.join('\n').trim();
}

/** The key id of a secret, from the key file (which holds only its digest). */
function idOf(secret: string): string {
  const found = readKeyFile(keyFile).keys.find((k) => k.digest === digestOf(secret));
  assert.ok(found, 'the key is in the key file');
  return found.id;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A request with the path sent exactly as written (fetch would resolve `..` and re-encode). */
function raw(method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(rx.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: rawPath, method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${rawPath.slice(0, 80)}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const post = (signal: 'logs' | 'traces', body: object, headers: Record<string, string>) => raw('POST', `/v1/${signal}`, headers, JSON.stringify(body));

function segmentBody(sessionId: string, seq = 0): { body: object; windowId: string } {
  const { segment } = makeSegment({ sessionId, seq, start: Date.now() - 5000 });
  return { body: segmentsRequest([segment]), windowId: segment.meta.windowId };
}

let A_WRITE: string;
let A_READ: string;
let B_WRITE: string;
let B_READ: string;
let A_ADMIN: string;
let B_ADMIN: string;

before(async () => {
  sink = await new OtlpSink().start();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-security-'));
  keyFile = path.join(dataDir, 'keys.json');
  A_WRITE = keys('create', '--tenant', 'tenant-a', '--role', 'write', '--label', 'a web');
  // The hostile-id probes below send hundreds of queries at once: a per-key override lifts
  // tenant-a's query rate limit (0 = none) for them; tenant-b keeps the default.
  A_READ = keys('create', '--tenant', 'tenant-a', '--role', 'read', '--label', 'a grafana', '--requests-per-second', '0');
  A_ADMIN = keys('create', '--tenant', 'tenant-a', '--role', 'admin', '--label', 'a privacy', '--requests-per-second', '0');
  B_WRITE = keys('create', '--tenant', 'tenant-b', '--role', 'write');
  B_READ = keys('create', '--tenant', 'tenant-b', '--role', 'read');
  B_ADMIN = keys('create', '--tenant', 'tenant-b', '--role', 'admin');
  // Files a traversal would hit if ids ever reached a path.
  writeFileSync(path.join(dataDir, 'canary.txt'), CANARY);
  rx = await startReceiver({
    server: { corsAllowedOrigins: [ALLOWED_ORIGIN] },
    auth: { required: true, keyFilePollMs: 50 },
    forward: { logsUrl: `${sink.url}${LOGS_PATH}`, tracesUrl: `${sink.url}${TRACES_PATH}`, retry: { initialDelayMs: 20, maxDelayMs: 200 } },
  }, dataDir);
});

after(async () => {
  await rx?.stop();
  await sink?.stop();
});

/** The key file is polled every 50 ms here; a change is in force once a probe sees it. */
async function untilStatus(what: string, probe: () => Promise<number>, status: number): Promise<void> {
  await waitUntil(what, async () => (await probe()) === status, 3000, 25);
}

describe('tenancy end to end', () => {
  const SESSION = 'sess-tenant-a-0001';
  let windowId = '';

  before(async () => {
    // A client-sent X-Scope-OrgID naming the other tenant must change nothing.
    const seg = segmentBody(SESSION);
    windowId = seg.windowId;
    const spoof = { ...bearer(A_WRITE), 'x-scope-orgid': 'tenant-b' };
    assert.equal((await post('logs', seg.body, spoof)).status, 200);
    assert.equal((await post('logs', logsRequest([logRecord({ sessionId: SESSION, timeMs: Date.now() - 4000, body: 'clicked buy', eventName: 'browser.click' })]), spoof)).status, 200);
    assert.equal((await post('traces', tracesRequest([span({ sessionId: SESSION, n: 7001, startMs: Date.now() - 4000 })]), spoof)).status, 200);
    assert.equal((await post('logs', segmentBody('sess-tenant-b-0001').body, bearer(B_WRITE))).status, 200);
  });

  test('the tenant comes from the write key: object keys, index rows and forwarded X-Scope-OrgID, whatever the client sent', async () => {
    const objects = readdirSync(path.join(rx.dataDir, 'objects')).sort();
    assert.deepEqual(objects, ['tenant-a', 'tenant-b']);
    const aObjects = readdirSync(path.join(rx.dataDir, 'objects', 'tenant-a'), { recursive: true }).map(String).filter((f) => f.endsWith('.orp'));
    assert.ok(aObjects.length >= 1);
    assert.equal((await rx.receiver.services.index.getSession('tenant-a', SESSION))?.sessionId, SESSION);
    assert.equal(await rx.receiver.services.index.getSession('tenant-b', SESSION), null);
    await sink.waitFor((r) => r.some((q) => q.path === LOGS_PATH) && r.some((q) => q.path === TRACES_PATH), 10_000);
    const forwarded = sink.accepted().filter((r) => r.body?.toString('utf8').includes(SESSION));
    assert.ok(forwarded.length >= 2, 'the log record and the span were forwarded');
    for (const r of forwarded) assert.equal(r.headers['x-scope-orgid'], 'tenant-a', `${r.path} forwarded for the key's tenant`);
  });

  test("a read token sees only its tenant's sessions: 404 (not 403) for another tenant's session on every query route", async () => {
    const routes = [
      `/api/v1/sessions/${SESSION}`,
      `/api/v1/sessions/${SESSION}/events`,
      `/api/v1/sessions/${SESSION}/export.html`,
      `/api/v1/sessions/${SESSION}/segments/${windowId}/0`,
    ];
    for (const route of routes) {
      const own = await raw('GET', route, bearer(A_READ));
      assert.equal(own.status, 200, `${route} for its own tenant: ${own.text.slice(0, 200)}`);
      const other = await raw('GET', route, bearer(B_READ));
      assert.equal(other.status, 404, `${route} for another tenant`);
      assert.equal(other.text.includes('clicked'), false);
      // The same answer as for a session that exists nowhere: nothing tells them apart.
      const nowhere = await raw('GET', route.replace(SESSION, 'sess-tenant-a-none'), bearer(B_READ));
      assert.equal(nowhere.status, 404);
      assert.equal(other.text.replaceAll(SESSION, 'ID'), nowhere.text.replaceAll('sess-tenant-a-none', 'ID'), route);
    }
    const searchA = JSON.parse((await raw('GET', '/api/v1/sessions', bearer(A_READ))).text) as { sessions: { sessionId: string }[] };
    const searchB = JSON.parse((await raw('GET', '/api/v1/sessions', bearer(B_READ))).text) as { sessions: { sessionId: string }[] };
    assert.deepEqual(searchA.sessions.map((s) => s.sessionId), [SESSION]);
    assert.deepEqual(searchB.sessions.map((s) => s.sessionId), ['sess-tenant-b-0001']);
    const filtered = JSON.parse((await raw('GET', `/api/v1/sessions?q=${SESSION}`, bearer(B_READ))).text) as { sessions: unknown[]; total: number };
    assert.deepEqual([filtered.sessions, filtered.total], [[], 0]);
  });

  test("another tenant's token cannot delete a session (404 for its admin token, 403 for its read token; the session stays)", async () => {
    if (!rx.receiver.app.hasRoute({ method: 'DELETE', url: '/api/v1/sessions/:sessionId' })) {
      assert.fail('DELETE /api/v1/sessions/:sessionId is not registered; deletion must be covered here once it exists');
    }
    const del = await raw('DELETE', `/api/v1/sessions/${SESSION}`, bearer(B_ADMIN));
    assert.equal(del.status, 404);
    assert.equal((await raw('DELETE', `/api/v1/sessions/${SESSION}`, bearer(B_READ))).status, 403);
    if (rx.receiver.app.hasRoute({ method: 'DELETE', url: '/api/v1/users/:userId/sessions' })) {
      const users = await raw('DELETE', '/api/v1/users/anyone/sessions', bearer(B_ADMIN));
      assert.ok(users.status === 200 || users.status === 404, users.text);
    }
    assert.equal((await raw('GET', `/api/v1/sessions/${SESSION}`, bearer(A_READ))).status, 200);
  });

  test('a write key cannot read and a read token cannot write', async () => {
    assert.equal((await raw('GET', `/api/v1/sessions/${SESSION}`, bearer(A_WRITE))).status, 401);
    assert.equal((await post('logs', segmentBody('sess-x').body, bearer(A_READ))).status, 401);
  });
});

describe('keys', () => {
  const ingest = (secret: string | null, extra: Record<string, string> = {}) =>
    post('logs', segmentBody(`sess-key-${Math.random().toString(36).slice(2, 10)}`).body, { ...(secret ? bearer(secret) : {}), ...extra });
  const message = (a: Answer) => (JSON.parse(a.text) as { code: number; message: string }).message;

  test('missing and invalid keys: 401 with a clear message, for ingest and query', async () => {
    const missing = await ingest(null);
    assert.equal(missing.status, 401);
    assert.match(message(missing), /missing write key: send Authorization: Bearer <write key>/);
    const invalid = await ingest('orp_wk_this-is-not-a-key-0000000000000000000000');
    assert.equal(invalid.status, 401);
    assert.match(message(invalid), /unknown write key/);
    const malformed = await raw('POST', '/v1/logs', { 'content-type': 'application/json', authorization: 'Bearer' }, '{}');
    assert.equal(malformed.status, 401);
    const q = await raw('GET', '/api/v1/sessions', {});
    assert.equal(q.status, 401);
    assert.match(q.text, /missing read token/);
    const qBad = await raw('GET', '/api/v1/sessions', bearer('nope-nope-nope-nope-nope'));
    assert.equal(qBad.status, 401);
    assert.match(qBad.text, /unknown read token/);
  });

  test('a key created while running works within a poll interval; no restart', async () => {
    const fresh = keys('create', '--tenant', 'tenant-c', '--role', 'write');
    await untilStatus('the new key to be accepted', async () => (await ingest(fresh)).status, 200);
  });

  test('rotation without downtime: old and new keys both work until the old one is revoked', async () => {
    const old = keys('create', '--tenant', 'tenant-a', '--role', 'write', '--label', 'to rotate');
    const oldId = idOf(old);
    await untilStatus('the key to be accepted', async () => (await ingest(old)).status, 200);
    const replacement = keys('rotate', oldId);
    await untilStatus('the replacement to be accepted', async () => (await ingest(replacement)).status, 200);
    assert.equal((await ingest(old)).status, 200, 'the rotated-out key still works until revoked');
    keys('revoke', oldId);
    await untilStatus('the revoked key to be refused', async () => (await ingest(old)).status, 401);
    const refused = await ingest(old);
    assert.match(message(refused), new RegExp(`write key ${oldId} \\(to rotate\\) was revoked at .*use its replacement`));
    assert.equal((await ingest(replacement)).status, 200);
  });

  test('a revoked read token is refused on the query API', async () => {
    const token = keys('create', '--tenant', 'tenant-a', '--role', 'read');
    await untilStatus('the token to be accepted', async () => (await raw('GET', '/api/v1/sessions', bearer(token))).status, 200);
    keys('revoke', idOf(token));
    await untilStatus('the token to be refused', async () => (await raw('GET', '/api/v1/sessions', bearer(token))).status, 401);
    assert.match((await raw('GET', '/api/v1/sessions', bearer(token))).text, /read token k_[0-9a-f]+ was revoked at/);
  });

  test('an expired key is refused with the time it expired', async () => {
    const shortLived = keys('create', '--tenant', 'tenant-a', '--role', 'write', '--expires', '2s');
    await untilStatus('the key to be accepted', async () => (await ingest(shortLived)).status, 200);
    await untilStatus('the key to expire', async () => (await ingest(shortLived)).status, 401);
    assert.match(message(await ingest(shortLived)), /write key k_[0-9a-f]+ expired at 20\d\d-/);
  });

  test('a write key scoped to origins: 200 from a listed origin, 403 from another or with none', async () => {
    const scoped = keys('create', '--tenant', 'tenant-a', '--role', 'write', '--origin', ALLOWED_ORIGIN);
    await untilStatus('the key to be accepted', async () => (await ingest(scoped, { origin: ALLOWED_ORIGIN })).status, 200);
    const other = await ingest(scoped, { origin: 'https://evil.example.net' });
    assert.equal(other.status, 403);
    assert.match(message(other), /may not be used from origin https:\/\/evil.example.net; its scope allows https:\/\/app.example.com/);
    assert.equal((JSON.parse(other.text) as { code: number }).code, 7, 'google.rpc PERMISSION_DENIED');
    assert.equal((await ingest(scoped)).status, 403);
  });

  test('a broken key file is ignored while running: the keys in force stay in force', async () => {
    const before = readFileSync(keyFile, 'utf8');
    writeFileSync(keyFile, '{"version":1,"keys":[');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await ingest(A_WRITE)).status, 200);
    writeFileSync(keyFile, before);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, p = '/v1/logs') => raw('OPTIONS', p, { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' });

  test('an allowed origin gets its preflight answered', async () => {
    const ok = await preflight(ALLOWED_ORIGIN);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers['access-control-allow-origin'], ALLOWED_ORIGIN);
  });

  test('a disallowed origin: preflight refused and no CORS header on any answer', async () => {
    for (const p of ['/v1/logs', '/v1/traces', '/api/v1/sessions']) {
      const bad = await preflight('https://evil.example.net', p);
      assert.ok(bad.status >= 400, `${p} preflight answered ${bad.status}`);
      for (const h of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-allow-credentials']) assert.equal(bad.headers[h], undefined, `${p}: ${h}`);
    }
    const post = await raw('POST', '/v1/logs', { 'content-type': 'application/json', origin: 'https://evil.example.net', ...bearer(A_WRITE) }, JSON.stringify(segmentBody('sess-cors').body));
    assert.equal(post.headers['access-control-allow-origin'], undefined, 'a browser on that origin cannot read the answer');
    const get = await raw('GET', '/api/v1/sessions', { origin: 'https://evil.example.net', ...bearer(A_READ) });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
    // The wildcard null origin (sandboxed iframes, file://) is not allowed either.
    assert.equal((await preflight('null')).headers['access-control-allow-origin'], undefined);
  });
});

describe('hostile ids in every id-bearing route', () => {
  const SESSION = 'sess-tenant-a-0001';
  const HOSTILE = [
    '..', '.', '%2e%2e', '%2E%2E', '..%2f..%2fcanary.txt', '..%2F..%2F..%2Fetc%2Fpasswd', '%2F', 'a%2Fb', '..%5c..%5ccanary.txt',
    '%00', 'a%00b', '%252e%252e', '%ff%fe', '%c0%ae%c0%ae', 'x'.repeat(129), 'y'.repeat(600), '%20', 'tenant-b%2F..', '~root', '$(id)',
  ];

  test('400 or 404, never 5xx, nothing read from the store, nothing from outside it', async () => {
    const store = rx.receiver.services.store;
    const reads: string[] = [];
    const origGet = store.get.bind(store);
    const origRange = store.getRange.bind(store);
    store.get = async (key) => { reads.push(key); return origGet(key); };
    store.getRange = async (key, offset, length) => { reads.push(key); return origRange(key, offset, length); };
    try {
      const templates: [string, string][] = [
        ['GET', '/api/v1/sessions/{}'],
        ['GET', '/api/v1/sessions/{}/events'],
        ['GET', '/api/v1/sessions/{}/export.html'],
        ['GET', '/api/v1/sessions/{}/segments/w/0'],
        ['GET', `/api/v1/sessions/${SESSION}/segments/{}/0`],
        ['GET', `/api/v1/sessions/${SESSION}/segments/w/{}`],
        ['GET', `/api/v1/sessions/${SESSION}/events?window={}`],
        ['DELETE', '/api/v1/sessions/{}'],
      ];
      let checked = 0;
      for (const [method, template] of templates) {
        for (const id of HOSTILE) {
          const p = template.replace('{}', id);
          const res = await raw(method, p, bearer(method === 'DELETE' ? A_ADMIN : A_READ));
          assert.ok(res.status === 400 || res.status === 404, `${method} ${p.slice(0, 120)} answered ${res.status}: ${res.text.slice(0, 200)}`);
          assert.equal(res.text.includes(CANARY), false, `${p} leaked a file`);
          assert.equal(res.text.includes('root:'), false);
          checked++;
        }
      }
      assert.equal(checked, templates.length * HOSTILE.length);
      assert.deepEqual(reads, [], 'no hostile id reached the object store');
      // Still serving, and the real session is intact.
      assert.equal((await raw('GET', `/api/v1/sessions/${SESSION}`, bearer(A_READ))).status, 200);
    } finally {
      store.get = origGet;
      store.getRange = origRange;
    }
  });

  test('hostile user ids in DELETE /users/:userId/sessions delete nothing of anyone', async () => {
    for (const id of HOSTILE) {
      const res = await raw('DELETE', `/api/v1/users/${id}/sessions`, bearer(A_ADMIN));
      assert.ok([200, 400, 404].includes(res.status), `${id.slice(0, 40)}: ${res.status} ${res.text.slice(0, 200)}`);
      if (res.status === 200) assert.equal((JSON.parse(res.text) as { deleted: number }).deleted, 0);
    }
    assert.equal((await raw('GET', `/api/v1/sessions/${SESSION}`, bearer(A_READ))).status, 200);
    assert.equal((await raw('GET', '/api/v1/sessions/sess-tenant-b-0001', bearer(B_READ))).status, 200);
  });

  test('hostile session ids on ingest are refused per record and never become paths', async () => {
    const { segment } = makeSegment({ sessionId: 'sess-ok-ingest', seq: 0, start: Date.now() - 1000 });
    const bad = segmentRecord(segment);
    bad.attributes = bad.attributes.map((a) => (a.key === 'session.id' ? { key: 'session.id', value: { stringValue: '../../canary' } } : a));
    const res = await post('logs', logsRequest([bad]), bearer(A_WRITE));
    assert.equal(res.status, 200);
    assert.match(res.text, /rejected/i);
    assert.deepEqual(readdirSync(path.join(rx.dataDir, 'objects')).sort(), ['tenant-a', 'tenant-b', 'tenant-c']);
  });
});

describe('per-key rate limits', () => {
  test('429 with Retry-After from the bucket, counted in /metrics, then it recovers; other keys are unaffected', async () => {
    const limited = keys('create', '--tenant', 'tenant-a', '--role', 'write', '--requests-per-second', '1', '--label', 'limited');
    const limitedId = idOf(limited);
    const send = () => post('logs', segmentBody(`sess-rl-${Math.random().toString(36).slice(2, 10)}`).body, bearer(limited));
    await waitUntil('the limited key to be known', async () => (await send()).status !== 401, 3000, 1100);
    // The key is known now and has spent its one token (or is about to get it back): drain, then probe.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await send()).status, 200, 'the burst passes');
    const refused = await send();
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    const status = JSON.parse(refused.text) as { code: number; message: string };
    assert.equal(status.code, 8, 'google.rpc RESOURCE_EXHAUSTED');
    assert.match(status.message, new RegExp(`write key ${limitedId} is over its requests per second limit; retry after 1 s`));
    assert.equal((await post('logs', segmentBody('sess-rl-other').body, bearer(A_WRITE))).status, 200, 'another key of the same tenant is not slowed');
    const metrics = await raw('GET', '/metrics');
    assert.match(metrics.text, /otel_replay_rate_limited_total\{tenant="tenant-a",limit="requests"\} [1-9]/);
    await new Promise((r) => setTimeout(r, 1000 * Number(refused.headers['retry-after'])));
    assert.equal((await send()).status, 200, 'recovers after Retry-After');
  });

  test('bytes per second: Retry-After is the time the missing bytes take to refill', async () => {
    const rate = 1000;
    const limited = keys('create', '--tenant', 'tenant-a', '--role', 'write', '--bytes-per-second', String(rate));
    const body = JSON.stringify(segmentBody('sess-rl-bytes').body);
    const size = Buffer.byteLength(body);
    assert.ok(size > rate, `body of ${size} bytes is larger than a second's worth`);
    await untilStatus('the key to be accepted', async () => (await raw('POST', '/v1/logs', { 'content-type': 'application/json', ...bearer(limited) }, body)).status, 200);
    const refused = await raw('POST', '/v1/logs', { 'content-type': 'application/json', ...bearer(limited) }, body);
    assert.equal(refused.status, 429);
    // Full bucket (one second's worth) let the first through into debt; the next needs the whole debt plus a second's worth back.
    const expected = Math.ceil(size / rate);
    const got = Number(refused.headers['retry-after']);
    assert.ok(got >= expected - 1 && got <= expected, `Retry-After ${got}, expected about ${expected}`);
    assert.match(refused.text, /over its bytes per second limit/);
  });

  test('with auth off, keyless requests share one bucket per tenant', async () => {
    const open = await startReceiver({ rateLimit: { requestsPerSecond: 1, burstRequests: 2 } });
    try {
      const send = () => fetch(`${open.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-scope-orgid': `t${Math.random()}` }, body: JSON.stringify(segmentBody(`sess-open-${Math.random().toString(36).slice(2, 8)}`).body) });
      assert.equal((await send()).status, 200);
      assert.equal((await send()).status, 200);
      const third = await send();
      assert.equal(third.status, 429, 'X-Scope-OrgID does not buy a fresh bucket');
      assert.equal(third.headers.get('retry-after'), '1');
    } finally {
      await open.stop();
    }
  });
});
