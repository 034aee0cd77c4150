// The receiver under failures of what it depends on, with real peers: Loki/Tempo (an OTLP
// sink) down and back, the object store (s3rver) killed or hung, the forward queue full,
// the receiver process itself SIGKILLed mid-load, and PostgreSQL stopped mid-load. The
// promise checked every time: a 200 means durable, anything else is retryable (503 +
// Retry-After), and once the fault is gone, retries leave every segment stored exactly
// once and every forwarded record delivered.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnReceiver } from './helpers/child-receiver.ts';
import { freePort, NO_ANSWER, postJson, request, waitUntil } from './helpers/http.ts';
import { logRecord, logsRequest, segmentRecord, span, tracesRequest } from './helpers/otlp-json.ts';
import { IndexUnavailableError } from '../src/index/session-index.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { getSession, planSessions, SegmentClient, segKey, sendSessions, verifySegmentBytes, verifyStored } from './helpers/replay-load.ts';
import type { Answer } from './helpers/replay-load.ts';
import { makeSegment } from './helpers/recording.ts';
import { forwardedLogs, forwardedSpans } from './helpers/sink-contents.ts';
import { startOtlpSink } from './peers/otlp-sink.ts';
import type { OtlpSink } from './peers/otlp-sink.ts';
import { startPostgres } from './peers/postgres.ts';
import { startS3Server } from './peers/s3-server.ts';
import type { S3ServerPeer } from './peers/s3-server.ts';

const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 200 };

/** Every answer that was not a 200 is a retryable refusal with Retry-After, never a 4xx or 500. */
function assertRetryableRefusals(answers: Answer[], allowed: number[] = [503, 429]): number {
  let refused = 0;
  for (const a of answers) {
    if (a.status === 200) continue;
    refused++;
    assert.ok(allowed.includes(a.status), `request with ${a.keys.join(', ')} got ${a.status}; only ${allowed.join('/')} (retryable) or 200 are acceptable during an outage`);
    if (a.status !== NO_ANSWER) assert.match(a.retryAfter ?? '', /^\d+$/, `a ${a.status} must carry Retry-After (request with ${a.keys[0]})`);
  }
  return refused;
}

