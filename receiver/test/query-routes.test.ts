// The query API over HTTP with real parts: a SQLite index in a temp file and a filesystem
// store filled through the group committer, the way ingest fills them.

import assert from 'node:assert/strict';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { SqliteIndex } from '../src/index/sqlite-index.ts';
import type { SessionActivity } from '../src/index/session-index.ts';
import { IndexUnavailableError } from '../src/index/session-index.ts';
import { queryRoutes } from '../src/query/routes.ts';
import { FilesystemStore } from '../src/storage/fs-store.ts';
import { GroupCommitter } from '../src/storage/group-commit.ts';
import type { ObjectStore } from '../src/storage/object-store.ts';
import { StoreUnavailableError } from '../src/storage/object-store.ts';
import { makeSegment } from './helpers/recording.ts';
import type { RrwebEvent } from './helpers/recording.ts';

const NOW = Date.UTC(2024, 4, 10, 12, 0, 0);
const BASE = NOW - 60 * 60 * 1000; // sessions started an hour ago
const TOKENS: Record<string, string> = { 'tok-acme': 'acme', 'tok-other': 'other' };
const AUTH = { authorization: 'Bearer tok-acme' };

let dir: string;
let index: SqliteIndex;
let store: FilesystemStore;
let app: FastifyInstance;
/** Events and bodies as the SDK sent them, by `${session}/${window}/${seq}`. */
const sent = new Map<string, { events: RrwebEvent[]; body: Uint8Array; json: string }>();
/** Session ids used below. */
const S1 = 'sess-main';
const S_DAMAGED = 'sess-damaged';
const S_LONG = 'sess-long';

function tenantOf(request: FastifyRequest): string {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const tenant = token ? TOKENS[token] : undefined;
  if (!tenant) throw Object.assign(new Error('missing or unknown read token'), { statusCode: 401 });
  return tenant;
}

/** The app the receiver builds, reduced to what the query API needs: its prefix and error mapping. */
async function buildApp(objects: ObjectStore, readAhead?: number): Promise<FastifyInstance> {
  const a = Fastify({ logger: false, routerOptions: { maxParamLength: 512 } });
  a.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof StoreUnavailableError || error instanceof IndexUnavailableError) return reply.code(503).header('retry-after', '5').send({ error: error.message });
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    return reply.code(status).send({ error: error.message });
  });
  await a.register(queryRoutes, { prefix: '/api/v1', index, store: objects, tenantOf, now: () => NOW, ...(readAhead ? { readAhead } : {}) });
  await a.ready();
  return a;
}

function activity(tenant: string, sessionId: string, over: Partial<SessionActivity>): SessionActivity {
  return {
    tenant, sessionId, firstSeen: BASE, lastSeen: BASE + 1000, service: 'shop', userId: null, entryUrl: null, urls: [], browser: null, os: null, device: null, userAgent: null,
    pageViews: 0, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0, segments: 0, replayBytes: 0, ...over,
  };
}

async function storeSegments(committer: GroupCommitter, tenant: string, specs: Parameters<typeof makeSegment>[0][]): Promise<void> {
  const made = specs.map((s) => makeSegment(s));
  for (const m of made) sent.set(`${m.segment.meta.sessionId}/${m.segment.meta.windowId}/${m.segment.meta.seq}`, { events: m.events, body: m.segment.body, json: m.json });
  const result = await committer.submit(tenant, made.map((m) => m.segment));
  assert.equal(result.stored.length, made.length);
}

