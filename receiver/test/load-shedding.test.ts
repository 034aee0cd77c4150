// Load shedding (receiver/src/limits/load-shedder.ts) end to end: an overloaded receiver
// answers ingest with 503 + Retry-After before reading the body, still answers /healthz,
// /readyz, /metrics and the query API, acknowledges nothing it did not store, and takes
// data again once the overload is over. Two overloads, each forced deterministically:
// a receiver process frozen with SIGSTOP (what a CPU-starved process looks like from
// inside: its loop runs late) and a tiny in-flight limit with the object store stalled.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnReceiver } from './helpers/child-receiver.ts';
import type { ChildReceiver } from './helpers/child-receiver.ts';
import { freePort, request, waitUntil } from './helpers/http.ts';
import { stallStorePuts, startReceiver } from './helpers/receiver.ts';
import { planSessions, SegmentClient, verifyStored } from './helpers/replay-load.ts';
import type { MadeSegment } from './helpers/replay-load.ts';

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

function assertShed(res: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }, base: number, why: RegExp): void {
  const text = res.body.toString('utf8');
  assert.equal(res.status, 503, `shed: ${text.slice(0, 300)}`);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= base && retryAfter <= 2 * base, `Retry-After ${String(res.headers['retry-after'])} is whole seconds in [${base}, ${2 * base}]`);
  // An OTLP Status in the request's encoding, saying why and what to do.
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  const status = JSON.parse(text) as { code: number; message: string };
  assert.equal(status.code, 14, 'google.rpc.Code UNAVAILABLE');
  assert.match(status.message, why);
  assert.match(status.message, /retry the same request after \d+ s/);
}

describe('load shedding: a receiver process whose event loop stalls (frozen with SIGSTOP)', () => {
  let rx: ChildReceiver;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-shed-'));
    rx = await spawnReceiver(await freePort(), { DATA_DIR: dataDir, INSTANCE_ID: 'shed-test', GROUP_COMMIT_MAX_DELAY_MS: '50', LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: '300', LOAD_SHEDDING_RETRY_AFTER_SECONDS: '1' });
  });
  after(async () => {
    rx?.kill('SIGCONT');
    await rx?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('ingest that queued during the stall gets 503 + Retry-After, health and metrics are answered, nothing acknowledged is lost, and it accepts again', { timeout: 60_000 }, async () => {
    const made = planSessions({ prefix: 'shed-loop', sessions: 12, windows: 1, perWindow: 3 });
    const client = new SegmentClient(rx.url);
    // Warm: a healthy receiver takes the first segment of each session.
    const first = made.filter((m) => m.segment.meta.seq === 0);
    for (const res of await Promise.all(first.map((m) => client.send([m])))) assert.equal(res.status, 200, res.body.toString('utf8').slice(0, 300));

    const during = made.filter((m) => m.segment.meta.seq === 1);
    rx.kill('SIGSTOP');
    let shedAnswers: Awaited<ReturnType<SegmentClient['send']>>[];
    let health: Awaited<ReturnType<typeof request>>[];
    try {
      // Sent while the process cannot run: they wait in its sockets, as requests do behind a starved loop.
      const sending = Promise.all(during.map((m) => client.send([m], 20_000)));
      const checking = Promise.all(['/healthz', '/readyz', '/metrics'].map((p) => request(`${rx.url}${p}`, { timeoutMs: 20_000 })));
      await new Promise((r) => setTimeout(r, 1500));
      rx.kill('SIGCONT');
      [shedAnswers, health] = await Promise.all([sending, checking]);
    } finally {
      rx.kill('SIGCONT');
    }
    for (const res of shedAnswers) assertShed(res, 1, /event loop is running \d+ ms late \(loadShedding\.maxEventLoopDelayMs 300\)/);
    assert.equal(client.unacked.size, during.length, 'nothing sent during the stall was acknowledged');
    for (const [i, res] of health.entries()) assert.equal(res.status, 200, `${['/healthz', '/readyz', '/metrics'][i]} is never shed: ${res.body.toString('utf8').slice(0, 200)}`);
    // The query API is not shed either.
    assert.equal((await request(`${rx.url}/api/v1/sessions?limit=1`)).status, 200);

    const metrics = (await request(`${rx.url}/metrics`)).body.toString('utf8');
    assert.equal(metricValue(metrics, 'otel_replay_load_shed_total', 'reason="event_loop_delay"'), during.length, 'every shed request is counted');
    assert.match(metrics, /^otel_replay_load_shedding_event_loop_delay_seconds \d/m);

    // The overload is over: retries after Retry-After are taken, and so is new data.
    await client.retryUnacked({ deadlineMs: 20_000, maxWaitMs: 2000 });
    const later = made.filter((m) => m.segment.meta.seq === 2);
    await waitUntil('a fresh segment acknowledged after the stall', async () => (await client.send(later.slice(0, 1))).status === 200, 10_000, 200);
    for (const m of later.slice(1)) await client.send([m]);
    await client.retryUnacked({ deadlineMs: 20_000, maxWaitMs: 2000 });
    assert.equal(client.acked.size, made.length);
    await verifyStored(rx.url, made);
  });
});

describe('load shedding: more ingest requests in flight than loadShedding.maxInFlight', () => {
  test('the store stalls with 3 requests in flight: the 4th is shed at once (503 + Retry-After), counted; the store back, everything is stored once', { timeout: 60_000 }, async () => {
    const rx = await startReceiver({ loadShedding: { maxInFlight: 3, retryAfterSeconds: 1 } });
    const release = stallStorePuts(rx);
    try {
      const made: MadeSegment[] = planSessions({ prefix: 'shed-inflight', sessions: 6, windows: 1, perWindow: 1 });
      const client = new SegmentClient(rx.url);
      const shedder = rx.receiver.services.loadShedder;
      const waiting = made.slice(0, 3).map((m) => client.send([m]));
      await waitUntil('3 ingest requests in flight', () => shedder.stats().inFlight === 3, 10_000, 10);

      const startedAt = performance.now();
      const shed = await client.send(made.slice(3, 4));
      assertShed(shed, 1, /3 ingest requests are already being handled \(loadShedding\.maxInFlight 3\)/);
      assert.ok(performance.now() - startedAt < 2000, 'shed at once, not after waiting for the store');
      for (const p of ['/healthz', '/metrics', '/api/v1/sessions?limit=1']) assert.equal((await request(`${rx.url}${p}`)).status, 200, `${p} while ingest is shed`);
      const metrics = (await request(`${rx.url}/metrics`)).body.toString('utf8');
      assert.equal(metricValue(metrics, 'otel_replay_load_shed_total', 'reason="in_flight"'), 1);
      assert.equal(metricValue(metrics, 'otel_replay_ingest_in_flight', ''), 3);
      assert.equal(client.acked.size, 0, 'nothing acknowledged while the store has not taken it');

      release();
      for (const res of await Promise.all(waiting)) assert.equal(res.status, 200, res.body.toString('utf8').slice(0, 300));
      await waitUntil('the in-flight count back to 0', () => shedder.stats().inFlight === 0, 5000, 10);
      for (const m of made.slice(4)) await client.send([m]);
      await client.retryUnacked({ deadlineMs: 20_000, maxWaitMs: 2000 });
      assert.equal(client.acked.size, made.length);
      await verifyStored(rx.url, made);
    } finally {
      release();
      await rx.stop();
    }
  });
});