function s3Storage(s3: S3ServerPeer): Record<string, unknown> {
  return { backend: 's3', s3: { bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
}

describe('faults: Loki/Tempo down, then up', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await startOtlpSink();
    await sink.stop();
  });
  after(async () => {
    await sink?.stop();
  });

  test('logs and traces acknowledged while the sink is down all arrive, once each and unchanged, when it is back; segments in the same requests are stored at once', { timeout: 60_000 }, async () => {
    const rx = await startReceiver({ forward: { logsUrl: sink.logsUrl, tracesUrl: sink.tracesUrl, retry: FAST_RETRY, timeoutMs: 2000 } });
    try {
      const now = Date.now();
      const sentLogs: string[] = [];
      const sentSpans: string[] = [];
      const answers: number[] = [];
      for (let i = 0; i < 12; i++) {
        const records = [0, 1, 2].map((j) => {
          const body = `console line ${i}.${j} of sink-down test`;
          sentLogs.push(body);
          return logRecord({ sessionId: `sink-s${i % 3}`, timeMs: now + i * 10 + j, body, severityText: j === 2 ? 'ERROR' : 'INFO', attributes: { 'log.seq': i * 3 + j } });
        });
        answers.push((await postJson(`${rx.url}/v1/logs`, logsRequest(records))).status);
      }
      for (let i = 0; i < 6; i++) {
        const spans = [0, 1].map((j) => span({ sessionId: `sink-s${i % 3}`, n: i * 2 + j, startMs: now + i * 10 }));
        for (const s of spans) sentSpans.push(s.spanId);
        answers.push((await postJson(`${rx.url}/v1/traces`, tracesRequest(spans))).status);
      }
      // A request mixing a segment and a log record: the segment is stored now, the log waits in the queue.
      const seg = makeSegment({ sessionId: 'sink-s0', seq: 0, start: now });
      const mixedLog = logRecord({ sessionId: 'sink-s0', timeMs: now, body: 'mixed with a segment' });
      sentLogs.push('mixed with a segment');
      answers.push((await postJson(`${rx.url}/v1/logs`, logsRequest([segmentRecord(seg.segment), mixedLog]))).status);
      assert.deepEqual(answers, answers.map(() => 200), 'the durable forward queue acknowledges while Loki/Tempo are down');
      await verifySegmentBytes(rx.url, [seg]);

      await sleep(300);
      assert.equal(sink.accepted().length, 0, 'the sink was down');
      assert.ok(rx.receiver.services.forwarder.stats().queuedPayloads >= 19, 'payloads wait in the queue');

      await sink.start();
      await sink.waitFor(() => forwardedLogs(sink).length >= sentLogs.length && forwardedSpans(sink).length >= sentSpans.length, 20_000);
      assert.equal(await rx.receiver.services.forwarder.drain(5000), true);

      const logs = forwardedLogs(sink);
      assert.deepEqual(logs.map((l) => l.body).sort(), [...sentLogs].sort(), 'every log record arrives exactly once');
      for (const l of logs) {
        assert.match(String(l.sessionId), /^sink-s\d$/);
        assert.equal(l.resource['service.name'], 'shop-web');
        assert.notEqual(l.eventName, 'otel_replay.segment', 'segments are never forwarded to Loki');
      }
      const seqs = logs.filter((l) => l.attributes['log.seq'] !== undefined).map((l) => Number(l.attributes['log.seq'])).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: 36 }, (_, k) => k), 'attributes arrive unchanged');
      assert.deepEqual(forwardedSpans(sink).map((s) => s.spanId).sort(), [...sentSpans].sort(), 'every span arrives exactly once');
      assert.equal(rx.receiver.services.forwarder.stats().queuedPayloads, 0);
    } finally {
      await rx.stop();
      await sink.stop();
    }
  });

  test('the forward queue survives a receiver restart while the sink is down', { timeout: 60_000 }, async () => {
    const config = { forward: { logsUrl: sink.logsUrl, tracesUrl: sink.tracesUrl, retry: FAST_RETRY, timeoutMs: 2000 } };
    const first = await startReceiver(config);
    const dataDir = first.dataDir;
    const before = sink.requests.length;
    const bodies: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const body = `queued before restart ${i}`;
        bodies.push(body);
        const res = await postJson(`${first.url}/v1/logs`, logsRequest([logRecord({ sessionId: 'restart-s', timeMs: Date.now(), body })]));
        assert.equal(res.status, 200);
      }
    } finally {
      await first.stop({ keepData: true });
    }
    const second = await startReceiver(config, dataDir);
    try {
      await sink.start();
      await sink.waitFor((reqs) => reqs.length > before && forwardedLogs(sink).filter((l) => String(l.body).startsWith('queued before restart')).length >= bodies.length, 20_000);
      assert.equal(await second.receiver.services.forwarder.drain(5000), true);
      const arrived = forwardedLogs(sink).map((l) => String(l.body)).filter((b) => b.startsWith('queued before restart')).sort();
      assert.deepEqual(arrived, bodies, 'what the first receiver acknowledged, the second one delivers, once each');
    } finally {
      await second.stop();
    }
  });
});