/** Segment seq's start in the main session: 10 s apart. */
const at = (seq: number) => BASE + seq * 10_000;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'query-routes-'));
  index = new SqliteIndex({ path: path.join(dir, 'index.db') });
  await index.migrate();
  store = new FilesystemStore(path.join(dir, 'objects'));
  const committer = new GroupCommitter({ store, index, instanceId: 'test-1', maxDelayMs: 5, maxBytes: 1 << 20, now: () => NOW });

  // Main session: window w1 with full snapshots at 0, 2, 6, seq 4 never arrived, seq 3 sent as plain JSON;
  // window w2 opened after w1 ended.
  const w1 = [0, 1, 2, 3, 5, 6, 7].map((seq) => ({ sessionId: S1, windowId: 'w1', seq, start: at(seq), full: [0, 2, 6].includes(seq), encoding: seq === 3 ? ('json' as const) : ('gzip-json' as const), label: `w1-${seq}` }));
  const w2 = [0, 1].map((seq) => ({ sessionId: S1, windowId: 'w2', seq, start: at(20 + seq), full: seq === 0, label: `w2-${seq}` }));
  await storeSegments(committer, 'acme', [...w1.slice(0, 4)]);
  await storeSegments(committer, 'acme', [...w1.slice(4), ...w2]);
  await storeSegments(committer, 'acme', [0, 1, 2].map((seq) => ({ sessionId: S_DAMAGED, windowId: 'w', seq, start: at(seq), full: seq === 0 })));
  await storeSegments(committer, 'acme', Array.from({ length: 100 }, (_, seq) => ({ sessionId: S_LONG, windowId: 'w', seq, start: at(seq), full: seq % 10 === 0 })));
  await committer.close();

  // The index counted the stored segments (and widened first seen to at(0)) itself; the
  // events of each session start a little earlier so that first seen orders them.
  await index.applyActivity([
    activity('acme', S1, { firstSeen: at(0) - 2, lastSeen: at(21) + 900, userId: 'alice', entryUrl: 'http://127.0.0.1/shop', urls: ['http://127.0.0.1/shop', 'http://127.0.0.1/checkout'], browser: 'Firefox', errors: 2, pageViews: 3, clicks: 10 }),
    activity('acme', S_DAMAGED, { firstSeen: at(0) - 1, lastSeen: at(2) + 900, userId: 'bob', browser: 'Chrome', pageViews: 1, clicks: 5 }),
    activity('acme', S_LONG, { firstSeen: at(0), lastSeen: at(99) + 900, service: 'admin', browser: 'Chrome', rageClicks: 1, pageViews: 9, clicks: 1 }),
    activity('acme', 'sess-old', { firstSeen: NOW - 3 * 86_400_000, lastSeen: NOW - 3 * 86_400_000 + 5000 }),
    activity('other', 'sess-theirs', { firstSeen: at(0), lastSeen: at(1) }),
  ]);

  // Corrupt the middle of seq 1's member in the damaged session.
  const row = (await index.listSegments('acme', S_DAMAGED, 'w')).find((r) => r.seq === 1)!;
  const fd = openSync(path.join(store.root, ...row.objectKey.split('/')), 'r+');
  writeSync(fd, Buffer.alloc(8, 0xff), 0, 8, row.offset + 12);
  closeSync(fd);

  app = await buildApp(store);
});

