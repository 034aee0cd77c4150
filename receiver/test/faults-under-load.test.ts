// Faults under load, scripted and repeatable. While 40 simulated browsers in a second
// process (bench/lib/session-load.ts) send segments, events and spans to a receiver
// process, one thing fails for a few seconds and comes back: the receiver itself
// (SIGKILL, then started again on the same data), the object store (s3rver killed), the
// index database (PostgreSQL stopped), and the Loki/Tempo stand-in (stopped). Each time:
// nothing acknowledged is lost or stored twice (every acknowledged segment read back
// byte-identical through the query API, every acknowledged event and span delivered),
// clients only ever get retryable answers (429/503 with Retry-After, or no answer while
// the process is gone; never a 500), and acknowledgements resume within a bounded time
// after the dependency returns — without restarting the receiver.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkStoredSegments } from '../../bench/lib/load-check.ts';
import { startSessionLoad } from '../../bench/lib/session-load-process.ts';
import type { SessionLoadReport, SessionLoadSpec } from '../../bench/lib/session-load.ts';
import { spawnReceiver } from './helpers/child-receiver.ts';
import type { ChildReceiver } from './helpers/child-receiver.ts';
import { freePort, NO_ANSWER, request, waitUntil } from './helpers/http.ts';
import { checkForwarded, describeRun, firstSegmentAckAfter, refusalsBetween, unexpectedStatuses } from './helpers/load-run.ts';
import { startOtlpSink } from './peers/otlp-sink.ts';
import type { OtlpSink } from './peers/otlp-sink.ts';
import { startPostgres } from './peers/postgres.ts';
import { startS3Server } from './peers/s3-server.ts';

/** How long each dependency stays down. */
const OUTAGE_MS = 4000;
/** After the dependency is back, the first segment must be acknowledged within this (Retry-After is 1 s). */
const RESUME_BOUND_MS = 15_000;

function loadSpec(url: string, name: string): Omit<SessionLoadSpec, 'reportFile'> {
  return {
    url,
    sessions: 40,
    durationMs: 14_000,
    drainMs: 30_000,
    intervalMs: [600, 1500],
    telemetryShare: 0.4,
    runId: `fault-${name}-${Date.now().toString(36)}`,
    poolSize: 16,
    seed: 23,
    timeoutMs: 10_000,
    maxRetryWaitMs: 2000,
    timeline: true,
  };
}

/** The receiver's settings for these tests: a 250 ms group commit (more commits in a short run), Retry-After 1 s. */
function receiverEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  // The check reads every stored segment back as fast as it can: no query rate limit.
  return { DATA_DIR: dataDir, INSTANCE_ID: 'fault-load', RETRY_AFTER_SECONDS: '1', GROUP_COMMIT_MAX_DELAY_MS: '250', QUERY_RATE_LIMIT_REQUESTS_PER_SECOND: '0', ...extra };
}