describe('faults: object store down during load', () => {
  let s3: S3ServerPeer;
  let rx: RunningReceiver;
  before(async () => {
    s3 = await startS3Server({ bucket: 'fault-store' });
    rx = await startReceiver({ server: { retryAfterSeconds: 1 }, storage: s3Storage(s3) });
  });
  after(async () => {
    await rx?.stop();
    await s3?.stop();
  });

  test('store killed: 503 + Retry-After, never a 200 for unstored segments; once it is back, retries leave everything readable exactly once', { timeout: 60_000 }, async () => {
    const made = planSessions({ prefix: 'kill', sessions: 4, windows: 2, perWindow: 12 });
    const client = new SegmentClient(rx.url);
    const load = sendSessions(client, made, { perRequest: 2, pauseMs: 15 });
    await waitUntil('a quarter of the segments acknowledged', () => client.acked.size >= made.length / 4, 20_000, 5);
    s3.kill();
    await load;
    const refused = assertRetryableRefusals(client.answers);
    assert.ok(refused > 0, `the outage must refuse something; answers: ${JSON.stringify(client.statusCounts())}`);
    assert.ok(client.unacked.size > 0);

    // Reads need the store too: 503 with Retry-After, not a 500 or an empty answer.
    const acked = [...client.acked.values()][0]!.segment.meta;
    const read = await request(`${rx.url}/api/v1/sessions/${acked.sessionId}/segments/${acked.windowId}/${acked.seq}`);
    assert.equal(read.status, 503, read.body.toString('utf8'));
    assert.match(String(read.headers['retry-after']), /^\d+$/);
    const events = await request(`${rx.url}/api/v1/sessions/${acked.sessionId}/events`);
    assert.equal(events.status, 503, events.body.toString('utf8'));

    await s3.restart();
    const ackedDuringLoad = [...client.acked.values()];
    await client.retryUnacked({ deadlineMs: 30_000 });
    await verifySegmentBytes(rx.url, ackedDuringLoad);
    await verifyStored(rx.url, made);
  });

  test('store hung (SIGSTOP): requests time out into 503 + Retry-After rather than hanging or answering 200; resumed, retries succeed', { timeout: 60_000 }, async () => {
    const made = planSessions({ prefix: 'hang', sessions: 2, windows: 1, perWindow: 4 });
    const client = new SegmentClient(rx.url);
    assert.equal((await client.send(made.slice(0, 2))).status, 200);
    s3.pause();
    try {
      const started = Date.now();
      const answers = await Promise.all([client.send(made.slice(2, 4), 45_000), client.send(made.slice(4, 6), 45_000)]);
      for (const res of answers) assert.equal(res.status, 503, `a hung store must become a 503; got ${res.status} after ${Date.now() - started} ms`);
      assertRetryableRefusals(client.answers, [503]);
    } finally {
      s3.resume();
    }
    await client.send(made.slice(6, 8));
    await client.retryUnacked({ deadlineMs: 30_000 });
    await verifyStored(rx.url, made);
  });

  test('forward queue full: 503 + Retry-After for what must be forwarded, segments still stored; sink back, the queue drains and nothing acknowledged is lost', { timeout: 60_000 }, async () => {
    const sink = await startOtlpSink();
    await sink.stop();
    const small = await startReceiver({ server: { retryAfterSeconds: 1 }, forward: { logsUrl: sink.logsUrl, tracesUrl: sink.tracesUrl, retry: FAST_RETRY, timeoutMs: 2000, queue: { maxBytes: 8192 } } });
    try {
      const pad = 'x'.repeat(600);
      const requests = Array.from({ length: 30 }, (_, i) => ({ body: `full-queue log ${i} ${pad}`, i }));
      const acked = new Set<string>();
      const refused: typeof requests = [];
      for (const r of requests) {
        const res = await postJson(`${small.url}/v1/logs`, logsRequest([logRecord({ sessionId: 'queue-s', timeMs: Date.now(), body: r.body })]));
        if (res.status === 200) acked.add(r.body);
        else {
          assert.equal(res.status, 503, res.body.toString('utf8'));
          assert.equal(res.headers['retry-after'], '1');
          assert.match(res.body.toString('utf8'), /queue/i, 'the refusal says the forward queue is full');
          refused.push(r);
        }
      }
      assert.ok(acked.size > 0 && refused.length > 0, `some logs fit the queue and the rest are refused (acked ${acked.size}, refused ${refused.length})`);

      // Replay segments do not go through the forward queue: a full queue does not stop them.
      const seg = makeSegment({ sessionId: 'queue-s', seq: 0, start: Date.now() - 1000 });
      const segRes = await postJson(`${small.url}/v1/logs`, logsRequest([segmentRecord(seg.segment)]));
      assert.equal(segRes.status, 200, segRes.body.toString('utf8'));
      await verifySegmentBytes(small.url, [seg]);

      await sink.start();
      assert.equal(await small.receiver.services.forwarder.drain(20_000), true, 'the queue drains once the sink is back');
      for (const r of refused) {
        const res = await postJson(`${small.url}/v1/logs`, logsRequest([logRecord({ sessionId: 'queue-s', timeMs: Date.now(), body: r.body })]));
        assert.equal(res.status, 200, `retry of refused log ${r.i}: ${res.body.toString('utf8')}`);
        acked.add(r.body);
      }
      await sink.waitFor(() => forwardedLogs(sink).length >= acked.size, 20_000);
      assert.deepEqual(forwardedLogs(sink).map((l) => String(l.body)).sort(), [...acked].sort(), 'every acknowledged log arrives exactly once');
    } finally {
      await small.stop();
      await sink.stop();
    }
  });

  test('a log payload larger than the whole forward queue: a clear, non-retryable 413 naming the setting; the queue keeps working', { timeout: 30_000 }, async () => {
    const sink = await startOtlpSink();
    const small = await startReceiver({ forward: { logsUrl: sink.logsUrl, retry: FAST_RETRY, timeoutMs: 2000, queue: { maxBytes: 4096 } } });
    try {
      const huge = await postJson(`${small.url}/v1/logs`, logsRequest([logRecord({ sessionId: 'huge-s', timeMs: Date.now(), body: 'x'.repeat(10_000) })]));
      // Retrying cannot help (it never fits), so not 429/503; and not a 500 that hides why.
      assert.equal(huge.status, 413, huge.body.toString('utf8'));
      assert.match(huge.body.toString('utf8'), /forward\.queue\.maxBytes/);
      const ok = await postJson(`${small.url}/v1/logs`, logsRequest([logRecord({ sessionId: 'huge-s', timeMs: Date.now(), body: 'small one' })]));
      assert.equal(ok.status, 200);
      await sink.waitFor(() => forwardedLogs(sink).some((l) => l.body === 'small one'), 10_000);
    } finally {
      await small.stop();
      await sink.stop();
    }
  });
});

