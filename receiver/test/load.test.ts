// The short, CI-sized version of `node bench/load.ts`: 50 simulated browsers in a second
// process (bench/lib/session-load.ts) send segments, events and spans, gzipped, at a
// compressed SDK cadence to a receiver process for 10 s. Asserted: nothing acknowledged
// is missing, duplicated or changed (read back through the query API), every acknowledged
// event and span reached the Loki/Tempo stand-in, and no answer was an error. Latency and
// peak memory are printed, not asserted tightly: a loaded 2-core CI box must not fail a
// correctness test on timing; only a hang-sized bound applies. Then more than the store
// can take: with the store stalled, segment bytes pile up past the overload threshold
// and the receiver sheds load with 429 + Retry-After instead of growing without bound.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { segmentMetaOf } from '@otel-replay/protocol';
import type { RrwebEvent } from '@otel-replay/protocol';
import { checkStoredSegments } from '../../bench/lib/load-check.ts';
import { peakRssBytes } from '../../bench/lib/processes.ts';
import { startSessionLoad } from '../../bench/lib/session-load-process.ts';
import type { SessionLoadSpec } from '../../bench/lib/session-load.ts';
import { spawnReceiver } from './helpers/child-receiver.ts';
import type { ChildReceiver } from './helpers/child-receiver.ts';
import { freePort, request, waitUntil } from './helpers/http.ts';
import { checkForwarded, describeRun, unexpectedStatuses } from './helpers/load-run.ts';
import { stallStorePuts, startReceiver } from './helpers/receiver.ts';
import { SegmentClient, verifyStored } from './helpers/replay-load.ts';
import type { MadeSegment } from './helpers/replay-load.ts';
import { startOtlpSink } from './peers/otlp-sink.ts';
import type { OtlpSink } from './peers/otlp-sink.ts';

/** Far above any healthy figure (about 1.2 s with the default 1 s group commit); only a stall trips it. */
const HANG_BOUND_MS = 15_000;

