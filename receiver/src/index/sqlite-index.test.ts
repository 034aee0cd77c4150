// Runs the shared SessionIndex suite against SQLite in a temp file, plus what only the
// embedded engine promises: WAL + durable commits, data surviving a reopen, a lock held
// too long by another writer surfacing as IndexUnavailableError.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../config.ts';
import { createSessionIndex } from './create-index.ts';
import { MIGRATIONS } from './schema.ts';
import { IndexUnavailableError } from './session-index.ts';
import { lifecycleSuite } from './lifecycle.suite.ts';
import { activity, freshTenant, segmentRow, sessionIndexSuite } from './session-index.suite.ts';
import { SqliteIndex } from './sqlite-index.ts';

let dir = '';
let file = '';

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-sqlite-'));
  file = path.join(dir, 'nested', 'index.sqlite');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function open(options: { now?: () => number } = {}): Promise<SqliteIndex> {
  const index = new SqliteIndex({ path: file, ...options });
  await index.migrate();
  return index;
}

describe('SqliteIndex: shared SessionIndex behaviour', () => {
  sessionIndexSuite((options) => open(options));
});

describe('SqliteIndex: shared session lifecycle (caps, deletion, retention)', () => {
  lifecycleSuite(() => open());
});

describe('SqliteIndex: embedded engine specifics', () => {
  it('keeps data across close and reopen, in WAL mode with one row per migration', async () => {
    const tenant = freshTenant();
    const first = await open();
    await first.insertSegments([segmentRow(tenant, 'S', 'w', 0)]);
    await first.applyActivity([activity(tenant, 'S', { clicks: 4, urls: ['https://a.example/'] })]);
    await first.close();
    await first.close();
    const again = await open();
    try {
      assert.equal((await again.getSession(tenant, 'S'))?.clicks, 4);
      assert.deepEqual((await again.listSegments(tenant, 'S')).map((r) => r.seq), [0]);
      assert.deepEqual(await again.insertSegments([segmentRow(tenant, 'S', 'w', 0)]), [false]);
    } finally {
      await again.close();
    }
    const raw = new DatabaseSync(file, { readOnly: true });
    try {
      assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      const versions = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => Number(r.version));
      assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
    } finally {
      raw.close();
    }
  });

  it('answers IndexUnavailableError when another writer holds the lock past the busy timeout', async () => {
    const index = new SqliteIndex({ path: file, busyTimeoutMs: 50 });
    await index.migrate();
    const blocker = new DatabaseSync(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      const tenant = freshTenant();
      await assert.rejects(index.applyActivity([activity(tenant, 'S', { clicks: 1 })]), (err: Error) => err instanceof IndexUnavailableError && /retry later/.test(err.message));
      await assert.rejects(index.insertSegments([segmentRow(tenant, 'S', 'w', 0)]), IndexUnavailableError);
      blocker.exec('ROLLBACK');
      // The same object works again once the lock is gone, and nothing half-done remains.
      assert.equal(await index.getSession(tenant, 'S'), null);
      assert.deepEqual(await index.insertSegments([segmentRow(tenant, 'S', 'w', 0)]), [true]);
    } finally {
      blocker.close();
      await index.close();
    }
  });

  it('refuses calls after close with IndexUnavailableError', async () => {
    const index = await open();
    await index.close();
    await assert.rejects(index.ping(), IndexUnavailableError);
    await assert.rejects(index.insertSegments([segmentRow(freshTenant(), 'S', 'w', 0)]), IndexUnavailableError);
  });

  it('is created and migrated from configuration by createSessionIndex', async () => {
    const config = defaultConfig().index;
    config.sqlite.path = path.join(dir, 'from-config', 'index.sqlite');
    const index = await createSessionIndex(config);
    try {
      assert.ok(index instanceof SqliteIndex);
      await index.ping();
      assert.equal((await index.searchSessions({ tenant: 'x', limit: 1, offset: 0 })).total, 0);
    } finally {
      await index.close();
    }
  });

  it('works in memory', async () => {
    const index = new SqliteIndex({ path: ':memory:' });
    await index.migrate();
    await index.applyActivity([activity('t', 'S', { errors: 1 })]);
    assert.equal((await index.searchSessions({ tenant: 't', hasErrors: true, limit: 10, offset: 0 })).total, 1);
    await index.close();
  });
});