describe('faults: receiver process killed mid-load', () => {
  test('SIGKILL mid-load, restart on the same data dir: every acknowledged segment survives byte-identical; retries fill the rest; each (window, seq) once', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-crash-'));
    const port = await freePort();
    const env = { DATA_DIR: dataDir, GROUP_COMMIT_MAX_DELAY_MS: '30', RETRY_AFTER_SECONDS: '1', INSTANCE_ID: 'crash-test' };
    let child = await spawnReceiver(port, env);
    try {
      const made = planSessions({ prefix: 'crash', sessions: 6, windows: 2, perWindow: 12 });
      const client = new SegmentClient(child.url);
      const load = sendSessions(client, made, { perRequest: 2, timeoutMs: 10_000 });
      await waitUntil('40% of the segments acknowledged', () => client.acked.size >= made.length * 0.4, 30_000, 2);
      child.kill('SIGKILL');
      const exit = await child.exited;
      assert.equal(exit.signal, 'SIGKILL');
      await load;
      const ackedBeforeCrash = [...client.acked.values()];
      assert.ok(ackedBeforeCrash.length < made.length, 'the crash happened mid-load');
      assert.ok(client.answers.some((a) => a.status === NO_ANSWER), 'some requests were cut off by the crash');
      assertRetryableRefusals(client.answers, [NO_ANSWER, 503, 429]);

      child = await spawnReceiver(port, env);
      // Before any retry: what was acknowledged before the crash is all there.
      await verifySegmentBytes(child.url, ackedBeforeCrash);
      await client.retryUnacked({ deadlineMs: 30_000 });
      await verifyStored(child.url, made);
    } finally {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL stopped mid-load: 503 + Retry-After; started again, the same receiver recovers without a restart', { timeout: 60_000 }, async () => {
    const pg = await startPostgres({ database: 'faults_pg' });
    let rx: RunningReceiver | undefined;
    try {
      rx = await startReceiver({ server: { retryAfterSeconds: 1 }, index: { engine: 'postgres', postgres: { url: pg.url } } });
      const made = planSessions({ prefix: 'pgdown', sessions: 4, windows: 2, perWindow: 15 });
      const client = new SegmentClient(rx.url);
      const load = sendSessions(client, made, { perRequest: 2, pauseMs: 20 });
      await waitUntil('a quarter of the segments acknowledged', () => client.acked.size >= made.length / 4, 20_000, 5);
      await pg.stop();
      await load;
      const refused = assertRetryableRefusals(client.answers, [503]);
      assert.ok(refused > 0, `the outage must refuse something; answers: ${JSON.stringify(client.statusCounts())}`);

      const someSession = made[0]!.segment.meta.sessionId;
      const read = await request(`${rx.url}/api/v1/sessions/${someSession}`);
      assert.equal(read.status, 503, read.body.toString('utf8'));
      assert.match(String(read.headers['retry-after']), /^\d+$/);

      await pg.restart();
      const ackedDuringLoad = [...client.acked.values()];
      await client.retryUnacked({ deadlineMs: 30_000 });
      await verifySegmentBytes(rx.url, ackedDuringLoad);
      await verifyStored(rx.url, made);
      assert.equal(new Set(made.map((m) => segKey(m.segment.meta))).size, made.length);
    } finally {
      await rx?.stop();
      await pg.dispose();
    }
  });
});