describe('load: 50 concurrent sessions against a receiver process', () => {
  let sink: OtlpSink;
  let rx: ChildReceiver;
  let dataDir: string;
  before(async () => {
    sink = await startOtlpSink();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-load-'));
    // Production settings (1 s group commit, fsync), forwarding to the stand-in.
    // QUERY_RATE_LIMIT_REQUESTS_PER_SECOND=0: the check reads every stored segment back as fast as it can.
    rx = await spawnReceiver(await freePort(), { DATA_DIR: dataDir, INSTANCE_ID: 'load-test', RETRY_AFTER_SECONDS: '1', FORWARD_LOGS_URL: sink.logsUrl, FORWARD_TRACES_URL: sink.tracesUrl, QUERY_RATE_LIMIT_REQUESTS_PER_SECOND: '0' });
  });
  after(async () => {
    await rx?.stop();
    await sink?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('zero acknowledged segments lost or duplicated, every acknowledged event and span forwarded, no error answers', { timeout: 90_000 }, async (t) => {
    const spec: Omit<SessionLoadSpec, 'reportFile'> = {
      url: rx.url,
      sessions: 50,
      durationMs: 10_000,
      drainMs: 20_000,
      intervalMs: [1000, 2500],
      telemetryShare: 0.4,
      runId: `ci-load-${Date.now().toString(36)}`,
      poolSize: 16,
      seed: 5,
      timeoutMs: 15_000,
      maxRetryWaitMs: 2000,
      timeline: false,
    };
    const report = await startSessionLoad(spec).done;
    t.diagnostic(describeRun(report));
    // Shedding (503 before the body is read) is allowed above; how much of it there was, for the log.
    const shedLines = (await request(`${rx.url}/metrics`)).body.toString('utf8').split('\n').filter((l) => l.startsWith('otel_replay_load_shed_total{'));
    t.diagnostic(`ingest requests shed by the receiver: ${shedLines.join(', ') || 'none'}`);
    const rss = peakRssBytes(rx.pid);
    t.diagnostic(`receiver peak memory (VmHWM): ${rss === null ? 'unknown' : `${(rss / 1024 / 1024).toFixed(0)} MiB`}`);

    assert.equal(report.unackedLeft, 0, `every request is acknowledged in the end; ${describeRun(report)}`);
    assert.deepEqual(report.refused, [], 'nothing is refused for good');
    // Shedding load (429/503 + Retry-After) is allowed on a slow box; errors are not.
    assert.deepEqual(unexpectedStatuses(report, [200, 429, 503]), {}, describeRun(report));
    assert.equal(report.missingRetryAfter, 0, 'every 429/503 carries Retry-After');
    assert.ok(report.acked.segment.reduce((a, b) => a + b, 0) >= spec.sessions * 3, `the load made progress: ${describeRun(report)}`);
    assert.ok(report.latency.segment.p99Ms < HANG_BOUND_MS, `segment ack p99 ${report.latency.segment.p99Ms.toFixed(0)} ms is above the hang bound ${HANG_BOUND_MS} ms`);

    const check = await checkStoredSegments(rx.url, spec, report);
    t.diagnostic(check.summary);
    assert.ok(check.ok, check.summary);
    assert.equal(check.ackedSegments, report.acked.segment.reduce((a, b) => a + b, 0));

    let forwarded = checkForwarded(sink, report);
    await waitUntil('every acknowledged event and span at the Loki/Tempo stand-in', () => {
      forwarded = checkForwarded(sink, report);
      return forwarded.missingLogs.length === 0 && forwarded.missingSpans.length === 0;
    }, 20_000, 250).catch(() => {});
    t.diagnostic(`forwarded: ${forwarded.expectedLogs} events and ${forwarded.expectedSpans} spans acknowledged; duplicates ${forwarded.duplicateLogs}/${forwarded.duplicateSpans}`);
    assert.deepEqual(forwarded.missingLogs.slice(0, 5), [], `${forwarded.missingLogs.length} acknowledged events never reached the stand-in`);
    assert.deepEqual(forwarded.missingSpans.slice(0, 5), [], `${forwarded.missingSpans.length} acknowledged spans never reached the stand-in`);
    assert.ok(forwarded.expectedLogs > 0 && forwarded.expectedSpans > 0);
    // No fault here, so no answer was lost and nothing should arrive twice.
    assert.equal(forwarded.duplicateLogs + forwarded.duplicateSpans, 0, 'no record forwarded twice without a fault');
  });
});

/** A ~0.8 MiB segment (under the protocol's 1 MiB) that does not compress, so a few dozen fill the overload threshold. */
function bigSegment(sessionId: string, seq: number): MadeSegment {
  const start = Date.now() - 60_000 + seq * 1000;
  const events: RrwebEvent[] = [
    { type: 4, timestamp: start, data: { href: 'http://127.0.0.1/big', width: 1280, height: 720 } },
    { type: 3, timestamp: start + 10, data: { source: 0, texts: [{ id: 2, value: randomBytes(760 * 1024).toString('base64') }], attributes: [], removes: [], adds: [] } },
  ];
  const json = JSON.stringify(events);
  const meta = segmentMetaOf(events, { sessionId, windowId: 'w1', seq }, 'gzip-json');
  return { segment: { meta, body: new Uint8Array(gzipSync(json)) }, events, json };
}

describe('load: more segment bytes waiting for storage than the overload threshold', () => {
  test('the store stalls: 429 + Retry-After once 32 MiB wait, nothing acknowledged early; the store back, everything is stored once', { timeout: 60_000 }, async () => {
    const rx = await startReceiver({ server: { retryAfterSeconds: 1 }, groupCommit: { maxDelayMs: 20, maxBytes: 1024 * 1024 } });
    const release = stallStorePuts(rx);
    try {
      const made = Array.from({ length: 52 }, (_, i) => bigSegment(`overload-s${i % 4}`, Math.floor(i / 4)));
      const client = new SegmentClient(rx.url);
      // The threshold is max(8 × groupCommit.maxBytes, 32 MiB); 48 segments of ~0.8 MiB pass it.
      const first = made.slice(0, 48);
      const inFlight = first.map((m) => client.send([m], 30_000));
      const committer = rx.receiver.services.committer;
      await waitUntil(`32 MiB of segments waiting for the stalled store (${made[0]!.segment.body.length} bytes each)`, () => committer.stats().pendingBytes > 32 * 1024 * 1024, 20_000, 20);
      assert.equal(client.acked.size, 0, 'nothing is acknowledged while the store has not taken it');

      const shed = await client.send(made.slice(48, 49));
      assert.equal(shed.status, 429, `overloaded: ${shed.body.toString('utf8').slice(0, 300)}`);
      assert.equal(shed.headers['retry-after'], '1');
      assert.match(shed.body.toString('utf8'), /busy/i, 'the answer says why');

      release();
      // Those that arrived after the threshold was crossed were shed too; they are retried below.
      for (const res of await Promise.all(inFlight)) assert.ok(res.status === 200 || res.status === 429, `${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
      assert.ok(client.acked.size >= 32, `most of the waiting segments are acknowledged once the store is back (${client.acked.size})`);
      for (const m of made.slice(49)) await client.send([m]);
      await client.retryUnacked({ deadlineMs: 20_000 });
      await verifyStored(rx.url, made);
    } finally {
      release();
      await rx.stop();
    }
  });
});
