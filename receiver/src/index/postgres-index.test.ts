// Runs the shared SessionIndex suite against a real PostgreSQL server (test/peers), plus
// what only the shared engine promises: receivers migrating and writing at the same
// time, and a database outage answered with IndexUnavailableError and healed without
// recreating the index.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startPostgres } from '../../test/peers/postgres.ts';
import type { PostgresPeer } from '../../test/peers/postgres.ts';
import { defaultConfig } from '../config.ts';
import { createSessionIndex } from './create-index.ts';
import { PostgresIndex, isUnavailable } from './postgres-index.ts';
import { MIGRATIONS, SEGMENT_COLUMNS } from './schema.ts';
import { IndexUnavailableError } from './session-index.ts';
import { lifecycleSuite } from './lifecycle.suite.ts';
import { activity, freshTenant, segmentRow, sessionIndexSuite } from './session-index.suite.ts';

let peer: PostgresPeer;

before(async () => {
  peer = await startPostgres();
});
after(async () => {
  await peer?.dispose();
});

async function open(url = peer.url, options: { now?: () => number } = {}): Promise<PostgresIndex> {
  const index = new PostgresIndex({ url, maxConnections: 4, connectTimeoutMs: 2000, ...options });
  await index.migrate();
  return index;
}

describe('PostgresIndex: shared SessionIndex behaviour', () => {
  sessionIndexSuite((options) => open(peer.url, options));
});

describe('PostgresIndex: shared session lifecycle (caps, deletion, retention)', () => {
  lifecycleSuite(() => open(peer.url));
});

