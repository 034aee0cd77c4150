import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { defaultConfig } from '../config.ts';
import { LOGS_PATH, OtlpSink, TRACES_PATH } from '../../test/peers/otlp-sink.ts';
import type { SinkRequest } from '../../test/peers/otlp-sink.ts';
import { createForwarder } from './create-forwarder.ts';
import { HttpForwarder } from './http-forwarder.ts';
import type { ForwardConfig, ForwardLog } from './http-forwarder.ts';
import { QueueFullError } from './forwarder.ts';
import type { Forwarder, ForwardPayload, Signal } from './forwarder.ts';
import { SERVER_ERROR_ATTEMPTS } from './retry-policy.ts';

let root = '';
let sink: OtlpSink;
const open: Forwarder[] = [];
let dirCounter = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'http-forwarder-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
  await sink?.stop();
});

async function newSink(): Promise<OtlpSink> {
  sink = await new OtlpSink().start();
  return sink;
}

function config(overrides: Partial<ForwardConfig> = {}, dir?: string): ForwardConfig {
  const c = defaultConfig().forward;
  return {
    ...c,
    logsUrl: sink.logsUrl,
    tracesUrl: sink.tracesUrl,
    timeoutMs: 2000,
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
    ...overrides,
    queue: { dir: dir ?? path.join(root, `q${++dirCounter}`), maxBytes: 4 * 1024 * 1024, ...overrides.queue },
  };
}

function recordingLog(): ForwardLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

async function forwarder(c: ForwardConfig, log?: ForwardLog): Promise<HttpForwarder> {
  const f = await HttpForwarder.open(c, log);
  open.push(f);
  return f;
}

async function closeForwarder(f: Forwarder): Promise<void> {
  open.splice(open.indexOf(f), 1);
  await f.close();
}

function payload(id: number, signal: Signal = 'logs', tenant = 'acme'): ForwardPayload {
  const contentType = signal === 'logs' ? 'application/json' : 'application/x-protobuf';
  return { signal, tenant, contentType, body: Buffer.from(`${signal}-${id}|${'x'.repeat(id % 50)}`) };
}

function bodyText(r: SinkRequest): string {
  assert.ok(r.body, `request to ${r.path} has a body that is not valid gzip`);
  return r.body.toString('utf8');
}

function ids(requests: SinkRequest[]): string[] {
  return requests.map((r) => bodyText(r).split('|')[0]!);
}