after(async () => {
  await app?.close();
  await index?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function get(url: string, headers: Record<string, string> = AUTH) {
  return app.inject({ method: 'GET', url, headers });
}

function lines(body: string): Record<string, unknown>[] {
  assert.ok(body.endsWith('\n'), 'NDJSON ends with a newline');
  return body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function describeLines(ls: Record<string, unknown>[]): string[] {
  return ls.map((l) => (l.type === 'segment' || l.type === 'damaged' ? `${l.type} ${l.seq}` : l.type === 'gap' ? `gap ${l.fromSeq}-${l.toSeq}` : String(l.type)));
}

test('search: default range, sort, pagination and filters', async () => {
  const all = (await get('/api/v1/sessions')).json();
  assert.deepEqual(all.sessions.map((s: { sessionId: string }) => s.sessionId).sort(), [S1, S_DAMAGED, S_LONG].sort(), 'last 24 h of this tenant only');
  assert.equal(all.total, 3);
  assert.equal(all.limit, 50);
  assert.equal(all.offset, 0);

  const page = (await get('/api/v1/sessions?sort=firstSeen&order=asc&limit=2&offset=1')).json();
  assert.deepEqual(page.sessions.map((s: { sessionId: string }) => s.sessionId), [S_DAMAGED, S_LONG]);
  assert.equal(page.total, 3);
  assert.deepEqual([page.limit, page.offset], [2, 1]);

  const byClicks = (await get('/api/v1/sessions?sort=clicks&order=desc')).json();
  assert.deepEqual(byClicks.sessions.map((s: { sessionId: string }) => s.sessionId), [S1, S_DAMAGED, S_LONG]);

  const ids = async (qs: string) => ((await get(`/api/v1/sessions?${qs}`)).json().sessions as { sessionId: string }[]).map((s) => s.sessionId).sort();
  assert.deepEqual(await ids('hasErrors=true'), [S1]);
  assert.deepEqual(await ids('rageClicks=true'), [S_LONG]);
  assert.deepEqual(await ids('service=admin'), [S_LONG]);
  assert.deepEqual(await ids('user=bob'), [S_DAMAGED]);
  assert.deepEqual(await ids('url=checkout'), [S1]);
  assert.deepEqual(await ids('browser=chrome'), [S_DAMAGED, S_LONG]);
  assert.deepEqual(await ids('q=ALICE'), [S1]);
  assert.deepEqual(await ids('minDurationMs=600000'), [S_LONG]);
  assert.deepEqual(await ids(`from=${new Date(NOW - 4 * 86_400_000).toISOString()}&to=${NOW - 2 * 86_400_000}`), ['sess-old']);
  const first = (await get('/api/v1/sessions?q=alice')).json().sessions[0];
  assert.equal(first.userId, 'alice');
  assert.equal(first.hasReplay, true);
  assert.equal(first.segments, 9, 'every stored segment of the session, counted once');
});

test('search: bad parameters are 400 with a message naming the parameter', async () => {
  const cases: [string, RegExp][] = [
    ['limit=1000', /limit .*1\.\.500/],
    ['limit=0', /limit/],
    ['sort=random', /sort .*firstSeen, lastSeen/],
    ['order=sideways', /order/],
    ['from=yesterday', /from .*ISO 8601/],
    ['from=2000&to=1000', /from .*after to/],
    ['hasErrors=maybe', /hasErrors must be true or false/],
    ['service=a&service=b', /service/],
    [`q=${'x'.repeat(300)}`, /q /],
  ];
  for (const [qs, pattern] of cases) {
    const res = await get(`/api/v1/sessions?${qs}`);
    assert.equal(res.statusCode, 400, qs);
    assert.match(res.json().error, pattern, qs);
  }
});

test('no or a wrong read token is 401, before any parameter is looked at', async () => {
  for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
    assert.equal((await get('/api/v1/sessions', headers)).statusCode, 401);
    assert.equal((await get('/api/v1/sessions?limit=99999', headers)).statusCode, 401);
    assert.equal((await get(`/api/v1/sessions/${S1}/events`, headers)).statusCode, 401);
    assert.equal((await get('/api/v1/sessions/..%2F..%2Fetc', headers)).statusCode, 401);
  }
});

test('one session: summary, windows, gaps, snapshots and the segment timeline', async () => {
  const res = await get(`/api/v1/sessions/${S1}`);
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.sessionId, S1);
  assert.equal(body.userId, 'alice');
  assert.deepEqual(body.windows.map((w: { windowId: string }) => w.windowId), ['w1', 'w2']);
  const [w1, w2] = body.windows;
  assert.deepEqual(w1.gaps, [{ fromSeq: 4, toSeq: 4 }]);
  assert.deepEqual(w1.fullSnapshots, [at(0), at(2), at(6)]);
  assert.equal(w1.segmentCount, 7);
  assert.equal(w1.eventCount, 70);
  assert.equal(w1.firstTimestamp, at(0));
  assert.equal(w1.lastTimestamp, at(7) + 900);
  assert.deepEqual(w1.segments.map((s: { seq: number }) => s.seq), [0, 1, 2, 3, 5, 6, 7]);
  assert.deepEqual(Object.keys(w1.segments[0]).sort(), ['eventCount', 'firstTimestamp', 'hasFullSnapshot', 'lastTimestamp', 'length', 'seq']);
  const rows = await index.listSegments('acme', S1, 'w1');
  assert.equal(w1.bytes, rows.reduce((n: number, r: SegmentIndexRow) => n + r.length, 0));
  assert.deepEqual(w2.gaps, []);
  assert.equal(w2.segmentCount, 2);
});

test('tenant isolation: another tenant sees 404 everywhere', async () => {
  const other = { authorization: 'Bearer tok-other' };
  for (const url of [`/api/v1/sessions/${S1}`, `/api/v1/sessions/${S1}/segments/w1/0`, `/api/v1/sessions/${S1}/events`, `/api/v1/sessions/${S1}/export.html`]) {
    const res = await get(url, other);
    assert.equal(res.statusCode, 404, url);
    assert.match(res.json().error, /not found|not stored/, url);
  }
  const theirs = (await get('/api/v1/sessions', other)).json();
  assert.deepEqual(theirs.sessions.map((s: { sessionId: string }) => s.sessionId), ['sess-theirs']);
  assert.equal((await get('/api/v1/sessions/sess-theirs')).statusCode, 404);
  assert.equal((await get('/api/v1/sessions/never-seen')).statusCode, 404);
});

test('segment download: the stored bytes exactly as the SDK sent them, with an ETag', async () => {
  const res = await get(`/api/v1/sessions/${S1}/segments/w1/2`);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.headers['content-encoding'], 'gzip');
  assert.ok(Buffer.from(sent.get(`${S1}/w1/2`)!.body).equals(res.rawPayload), 'byte-identical to the body sent');
  const etag = res.headers.etag as string;
  assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
  const again = await app.inject({ method: 'GET', url: `/api/v1/sessions/${S1}/segments/w1/2`, headers: { ...AUTH, 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.rawPayload.length, 0);
  const other = await get(`/api/v1/sessions/${S1}/segments/w1/5`);
  assert.notEqual(other.headers.etag, etag);

  // A segment sent as plain JSON is stored gzipped; it decompresses to exactly what was sent.
  const json = await get(`/api/v1/sessions/${S1}/segments/w1/3`);
  assert.equal(gunzipSync(json.rawPayload).toString('utf8'), sent.get(`${S1}/w1/3`)!.json);

  assert.equal((await get(`/api/v1/sessions/${S1}/segments/w1/4`)).statusCode, 404);
  assert.equal((await get(`/api/v1/sessions/${S1}/segments/w9/0`)).statusCode, 404);
});

test('hostile ids and seqs are 400 and never reach the store', async () => {
  const reads: string[] = [];
  const spy: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
    getRange: async (key: string, offset: number, length: number) => {
      reads.push(key);
      return store.getRange(key, offset, length);
    },
  });
  const a = await buildApp(spy);
  try {
    const urls = [
      '/api/v1/sessions/..%2F..%2Fetc%2Fpasswd',
      `/api/v1/sessions/${'a'.repeat(300)}/events`,
      '/api/v1/sessions/a%00b/events',
      '/api/v1/sessions/..%2Fx/export.html',
      `/api/v1/sessions/${S1}/segments/..%2F..%2Fetc/0`,
      `/api/v1/sessions/${S1}/segments/w1%00/0`,
      `/api/v1/sessions/${S1}/segments/w1/-1`,
      `/api/v1/sessions/${S1}/segments/w1/abc`,
      `/api/v1/sessions/${S1}/segments/w1/99999999999`,
      `/api/v1/sessions/${S1}/events?window=..%2Fw1`,
      `/api/v1/sessions/${S1}/events?window=${'w'.repeat(2000)}`,
      `/api/v1/sessions/${S1}/events?at=tomorrow`,
    ];
    for (const url of urls) {
      const res = await a.inject({ method: 'GET', url, headers: AUTH });
      assert.equal(res.statusCode, 400, `${url.slice(0, 80)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.match(res.json().error, /session id|window id|window|seq|at/, url.slice(0, 80));
    }
    // Past the router's maxParamLength fastify itself answers 414 URI Too Long, before any plugin runs.
    const huge = await a.inject({ method: 'GET', url: `/api/v1/sessions/${'a'.repeat(10_000)}/events`, headers: AUTH });
    assert.equal(huge.statusCode, 414);
    // A raw client can send dot segments that URL parsers would normalize away.
    await a.listen({ host: '127.0.0.1', port: 0 });
    const { port } = a.server.address() as AddressInfo;
    for (const raw of ['/api/v1/sessions/../../etc/passwd', `/api/v1/sessions/${S1}/segments/../../0`]) {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: raw, headers: AUTH }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        }).on('error', reject);
      });
      assert.equal(status, 400, `${raw} → ${status} ${body}`);
      assert.match(JSON.parse(body).error, /'\.\.'/);
    }
    assert.deepEqual(reads, []);
    const unknown = await a.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: AUTH });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error, /no query API endpoint/);
  } finally {
    await a.close();
  }
});

test('events from a late moment start at the last full snapshot before it, in seq order, with the gap', async () => {
  const res = await get(`/api/v1/sessions/${S1}/events?at=${at(3) + 500}`);
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/x-ndjson/);
  const ls = lines(res.body);
  assert.deepEqual(ls[0], { type: 'start', sessionId: S1, windowId: 'w1', at: at(3) + 500, fromSeq: 2, fromTimestamp: at(2) });
  assert.deepEqual(describeLines(ls), ['start', 'segment 2', 'segment 3', 'gap 4-4', 'segment 5', 'segment 6', 'segment 7', 'end']);
  for (const l of ls.filter((x) => x.type === 'segment')) {
    assert.deepEqual(l.events, sent.get(`${S1}/w1/${l.seq}`)!.events, `events of seq ${l.seq}`);
    assert.equal(l.firstTimestamp, at(l.seq as number));
  }
  assert.deepEqual(ls.at(-1), { type: 'end', segments: 5 });

  const late = lines((await get(`/api/v1/sessions/${S1}/events?at=${at(7) + 100}&window=w1`)).body);
  assert.deepEqual(describeLines(late), ['start', 'segment 6', 'segment 7', 'end']);

  const until = lines((await get(`/api/v1/sessions/${S1}/events?at=${new Date(at(0)).toISOString()}&until=${at(1) + 1}`)).body);
  assert.deepEqual(describeLines(until), ['start', 'segment 0', 'segment 1', 'end']);
});

test('events: the window defaults to the one playing at that moment, else the first', async () => {
  const inW2 = lines((await get(`/api/v1/sessions/${S1}/events?at=${at(21) + 200}`)).body);
  assert.equal(inW2[0]!.windowId, 'w2');
  assert.deepEqual(describeLines(inW2), ['start', 'segment 0', 'segment 1', 'end']);
  const between = lines((await get(`/api/v1/sessions/${S1}/events?at=${at(15)}`)).body);
  assert.equal(between[0]!.windowId, 'w1');
  const noAt = lines((await get(`/api/v1/sessions/${S1}/events`)).body);
  assert.deepEqual(noAt[0], { type: 'start', sessionId: S1, windowId: 'w1', at: at(0), fromSeq: 0, fromTimestamp: at(0) });
  const missing = await get(`/api/v1/sessions/${S1}/events?window=w9`);
  assert.equal(missing.statusCode, 404);
  assert.match(missing.json().error, /window w9 not found .* w1, w2/);
});

test('a corrupted stored range becomes a damaged line, and playback goes on', async () => {
  const ls = lines((await get(`/api/v1/sessions/${S_DAMAGED}/events`)).body);
  assert.deepEqual(describeLines(ls), ['start', 'segment 0', 'damaged 1', 'segment 2', 'end']);
  assert.match(String(ls[2]!.reason), /^segment 1 of window w: /);
});

test('an unreachable store is a 503 before streaming and an error line during it', async () => {
  const down: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
    getRange: async () => {
      throw new StoreUnavailableError('filesystem store: EIO');
    },
  });
  const a = await buildApp(down);
  try {
    const res = await a.inject({ method: 'GET', url: `/api/v1/sessions/${S1}/events`, headers: AUTH });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal((await a.inject({ method: 'GET', url: `/api/v1/sessions/${S1}/export.html`, headers: AUTH })).statusCode, 503);
  } finally {
    await a.close();
  }

  const rows = await index.listSegments('acme', S1, 'w1');
  const failAt = rows.find((r) => r.seq === 3)!;
  const flaky: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
    getRange: async (key: string, offset: number, length: number) => {
      // Neighbouring segments are read together: fail any read that covers segment 3.
      if (key === failAt.objectKey && offset <= failAt.offset && failAt.offset < offset + length) throw new StoreUnavailableError('filesystem store: EIO');
      return store.getRange(key, offset, length);
    },
  });
  const b = await buildApp(flaky);
  try {
    const ls = lines((await b.inject({ method: 'GET', url: `/api/v1/sessions/${S1}/events?window=w1`, headers: AUTH })).body);
    const described = describeLines(ls);
    // The segments before the failed read, in order, then the error line (no end line).
    const sent = described.slice(1, -1);
    assert.deepEqual(sent, sent.map((_, i) => `segment ${i}`));
    assert.ok(sent.length >= 1 && sent.length < 3, `sent ${sent.join(', ')}`);
    assert.deepEqual([described[0], described.at(-1)], ['start', 'error']);
    assert.equal(ls.at(-1)!.retryable, true);
    assert.match(String(ls.at(-1)!.reason), /retry later/);
  } finally {
    await b.close();
  }
});

test('streaming reads only from the start segment on, a few ahead, and stops when the client leaves', async () => {
  const rows = await index.listSegments('acme', S_LONG, 'w');
  const seqOf = new Map(rows.map((r) => [`${r.objectKey}@${r.offset}`, r.seq]));
  const readSeqs: number[] = [];
  const slow: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
    getRange: async (key: string, offset: number, length: number) => {
      readSeqs.push(seqOf.get(`${key}@${offset}`)!);
      await sleep(15);
      return store.getRange(key, offset, length);
    },
  });
  const a = await buildApp(slow, 4);
  await a.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = a.server.address() as AddressInfo;
    const firstChunk = await new Promise<{ text: string; readsAtFirstByte: number; req: http.ClientRequest }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/api/v1/sessions/${S_LONG}/events?at=${at(50) + 300}`, headers: AUTH }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', (chunk: Buffer) => resolve({ text: chunk.toString('utf8'), readsAtFirstByte: readSeqs.length, req }));
        res.on('error', () => undefined);
      });
      req.on('error', (err) => (readSeqs.length > 0 ? undefined : reject(err)));
    });
    assert.match(firstChunk.text, /^\{"type":"start","sessionId":"sess-long","windowId":"w","at":\d+,"fromSeq":50,/);
    // A bounded read-ahead, not the session, was read before the first byte arrived.
    assert.ok(firstChunk.readsAtFirstByte <= 12, `reads before first byte: ${firstChunk.readsAtFirstByte}`);
    firstChunk.req.destroy();
    await sleep(150);
    const afterLeave = readSeqs.length;
    await sleep(300);
    assert.equal(readSeqs.length, afterLeave, 'no reads after the client left');
    assert.ok(afterLeave < 50, `read ${afterLeave} of 50 segments before stopping`);
    assert.ok(readSeqs.every((s) => s >= 50), `read before the start segment: ${readSeqs.filter((s) => s < 50).join(',')}`);
  } finally {
    await a.close();
  }
});