describe('faults: index fails between storing segments and updating their session', () => {
  test('a 503 after the segment rows committed, then the retry: the session is found and counts every segment', { timeout: 30_000 }, async () => {
    const rx = await startReceiver({ server: { retryAfterSeconds: 1 } });
    try {
      const made = planSessions({ prefix: 'activity', sessions: 2, windows: 1, perWindow: 4 });
      const [a, b] = [made.slice(0, 4), made.slice(4, 8)];
      const client = new SegmentClient(rx.url);
      assert.equal((await client.send(a.slice(0, 2))).status, 200);
      // The window a crash or a dropped database connection opens: rows are in, the session update is not.
      const index = rx.receiver.services.index;
      const applyActivity = index.applyActivity.bind(index);
      let failures = 1;
      index.applyActivity = async (deltas) => {
        if (failures-- > 0) throw new IndexUnavailableError('injected: session update lost after the segment rows committed');
        return applyActivity(deltas);
      };
      // b is new, so its description must be written: that write fails after b's rows committed.
      const refused = await client.send(b);
      assert.equal(refused.status, 503, refused.body.toString('utf8'));
      // a's description is already written, so its later segments need no separate session update.
      assert.equal((await client.send(a.slice(2, 4))).status, 200);
      await client.retryUnacked({ deadlineMs: 10_000 });

      const problems: string[] = [];
      for (const [sessionId, want] of [[a[0]!.segment.meta.sessionId, 4], [b[0]!.segment.meta.sessionId, 4]] as const) {
        const res = await getSession(rx.url, sessionId);
        if (res.status !== 200) problems.push(`GET session ${sessionId}: ${res.status} ${JSON.stringify(res.body)}`);
        else if (res.body.segments !== want) problems.push(`session ${sessionId} counts ${res.body.segments} segments; ${want} are stored`);
      }
      assert.deepEqual(problems, []);
      await verifyStored(rx.url, made);
    } finally {
      await rx.stop();
    }
  });
});