describe('HttpForwarder', () => {
  it('sends exact content types, gzip, X-Scope-OrgID and configured headers, bytes unchanged', async () => {
    await newSink();
    const f = await forwarder(config({ headers: { 'X-Extra': 'one', Authorization: 'Basic dXNlcjpwYXNz' } }));
    assert.equal(f.enabled('logs'), true);
    assert.equal(f.enabled('traces'), true);
    const logs = { signal: 'logs', tenant: 'team-a', contentType: 'application/json', body: Buffer.from('{"resourceLogs":[]}') } as const;
    const traces = { signal: 'traces', tenant: 'team-b', contentType: 'application/x-protobuf', body: Buffer.from([0x0a, 0x00, 0xff, 0x00]) } as const;
    await f.enqueue(logs);
    await f.enqueue(traces);
    assert.equal(await f.drain(5000), true);

    const [l] = sink.accepted(LOGS_PATH);
    const [t] = sink.accepted(TRACES_PATH);
    assert.equal(l!.status, 204);
    assert.equal(t!.status, 200);
    assert.equal(l!.headers['content-type'], 'application/json');
    assert.equal(t!.headers['content-type'], 'application/x-protobuf');
    for (const r of [l!, t!]) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.headers['x-extra'], 'one');
      assert.equal(r.headers.authorization, 'Basic dXNlcjpwYXNz');
      assert.notDeepEqual(r.raw, r.body, 'the wire bytes are gzip');
    }
    assert.equal(l!.headers['x-scope-orgid'], 'team-a');
    assert.equal(t!.headers['x-scope-orgid'], 'team-b');
    assert.deepEqual(l!.body, logs.body);
    assert.deepEqual(t!.body, traces.body);
    assert.deepEqual(f.stats(), { queuedPayloads: 0, queuedBytes: 0, delivered: 2, failedAttempts: 0, dropped: 0 });
  });

  it('sends the body as is without gzip, and no tenant header when tenantHeader is off', async () => {
    await newSink();
    const f = await forwarder(config({ gzip: false, tenantHeader: false, headers: { 'X-Scope-OrgID': 'static-org' } }));
    const p = payload(1, 'traces');
    await f.enqueue(p);
    assert.equal(await f.drain(5000), true);
    const [t] = sink.accepted(TRACES_PATH);
    assert.equal(t!.headers['content-encoding'], undefined);
    assert.equal(t!.headers['x-scope-orgid'], 'static-org');
    assert.deepEqual(t!.raw, p.body);
  });

  it('passes an already-gzipped-looking body through untouched (gzip on the wire only once)', async () => {
    await newSink();
    const f = await forwarder(config());
    const inner = gzipSync(Buffer.from('payload that happens to be gzip'));
    await f.enqueue({ signal: 'logs', tenant: 'acme', contentType: 'application/x-protobuf', body: inner });
    assert.equal(await f.drain(5000), true);
    assert.deepEqual(sink.accepted(LOGS_PATH)[0]!.body, inner);
  });

  it('queues while the upstream is down and delivers everything once, in order, when it is back', async () => {
    await newSink();
    await sink.stop();
    const log = recordingLog();
    const f = await forwarder(config(), log);
    for (let i = 0; i < 30; i++) await f.enqueue(payload(i, i % 3 === 0 ? 'traces' : 'logs'));
    await waitUntil(() => f.stats().failedAttempts >= 4, 5000);
    assert.equal(f.stats().queuedPayloads, 30);
    assert.ok(log.lines.some((l) => l.startsWith('warn forward logs') && /ECONNREFUSED/.test(l)), log.lines.join('\n'));
    await sink.start();
    assert.equal(await f.drain(10_000), true);
    const want = (signal: Signal): string[] => Array.from({ length: 30 }, (_, i) => i).filter((i) => (i % 3 === 0) === (signal === 'traces')).map((i) => `${signal}-${i}`);
    assert.deepEqual(ids(sink.accepted(LOGS_PATH)), want('logs'));
    assert.deepEqual(ids(sink.accepted(TRACES_PATH)), want('traces'));
    assert.equal(f.stats().delivered, 30);
    assert.equal(f.stats().dropped, 0);
    assert.ok(log.lines.some((l) => l.startsWith('info') && /delivering again/.test(l)));
  });

  it('honours Retry-After seconds on 503', async () => {
    await newSink();
    sink.failWith(503, { retryAfter: 1, times: 1 });
    const f = await forwarder(config({ retry: { initialDelayMs: 10, maxDelayMs: 5000 } }));
    await f.enqueue(payload(1));
    assert.equal(await f.drain(5000), true);
    const [failed, ok] = sink.requests;
    assert.equal(failed!.status, 503);
    const waited = ok!.receivedAt - failed!.receivedAt;
    assert.ok(waited >= 950, `retried after ${waited} ms, before Retry-After: 1`);
    assert.equal(f.stats().failedAttempts, 1);
    assert.equal(f.stats().delivered, 1);
  });

  it('caps a Retry-After date far ahead at maxDelayMs', async () => {
    await newSink();
    sink.failWith(429, { retryAfter: new Date(Date.now() + 3600_000).toUTCString(), times: 2 });
    const f = await forwarder(config({ retry: { initialDelayMs: 10, maxDelayMs: 150 } }));
    const started = Date.now();
    await f.enqueue(payload(1));
    assert.equal(await f.drain(5000), true);
    assert.equal(sink.requests.length, 3);
    assert.ok(Date.now() - started < 2000);
    assert.ok(sink.requests[2]!.receivedAt - sink.requests[1]!.receivedAt >= 140);
  });

  it('drops a payload refused with 400, logs it, and delivers the next ones', async () => {
    await newSink();
    const log = recordingLog();
    const f = await forwarder(config(), log);
    sink.failWith(400, { times: 1 });
    await f.enqueue(payload(1));
    await f.enqueue(payload(2));
    await f.enqueue(payload(3));
    assert.equal(await f.drain(5000), true);
    assert.equal(sink.requests.length, 3, 'a 400 is not retried');
    assert.deepEqual(ids(sink.accepted(LOGS_PATH)), ['logs-2', 'logs-3']);
    assert.equal(f.stats().dropped, 1);
    assert.equal(f.stats().delivered, 2);
    assert.ok(log.lines.some((l) => l.startsWith('error') && /HTTP 400/.test(l) && /dropped/.test(l) && /sink told to fail/.test(l)), log.lines.join('\n'));
  });

  it('retries a plain 500 a few times, then drops it instead of blocking the queue', async () => {
    await newSink();
    const f = await forwarder(config({ retry: { initialDelayMs: 5, maxDelayMs: 20 } }));
    sink.failWith(500, { times: SERVER_ERROR_ATTEMPTS });
    await f.enqueue(payload(1, 'traces'));
    await f.enqueue(payload(2, 'traces'));
    assert.equal(await f.drain(5000), true);
    assert.equal(sink.requests.filter((r) => r.status === 500).length, SERVER_ERROR_ATTEMPTS);
    assert.deepEqual(ids(sink.accepted(TRACES_PATH)), ['traces-2']);
    assert.equal(f.stats().dropped, 1);
  });

  it('keeps delivering traces while logs are refused with 503', async () => {
    await newSink();
    sink.failWith(503, { path: LOGS_PATH });
    const f = await forwarder(config());
    await f.enqueue(payload(1, 'logs'));
    for (let i = 0; i < 5; i++) await f.enqueue(payload(i, 'traces'));
    await sink.waitFor((rs) => rs.filter((r) => r.path === TRACES_PATH && r.status === 200).length === 5, 5000);
    // The sink records a request before answering it; the forwarder acknowledges right after.
    await waitUntil(() => f.stats().queuedPayloads === 1, 2000);
    assert.ok(sink.requests.some((r) => r.path === LOGS_PATH && r.status === 503));
    sink.recover();
    assert.equal(await f.drain(5000), true);
    assert.deepEqual(ids(sink.accepted(LOGS_PATH)), ['logs-1']);
  });

  it('times out a hanging upstream and retries', async () => {
    await newSink();
    sink.setDelay(1000);
    const f = await forwarder(config({ timeoutMs: 100 }));
    await f.enqueue(payload(1));
    await waitUntil(() => f.stats().failedAttempts >= 2, 5000);
    sink.setDelay(0);
    assert.equal(await f.drain(5000), true);
    assert.deepEqual(ids(sink.accepted(LOGS_PATH)), ['logs-1']);
  });

  it('answers QueueFullError when the queue is at its cap', async () => {
    await newSink();
    await sink.stop();
    const f = await forwarder(config({ queue: { dir: path.join(root, `q${++dirCounter}`), maxBytes: 4096 } }));
    const big = (i: number): ForwardPayload => ({ ...payload(i), body: Buffer.alloc(1000, i) });
    let full: unknown = null;
    let accepted = 0;
    for (let i = 0; i < 10 && !full; i++) {
      try {
        await f.enqueue(big(i));
        accepted++;
      } catch (err) {
        full = err;
      }
    }
    assert.ok(full instanceof QueueFullError);
    assert.equal(accepted, 4);
    await sink.start();
    assert.equal(await f.drain(5000), true);
    await f.enqueue(big(20));
    assert.equal(await f.drain(5000), true);
    assert.equal(sink.accepted(LOGS_PATH).length, 5);
  });

  it('delivers after a restart what the previous forwarder left queued', async () => {
    await newSink();
    await sink.stop();
    const dir = path.join(root, `q${++dirCounter}`);
    const first = await forwarder(config({}, dir));
    for (let i = 0; i < 20; i++) await first.enqueue(payload(i, i % 2 ? 'traces' : 'logs'));
    await closeForwarder(first);
    await assert.rejects(first.enqueue(payload(99)), /closed/);

    await sink.start();
    const second = await forwarder(config({}, dir));
    assert.equal(second.stats().queuedPayloads, 20);
    assert.equal(await second.drain(5000), true);
    assert.deepEqual(ids(sink.accepted(LOGS_PATH)), Array.from({ length: 10 }, (_, i) => `logs-${i * 2}`));
    assert.deepEqual(ids(sink.accepted(TRACES_PATH)), Array.from({ length: 10 }, (_, i) => `traces-${i * 2 + 1}`));
    assert.equal(sink.requests.length, 20, 'nothing sent twice');
  });

  it('drops queued payloads of a signal whose target was removed from the configuration', async () => {
    await newSink();
    await sink.stop();
    const dir = path.join(root, `q${++dirCounter}`);
    const first = await forwarder(config({}, dir));
    await first.enqueue(payload(1, 'logs'));
    await first.enqueue(payload(2, 'traces'));
    await closeForwarder(first);
    await sink.start();
    const log = recordingLog();
    const second = await forwarder(config({ logsUrl: null }, dir), log);
    assert.equal(second.enabled('logs'), false);
    assert.equal(await second.drain(5000), true);
    assert.deepEqual(ids(sink.accepted()), ['traces-2']);
    assert.equal(second.stats().dropped, 1);
    assert.ok(log.lines.some((l) => /dropped 1 queued logs payloads/.test(l)));
  });

  it('rejects caller errors: disabled signal, bad tenant, bad headers in the configuration', async () => {
    await newSink();
    const f = await forwarder(config({ tracesUrl: null }));
    assert.equal(f.enabled('traces'), false);
    await assert.rejects(f.enqueue(payload(1, 'traces')), /no forward target is configured for traces/);
    await assert.rejects(f.enqueue(payload(1, 'metrics' as Signal)), TypeError);
    await assert.rejects(f.enqueue(payload(1, 'logs', 'bad\r\ntenant')), /X-Scope-OrgID/);
    await assert.rejects(f.enqueue(payload(1, 'logs', '')), /X-Scope-OrgID/);
    await assert.rejects(HttpForwarder.open(config({ headers: { 'Content-Type': 'text/plain' } })), /content-type/);
    await assert.rejects(HttpForwarder.open(config({ headers: { 'bad header': 'x' } })), /invalid header/);
    await f.enqueue(payload(2, 'logs'));
    assert.equal(await f.drain(5000), true);
    assert.deepEqual(ids(sink.accepted()), ['logs-2']);
  });

  it('close() aborts an in-flight request and keeps the payload for next time', async () => {
    await newSink();
    sink.setDelay(2000);
    const dir = path.join(root, `q${++dirCounter}`);
    const f = await forwarder(config({}, dir));
    await f.enqueue(payload(1));
    await waitUntil(() => sink.requests.length === 0 && f.stats().queuedPayloads === 1, 1000);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await closeForwarder(f);
    assert.ok(Date.now() - started < 1000, 'close() does not wait for the slow upstream');
    sink.setDelay(0);
    const again = await forwarder(config({}, dir));
    assert.equal(await again.drain(5000), true);
    assert.deepEqual(ids(sink.accepted()), ['logs-1']);
  });
});

describe('createForwarder', () => {
  it('returns a forwarder that forwards nothing, and creates no queue, when no URL is set', async () => {
    const dir = path.join(root, 'never-created');
    const f = await createForwarder({ ...defaultConfig().forward, queue: { dir, maxBytes: 1024 } });
    assert.equal(f.enabled('logs'), false);
    assert.equal(f.enabled('traces'), false);
    await assert.rejects(f.enqueue(payload(1)), /no forward target/);
    assert.equal(await f.drain(10), true);
    await f.close();
    assert.ok(!(await readdir(root)).includes('never-created'));
  });

  it('returns an HTTP forwarder when a URL is set', async () => {
    await newSink();
    const f = await createForwarder(config());
    open.push(f);
    assert.ok(f instanceof HttpForwarder);
    await f.enqueue(payload(7, 'traces'));
    assert.equal(await f.drain(5000), true);
    assert.deepEqual(ids(sink.accepted(TRACES_PATH)), ['traces-7']);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
