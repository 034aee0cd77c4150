// Retention against real engines: SQLite + filesystem store, and PostgreSQL + S3 (s3rver).
// Objects are written by the real group committer with a pinned clock, so they carry the
// day names production gives them. Checked: expired sessions gone and young ones kept,
// per-tenant overrides and "forever", rows of an old object removed before the object,
// only wholly expired days removed and nothing that is not ours, the lifecycle-rule mode,
// and the job wrapper (one run at a time, schedule, failures reported).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSegment } from '../../test/helpers/recording.ts';
import { startPostgres } from '../../test/peers/postgres.ts';
import type { PostgresPeer } from '../../test/peers/postgres.ts';
import { startS3Server } from '../../test/peers/s3-server.ts';
import type { S3ServerPeer } from '../../test/peers/s3-server.ts';
import { PostgresIndex } from '../index/postgres-index.ts';
import type { SessionIndex } from '../index/session-index.ts';
import { SqliteIndex } from '../index/sqlite-index.ts';
import { FilesystemStore } from '../storage/fs-store.ts';
import { GroupCommitter } from '../storage/group-commit.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { S3Store } from '../storage/s3-store.ts';
import { DAY_MS, RetentionJob, firstKeptDay, parseDay, retentionDays, sweepRetention } from './retention-job.ts';
import type { RetentionConfig } from './retention-job.ts';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);

interface Env {
  index: SessionIndex;
  store: ObjectStore;
}

function config(more: Partial<RetentionConfig> = {}): RetentionConfig {
  return { days: 10, tenants: [], intervalMs: 3600_000, objectMarginDays: 1, deleteObjects: true, ...more };
}