describe('PostgresIndex: several receivers on one database', () => {
  it('lets receivers that start together migrate a fresh database exactly once', async () => {
    const url = await peer.createDatabase('concurrent_migrate');
    const indexes = Array.from({ length: 4 }, () => new PostgresIndex({ url, maxConnections: 2 }));
    try {
      await Promise.all(indexes.map((i) => i.migrate()));
      await Promise.all(indexes.map((i) => i.migrate()));
    } finally {
      await Promise.all(indexes.map((i) => i.close()));
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (await client.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
      assert.deepEqual(rows, MIGRATIONS.map((m) => m.version));
    } finally {
      await client.end();
    }
  });

  it('loses no counter or URL when two receivers update one session at once', async () => {
    const [a, b] = [await open(), await open()];
    const tenant = freshTenant();
    try {
      const calls = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).applyActivity([
        activity(tenant, 'hot', { clicks: 1, firstSeen: 1_000 + i, lastSeen: 2_000 + i, urls: [`https://a.example/${i}`] }),
        activity(tenant, `cold-${i}`, { clicks: 1 }),
      ]));
      await Promise.all(calls);
      const s = await a.getSession(tenant, 'hot');
      assert.ok(s);
      assert.equal(s.clicks, 20);
      assert.equal(s.firstSeen, 1_000);
      assert.equal(s.lastSeen, 2_019);
      assert.equal(new Set(s.urls).size, 20);
      assert.equal((await b.searchSessions({ tenant, limit: 100, offset: 0 })).total, 21);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps a session counted exactly while one receiver trims its old rows and others insert and delete', async () => {
    const [a, b, c] = [await open(), await open(), await open()];
    const tenant = freshTenant();
    const OLD = 1_000_000_000_000;
    const NEW = OLD + 40 * 86_400_000;
    try {
      // 120 old rows of S and of T; then, at the same time: a trims them 3 at a time, b stores
      // 60 new rows of S (and retries of old ones), c deletes T.
      const old = (id: string) => Array.from({ length: 120 }, (_, i) => segmentRow(tenant, id, 'old', i, { receivedAt: OLD + i, firstTimestamp: OLD + i, lastTimestamp: OLD + i, length: 100 + (i % 13) }));
      await a.insertSegments([...old('S'), ...old('T')]);
      const trim = (async () => {
        let total = 0;
        for (let n = -1; n !== 0; total += n) n = await a.expireSegments(tenant, NEW - 86_400_000, 3);
        return total;
      })();
      // Four writers of one-row batches, so many inserts commit between a trim's count and its update.
      const inserts = Promise.all(Array.from({ length: 4 }, async (_, w) => {
        for (let k = 0; k < 15; k++) {
          const seq = w * 15 + k;
          await b.insertSegments([segmentRow(tenant, 'S', 'new', seq, { receivedAt: NEW + seq, firstTimestamp: NEW + seq, lastTimestamp: NEW + seq, length: 50 + w })]);
          if (k % 5 === 0) await b.insertSegments([segmentRow(tenant, 'S', 'old', seq, { receivedAt: NEW + seq, firstTimestamp: OLD + seq, lastTimestamp: OLD + seq, length: 100 })]);
        }
      }));
      const deletion = new Promise((r) => setTimeout(r, 5)).then(() => c.deleteSessions(tenant, ['T'], NEW));
      const [trimmed] = await Promise.all([trim, inserts, deletion]);
      assert.ok(trimmed > 0);
      const rows = await c.listSegments(tenant, 'S');
      const s = (await c.getSession(tenant, 'S'))!;
      assert.deepEqual([s.segments, s.replayBytes], [rows.length, rows.reduce((n, r) => n + r.length, 0)], 'the session counts exactly the rows it has');
      assert.ok(rows.filter((r) => r.windowId === 'new').length === 60, 'every new row is kept');
      assert.equal(await c.getSession(tenant, 'T'), null);
      assert.deepEqual(await c.listSegments(tenant, 'T'), []);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('counts a row whose insert held the session when the trim began (the trim waits for it)', async () => {
    const index = await open();
    const tenant = freshTenant();
    const client = new pg.Client({ connectionString: peer.url });
    await client.connect();
    try {
      await index.insertSegments([0, 1, 2].map((i) => segmentRow(tenant, 'S', 'w', i, { receivedAt: 1000 + i, length: 100 })));
      // Another receiver's insert, stopped after it stored its row and locked the session
      // (as insertSegments does), before it adds the row to the counters and commits.
      await client.query('BEGIN');
      await client.query(`INSERT INTO segments (${SEGMENT_COLUMNS}) VALUES ($1, 'S', 'w', 9, 5000, 5001, 1, 1, 'gzip-json', 'k', 0, 70, 5000)`, [tenant]);
      await client.query('SELECT 1 FROM sessions WHERE tenant = $1 AND session_id = $2 FOR UPDATE', [tenant, 'S']);
      const trim = index.expireSegments(tenant, 2000, 10);
      await new Promise((r) => setTimeout(r, 200));
      await client.query('UPDATE sessions SET segments = segments + 1, replay_bytes = replay_bytes + 70 WHERE tenant = $1 AND session_id = $2', [tenant, 'S']);
      await client.query('COMMIT');
      assert.equal(await trim, 3);
      const s = (await index.getSession(tenant, 'S'))!;
      assert.deepEqual([s.segments, s.replayBytes], [1, 70]);
      assert.deepEqual((await index.listSegments(tenant, 'S')).map((r) => r.seq), [9]);
    } finally {
      await client.end();
      await index.close();
    }
  });

  it('reports a segment inserted by exactly one of two receivers racing on it', async () => {
    const [a, b] = [await open(), await open()];
    const tenant = freshTenant();
    try {
      const rows = Array.from({ length: 200 }, (_, i) => segmentRow(tenant, 'S', `w${i % 2}`, i));
      const [fa, fb] = await Promise.all([a.insertSegments(rows), b.insertSegments([...rows].reverse())]);
      fb.reverse();
      for (let i = 0; i < rows.length; i++) assert.equal(Number(fa[i]) + Number(fb[i]), 1, `row ${i} inserted ${Number(fa[i]) + Number(fb[i])} times`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('PostgresIndex: database outages', () => {
  it('classifies connection failures as unavailable and statement errors as not', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) assert.equal(isUnavailable(err), true, err.message);
    for (const err of [
      Object.assign(new Error('syntax error at or near "x"'), { code: '42601' }),
      Object.assign(new Error('duplicate key value'), { code: '23505' }),
      new Error('something else'),
      null,
    ]) assert.equal(isUnavailable(err), false, String(err));
  });

  it('fails fast with IndexUnavailableError when the server is unreachable at start', async () => {
    const config = defaultConfig().index;
    config.engine = 'postgres';
    config.postgres.url = `postgres://postgres@127.0.0.1:${peer.port}/no_such_database`;
    const started = Date.now();
    // A missing database is a configuration error, not an outage: it must not look like one.
    await assert.rejects(createSessionIndex(config), (err: Error) => !(err instanceof IndexUnavailableError) && /no_such_database/.test(err.message));
    const closed = new PostgresIndex({ url: 'postgres://postgres@127.0.0.1:1/x', maxConnections: 1 });
    await assert.rejects(closed.migrate(), (err: Error) => err instanceof IndexUnavailableError && /127\.0\.0\.1:1/.test(err.message) && !/postgres@/.test(err.message));
    await closed.close();
    assert.ok(Date.now() - started < 5000);
  });

  for (const how of ['stop', 'kill'] as const) {
    it(`answers IndexUnavailableError while the server is down (${how}) and recovers on the same object`, async () => {
      const index = await open();
      const tenant = freshTenant();
      try {
        await index.applyActivity([activity(tenant, 'S', { clicks: 1 })]);
        assert.deepEqual(await index.insertSegments([segmentRow(tenant, 'S', 'w', 0)]), [true]);
        await peer[how]();
        const down = Date.now();
        const unavailable = (err: Error): boolean => err instanceof IndexUnavailableError && /retry later/.test(err.message);
        await assert.rejects(index.ping(), unavailable);
        await assert.rejects(index.insertSegments([segmentRow(tenant, 'S', 'w', 1)]), unavailable);
        await assert.rejects(index.applyActivity([activity(tenant, 'S', { clicks: 1 })]), unavailable);
        await assert.rejects(index.searchSessions({ tenant, limit: 10, offset: 0 }), unavailable);
        await assert.rejects(index.getSession(tenant, 'S'), unavailable);
        assert.ok(Date.now() - down < 5000, `outage took ${Date.now() - down} ms to report`);
        await peer.restart();
        await index.ping();
        assert.deepEqual(await index.insertSegments([segmentRow(tenant, 'S', 'w', 0), segmentRow(tenant, 'S', 'w', 1)]), [false, true]);
        await index.applyActivity([activity(tenant, 'S', { clicks: 1 })]);
        assert.equal((await index.getSession(tenant, 'S'))?.clicks, 2);
      } finally {
        await index.close();
      }
    });
  }
});

describe('PostgresIndex: deletion and jobs across receivers', () => {
  it('lets only one receiver run a job at a time, and frees it when that receiver dies', async () => {
    const [a, b] = [await open(), await open()];
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const running = a.runExclusive('shared-job', () => gate.then(() => 'a'));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await b.runExclusive('shared-job', async () => 'b'), { ran: false });
      release();
      assert.deepEqual(await running, { ran: true, result: 'a' });
      assert.deepEqual(await b.runExclusive('shared-job', async () => 'b'), { ran: true, result: 'b' });
      // A receiver that dies mid-job (its connections close) does not block the others.
      const dying = await open();
      let wake!: () => void;
      const stuck = dying.runExclusive('shared-job', () => new Promise<void>((resolve) => {
        wake = resolve;
      }));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await b.runExclusive('shared-job', async () => 'b'), { ran: false });
      const admin = new pg.Client({ connectionString: peer.url });
      await admin.connect();
      try {
        const killed = await admin.query(
          // Job locks are two-key advisory locks (objsubid 2) in the namespace 0x6f72706a.
          `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid = ${0x6f72706a} AND granted`,
        );
        assert.equal(killed.rowCount, 1, 'one connection held the job lock');
      } finally {
        await admin.end();
      }
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await b.runExclusive('shared-job', async () => 'b again'), { ran: true, result: 'b again' });
      wake();
      await stuck.catch(() => {});
      await dying.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('never lets a session deleted on one receiver come back through ingest racing on another', async () => {
    const [a, b] = [await open(), await open()];
    const tenant = freshTenant();
    try {
      await b.insertSegments([segmentRow(tenant, 'S', 'w', 0)]);
      let seq = 1;
      let stop = false;
      // Receiver B keeps storing segments and activity of S while A deletes it.
      const writer = (async () => {
        while (!stop && seq < 400) {
          await b.insertSegments([segmentRow(tenant, 'S', 'w', seq), segmentRow(tenant, 'other', 'w', seq)]);
          await b.applyActivity([activity(tenant, 'S', { clicks: 1 })]);
          seq++;
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await a.deleteSessions(tenant, ['S'], Date.now()), ['S']);
      assert.equal(await b.getSession(tenant, 'S'), null, 'gone for the other receiver at once');
      await new Promise((r) => setTimeout(r, 100));
      stop = true;
      await writer;
      assert.ok(seq > 5, `the writer made progress (${seq})`);
      assert.equal(await a.getSession(tenant, 'S'), null);
      assert.deepEqual(await b.listSegments(tenant, 'S'), []);
      assert.equal((await a.listSegments(tenant, 'other')).length, seq - 1, 'the other session lost nothing');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