async function waitReady(url: string): Promise<void> {
  await waitUntil(`${url}/readyz to answer 200`, async () => {
    try {
      return (await request(`${url}/readyz`, { timeoutMs: 4000 })).status === 200;
    } catch {
      return false;
    }
  }, 30_000, 100);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Outage {
  /** Wall-clock ms when the fault was injected and when the dependency was back. */
  downAt: number;
  upAt: number;
}

/**
 * Runs the load, waits until it flows, calls `fault` (which takes something down, waits,
 * and brings it back), then waits for the load to finish and checks what must hold in
 * every scenario: nothing acknowledged missing, duplicated or changed; only `allowed`
 * statuses; Retry-After on every 429/503; everything acknowledged in the end; and the
 * first acknowledgement after the outage within RESUME_BOUND_MS.
 */
async function runWithFault(t: TestContext, rx: () => ChildReceiver, name: string, allowed: number[], fault: () => Promise<Outage>): Promise<{ report: SessionLoadReport; outage: Outage }> {
  const spec = loadSpec(rx().url, name);
  const load = startSessionLoad(spec);
  await load.waitForAckedSegments(spec.sessions * 2, 30_000);
  const outage = await fault();
  const report = await load.done;
  t.diagnostic(describeRun(report));
  const resumedMs = firstSegmentAckAfter(report, outage.upAt);
  t.diagnostic(`${name}: down ${((outage.upAt - outage.downAt) / 1000).toFixed(1)} s; ${refusalsBetween(report, outage.downAt, outage.upAt)} refusals while down; first segment acknowledged ${resumedMs ?? 'never'} ms after it was back`);

  assert.deepEqual(unexpectedStatuses(report, allowed), {}, `only ${allowed.join('/')} may be answered (0 = no answer); ${describeRun(report)}`);
  assert.equal(report.missingRetryAfter, 0, 'every 429/503 carries Retry-After');
  assert.deepEqual(report.refused, [], 'nothing is refused for good');
  assert.equal(report.unackedLeft, 0, `every request is acknowledged in the end; ${describeRun(report)}`);
  assert.ok(resumedMs !== null && resumedMs <= RESUME_BOUND_MS, `acknowledgements resume within ${RESUME_BOUND_MS} ms of the dependency's return (took ${resumedMs ?? 'forever'})`);

  const check = await checkStoredSegments(rx().url, spec, report);
  t.diagnostic(check.summary);
  assert.ok(check.ok, check.summary);
  return { report, outage };
}

async function assertAllForwarded(t: TestContext, sink: OtlpSink, report: SessionLoadReport, withinMs: number): Promise<void> {
  let forwarded = checkForwarded(sink, report);
  await waitUntil('every acknowledged event and span at the Loki/Tempo stand-in', () => {
    forwarded = checkForwarded(sink, report);
    return forwarded.missingLogs.length === 0 && forwarded.missingSpans.length === 0;
  }, withinMs, 250).catch(() => {});
  t.diagnostic(`forwarded ${forwarded.expectedLogs} acknowledged events and ${forwarded.expectedSpans} spans; delivered twice (at-least-once): ${forwarded.duplicateLogs} events, ${forwarded.duplicateSpans} spans`);
  assert.deepEqual(forwarded.missingLogs.slice(0, 5), [], `${forwarded.missingLogs.length} acknowledged events never reached the stand-in`);
  assert.deepEqual(forwarded.missingSpans.slice(0, 5), [], `${forwarded.missingSpans.length} acknowledged spans never reached the stand-in`);
  assert.ok(forwarded.expectedLogs > 0 && forwarded.expectedSpans > 0, 'the load sent events and spans');
}

describe('faults under load', () => {
  test('receiver SIGKILLed under load and started again on the same data: nothing acknowledged lost, forward queue delivered', { timeout: 120_000 }, async (t) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-fault-kill-'));
    const sink = await startOtlpSink();
    const port = await freePort();
    const env = receiverEnv(dataDir, { FORWARD_LOGS_URL: sink.logsUrl, FORWARD_TRACES_URL: sink.tracesUrl });
    let rx = await spawnReceiver(port, env);
    try {
      const { report } = await runWithFault(t, () => rx, 'kill', [200, NO_ANSWER, 429, 503], async () => {
        const downAt = Date.now();
        rx.kill('SIGKILL');
        assert.equal((await rx.exited).signal, 'SIGKILL');
        await sleep(1000);
        rx = await spawnReceiver(port, env);
        return { downAt, upAt: Date.now() };
      });
      assert.ok((report.statuses.segment[NO_ANSWER] ?? 0) + (report.statuses.events[NO_ANSWER] ?? 0) + (report.statuses.spans[NO_ANSWER] ?? 0) > 0, 'requests were cut off by the crash');
      await assertAllForwarded(t, sink, report, 20_000);
    } finally {
      await rx.stop();
      await sink.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('object store (s3rver) killed under load and restarted: 503 + Retry-After while down, acks resume without restarting the receiver', { timeout: 120_000 }, async (t) => {
    const s3 = await startS3Server({ bucket: 'fault-load' });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-fault-s3-'));
    const rx = await spawnReceiver(await freePort(), receiverEnv(dataDir, {
      STORAGE_BACKEND: 's3', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER',
    }));
    try {
      await waitReady(rx.url);
      const { report, outage } = await runWithFault(t, () => rx, 's3', [200, 429, 503], async () => {
        const downAt = Date.now();
        s3.kill();
        await sleep(OUTAGE_MS);
        await s3.restart();
        return { downAt, upAt: Date.now() };
      });
      assert.ok(refusalsBetween(report, outage.downAt, outage.upAt + 1000) > 0, 'the outage refused segments (retryably)');
      assert.ok(alive(rx.pid), 'the same receiver process recovered');
    } finally {
      await rx.stop();
      await s3.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL stopped under load and started again: 503 + Retry-After while down, acks resume without restarting the receiver', { timeout: 120_000 }, async (t) => {
    const pg = await startPostgres({ database: 'fault_load' });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-fault-pg-'));
    let rx: ChildReceiver | undefined;
    try {
      rx = await spawnReceiver(await freePort(), receiverEnv(dataDir, { INDEX_ENGINE: 'postgres', POSTGRES_URL: pg.url }));
      await waitReady(rx.url);
      const { report, outage } = await runWithFault(t, () => rx!, 'pg', [200, 429, 503], async () => {
        const downAt = Date.now();
        await pg.stop();
        await sleep(OUTAGE_MS);
        await pg.restart();
        return { downAt, upAt: Date.now() };
      });
      assert.ok(refusalsBetween(report, outage.downAt, outage.upAt + 1000) > 0, 'the outage refused requests (retryably)');
      assert.ok(alive(rx.pid), 'the same receiver process recovered');
    } finally {
      await rx?.stop();
      await pg.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('Loki/Tempo stand-in stopped under load and restarted: every request still acknowledged (durable forward queue), everything delivered once it is back', { timeout: 120_000 }, async (t) => {
    const sink = await startOtlpSink();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-fault-sink-'));
    // Forward retries capped at 1 s so delivery resumes soon after the stand-in returns (default cap: 30 s).
    const configFile = path.join(dataDir, 'receiver.yaml');
    writeFileSync(configFile, JSON.stringify({ forward: { retry: { initialDelayMs: 100, maxDelayMs: 1000 }, timeoutMs: 3000 } }));
    const rx = await spawnReceiver(await freePort(), receiverEnv(dataDir, { OTEL_REPLAY_CONFIG: configFile, FORWARD_LOGS_URL: sink.logsUrl, FORWARD_TRACES_URL: sink.tracesUrl }));
    try {
      let sinkRequestsWhileDown = 0;
      const { report, outage } = await runWithFault(t, () => rx, 'sink', [200], async () => {
        const downAt = Date.now();
        await sink.stop();
        const before = sink.requests.length;
        await sleep(OUTAGE_MS);
        sinkRequestsWhileDown = sink.requests.length - before;
        await sink.start();
        return { downAt, upAt: Date.now() };
      });
      assert.equal(sinkRequestsWhileDown, 0, 'the stand-in was really down');
      const delivered = Date.now();
      await assertAllForwarded(t, sink, report, 20_000);
      t.diagnostic(`forward queue drained ${Date.now() - outage.upAt} ms after the stand-in returned (${Date.now() - delivered} ms after the load ended)`);
      assert.ok(alive(rx.pid), 'the same receiver process recovered');
    } finally {
      await rx.stop();
      await sink.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