/** Stores one segment per entry through group commit with the clock at `at`. */
async function store(env: Env, tenant: string, entries: { sessionId: string; seq: number; at: number }[]): Promise<void> {
  for (const e of entries) {
    let clock = e.at;
    const committer = new GroupCommitter({ store: env.store, index: env.index, instanceId: 'rt', maxDelayMs: 2, maxBytes: 1 << 20, now: () => clock });
    await committer.submit(tenant, [makeSegment({ sessionId: e.sessionId, seq: e.seq, start: e.at }).segment]);
    clock = e.at;
    await committer.close();
  }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function engineTests(name: string, open: () => Promise<Env & { close(): Promise<void> }>): void {
  describe(`retention sweep: ${name}`, () => {
    it('removes expired sessions, rows and wholly expired days, and nothing younger or foreign', async () => {
      const env = await open();
      const id = randomUUID().slice(0, 8);
      const [A, B, K] = [`ta-${id}`, `tb-${id}`, `tk-${id}`];
      try {
        const keptDay = firstKeptDay(NOW, 10, 1);
        await store(env, A, [
          { sessionId: 'old', seq: 0, at: NOW - 20 * DAY_MS },
          { sessionId: 'old', seq: 1, at: NOW - 19 * DAY_MS },
          // A session still active whose first segment sits in an old object.
          { sessionId: 'straddle', seq: 0, at: NOW - 20 * DAY_MS },
          { sessionId: 'straddle', seq: 1, at: NOW - DAY_MS },
          { sessionId: 'young', seq: 0, at: NOW - DAY_MS },
          // The last day before the first kept one goes; the first kept day stays whole.
          { sessionId: 'edge-gone', seq: 0, at: keptDay - 1000 },
          // A live session with a segment early on the first kept day: row and object stay.
          { sessionId: 'edge-kept', seq: 0, at: keptDay + 2 * 3600_000 },
          { sessionId: 'edge-kept', seq: 1, at: NOW - DAY_MS },
        ]);
        await store(env, B, [{ sessionId: 'old', seq: 0, at: NOW - 20 * DAY_MS }]);
        await store(env, K, [{ sessionId: 'ancient', seq: 0, at: NOW - 400 * DAY_MS }]);
        // Not ours: other file types and names that are not days stay.
        await env.store.put(`${A}/segments/v1/${day(NOW - 30 * DAY_MS)}/notes.txt`, new Uint8Array([1]));
        await env.store.put(`${A}/segments/v1/not-a-day/x.orp`, new Uint8Array([1]));
        await env.store.put(`${A}/segments/v1/2025-02-31/x.orp`, new Uint8Array([1]));
        await env.index.deleteSessions(A, ['young'], NOW - 15 * DAY_MS);
        await store(env, A, [{ sessionId: 'young2', seq: 0, at: NOW - DAY_MS }]);
        const objectsBefore = await env.store.list(`${A}/`);

        const cfg = config({ tenants: [{ tenant: B, days: 40 }, { tenant: K, days: 0 }] });
        const report = await sweepRetention({ index: env.index, store: env.store, config: cfg, now: () => NOW });

        assert.equal(await env.index.getSession(A, 'old'), null);
        assert.equal(await env.index.getSession(A, 'edge-gone'), null);
        assert.ok(await env.index.getSession(A, 'edge-kept'));
        assert.ok(await env.index.getSession(A, 'young2'));
        assert.deepEqual((await env.index.listSegments(A, 'straddle')).map((r) => r.seq), [1], 'the old row went with its object');
        assert.ok(await env.index.getSession(A, 'straddle'));
        assert.ok(await env.index.getSession(B, 'old'), 'tenant override: 40 days');
        assert.ok(await env.index.getSession(K, 'ancient'), 'tenant override: forever');
        assert.equal((await env.index.listSegments(K, 'ancient')).length, 1);
        assert.deepEqual((await env.index.listSegments(A, 'edge-kept')).map((r) => r.seq), [0, 1]);
        assert.equal(report.sessions, 2, 'old and edge-gone');
        assert.equal(report.segments, 1, "straddle's old row");

        const objectsAfter = await env.store.list(`${A}/`);
        const gone = objectsBefore.filter((k) => !objectsAfter.includes(k));
        const expiredDays = [day(NOW - 20 * DAY_MS), day(NOW - 19 * DAY_MS), day(keptDay - 1000)];
        assert.deepEqual([...new Set(gone.map((k) => k.split('/')[3]))].sort(), expiredDays.sort());
        assert.ok(gone.every((k) => k.endsWith('.orp')));
        assert.equal(report.objects, gone.length);
        assert.deepEqual(report.days.sort(), expiredDays.map((d) => `${A}/${d}`).sort());
        for (const k of objectsAfter) {
          const d = parseDay(k.split('/')[3]!);
          assert.ok(d === null || d >= keptDay || !k.endsWith('.orp'), `${k} should have been removed`);
        }
        assert.ok(objectsAfter.some((k) => k.endsWith('notes.txt')));
        assert.ok(objectsAfter.includes(`${A}/segments/v1/not-a-day/x.orp`));
        assert.ok(objectsAfter.includes(`${A}/segments/v1/2025-02-31/x.orp`));
        assert.equal((await env.store.list(`${B}/`)).length, 1);
        assert.equal((await env.store.list(`${K}/`)).length, 1);
        // Every row left points at an object that is still there.
        for (const sessionId of ['straddle', 'edge-kept', 'young2']) {
          for (const row of await env.index.listSegments(A, sessionId)) assert.ok(objectsAfter.includes(row.objectKey), row.objectKey);
        }
        // The deletion of 'young' (15 days ago) is forgotten after retention.
        assert.equal(report.deletedIds, 1);

        const again = await sweepRetention({ index: env.index, store: env.store, config: cfg, now: () => NOW });
        assert.deepEqual([again.sessions, again.segments, again.objects, again.deletedIds], [0, 0, 0, 0]);
      } finally {
        await env.close();
      }
    });

    it('leaves objects to a lifecycle rule when deleteObjects is false, still removing index rows', async () => {
      const env = await open();
      const A = `tl-${randomUUID().slice(0, 8)}`;
      try {
        await store(env, A, [{ sessionId: 'old', seq: 0, at: NOW - 20 * DAY_MS }, { sessionId: 'new', seq: 0, at: NOW }]);
        const before = await env.store.list(`${A}/`);
        const report = await sweepRetention({ index: env.index, store: env.store, config: config({ deleteObjects: false }), now: () => NOW });
        assert.equal(await env.index.getSession(A, 'old'), null);
        assert.ok(await env.index.getSession(A, 'new'));
        // Other tests' tenants may share this database: count only what must hold for all.
        assert.ok(report.sessions >= 1);
        assert.equal(report.objects, 0);
        assert.deepEqual(await env.store.list(`${A}/`), before);
      } finally {
        await env.close();
      }
    });
  });
}

let dir = '';
let pg: PostgresPeer;
let s3: S3ServerPeer;
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-retention-'));
  [pg, s3] = await Promise.all([startPostgres({ database: 'retention' }), startS3Server({ bucket: 'retention-test' })]);
});
after(async () => {
  await pg?.dispose();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

engineTests('SQLite + filesystem', async () => {
  const sub = mkdtempSync(path.join(dir, 'env-'));
  const index = new SqliteIndex({ path: path.join(sub, 'index.sqlite') });
  await index.migrate();
  const store = new FilesystemStore(path.join(sub, 'objects'));
  return { index, store, close: () => index.close() };
});

engineTests('PostgreSQL + S3', async () => {
  const index = new PostgresIndex({ url: pg.url, maxConnections: 4 });
  await index.migrate();
  const store = new S3Store({ bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', prefix: 'replay', listPageSize: 3 });
  return { index, store, close: async () => { await index.close(); await store.close(); } };
});

describe('retention: days and day names', () => {
  it('takes per-tenant overrides, and reads only real day names', () => {
    const cfg = config({ days: 30, tenants: [{ tenant: 'a', days: 7 }, { tenant: 'z', days: 0 }] });
    assert.deepEqual([retentionDays(cfg, 'a'), retentionDays(cfg, 'z'), retentionDays(cfg, 'other')], [7, 0, 30]);
    assert.equal(parseDay('2025-06-15'), Date.UTC(2025, 5, 15));
    for (const bad of ['2025-6-15', '2025-02-30', 'x2025-06-15', '2025-06-15/', '', '..']) assert.equal(parseDay(bad), null, bad);
    // 10 days + 1 margin before 2025-06-15 12:00 is 2025-06-04 12:00: 2025-06-04 is the first kept day.
    assert.equal(firstKeptDay(NOW, 10, 1), Date.UTC(2025, 5, 4));
  });
});

describe('retention job: one run at a time, on a schedule', () => {
  it('runs, skips while another run holds the lock, reports failures, and stops cleanly', async () => {
    const index = new SqliteIndex({ path: ':memory:' });
    await index.migrate();
    const store = new FilesystemStore(path.join(dir, 'job-objects'));
    const outcomes: string[] = [];
    const job = new RetentionJob({
      index, store, config: config({ intervalMs: 40 }), now: () => NOW, random: () => 0.5,
      onRun: (o) => outcomes.push(!o.ran ? 'skipped' : 'error' in o ? 'failed' : 'done'),
    });
    try {
      const [first, second] = await Promise.all([job.runOnce(), job.runOnce()]);
      assert.ok(first && first.tenants >= 0);
      assert.equal(second, null);
      assert.deepEqual(outcomes, ['skipped', 'done']);
      // A failing sweep is reported, never thrown.
      const broken = new RetentionJob({
        index: Object.assign(Object.create(index) as SessionIndex, { listTenants: async () => { throw new Error('index down'); } }),
        store, config: config(), now: () => NOW, onRun: (o) => outcomes.push(!o.ran ? 'skipped' : 'error' in o ? 'failed' : 'done'),
      });
      assert.equal(await broken.runOnce(), null);
      assert.equal(outcomes.at(-1), 'failed');
      outcomes.length = 0;
      job.start();
      const started = Date.now();
      while (outcomes.length < 2 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 10));
      await job.stop();
      const seen = outcomes.length;
      assert.ok(seen >= 2, `ran ${seen} times on a 40 ms schedule`);
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(outcomes.length, seen, 'no run after stop');
    } finally {
      await job.stop();
      await index.close();
    }
  });
});