test('HTML export: every window\'s events, the player, gaps, no external URLs', async () => {
  const res = await get(`/api/v1/sessions/${S1}/export.html`);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(res.headers['content-disposition'], `attachment; filename="session-${S1}.html"`);
  assert.match(res.headers['content-security-policy'] as string, /default-src 'none'/);
  const html = res.body;
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;unsafe-inline&#39;; style-src &#39;unsafe-inline&#39;; img-src data: blob:/);
  assert.match(html, /<title>Session sess-main — otel-replay<\/title>/);
  assert.ok(html.includes('alice'));
  assert.ok(html.includes(new Date(at(0)).toISOString()));
  assert.ok(html.includes('rrwebPlayer'), 'player inlined');
  assert.ok(html.includes('<select id="orp-window-picker">'), 'two windows, one picker');
  assert.ok(html.includes('Tab 1 (w1): segment 4 never arrived'));

  const data = (id: string) => JSON.parse(new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html)![1]!) as RrwebEvent[];
  assert.deepEqual(data('orp-events-0'), [0, 1, 2, 3, 5, 6, 7].flatMap((seq) => sent.get(`${S1}/w1/${seq}`)!.events));
  assert.deepEqual(data('orp-events-1'), [0, 1].flatMap((seq) => sent.get(`${S1}/w2/${seq}`)!.events));

  // Script and link tags: none loads anything.
  const tags = [...html.matchAll(/<(script|link)\b[^>]*>/gi)].map((m) => m[0]);
  assert.ok(tags.length >= 4);
  for (const tag of tags) assert.ok(!/\b(src|href)\s*=/i.test(tag), `tag loads something: ${tag}`);
  assert.ok(!/<link\b/i.test(html));

  const damaged = (await get(`/api/v1/sessions/${S_DAMAGED}/export.html`)).body;
  assert.match(damaged, /Damaged segments[\s\S]*Tab 1 \(w\): segment 1 of window w: /);
  assert.ok(!damaged.includes('<select'), 'one window, no picker');
});
