// The PostgreSQL test peer itself: it names the missing package when the server binaries
// are absent, and a crash (immediate shutdown) followed by restart keeps committed data
// on the same port, which the index outage tests rely on.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { findPostgresBin, startPostgres } from './postgres.ts';

describe('PostgreSQL test peer', () => {
  it('fails with the install command when no server binaries exist', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-nopg-'));
    try {
      assert.throws(() => findPostgresBin(empty), /apt-get install -y postgresql/);
      assert.throws(() => findPostgresBin(path.join(empty, 'absent')), /not found under/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('starts on 127.0.0.1 with fsync on, survives kill + restart on the same port, and cleans up', async () => {
    const peer = await startPostgres({ database: 'peer_check' });
    try {
      assert.match(peer.url, new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${peer.port}/peer_check$`));
      const query = async (sql: string): Promise<pg.QueryResultRow[]> => {
        const client = new pg.Client({ connectionString: peer.url });
        await client.connect();
        try {
          return (await client.query(sql)).rows;
        } finally {
          await client.end();
        }
      };
      assert.deepEqual(await query(`SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen`), [{ fsync: 'on', listen: '127.0.0.1' }]);
      await query('CREATE TABLE kept (v INTEGER); INSERT INTO kept VALUES (42)');
      await peer.kill();
      await assert.rejects(query('SELECT 1'), /ECONNREFUSED/);
      await peer.restart();
      assert.deepEqual(await query('SELECT v FROM kept'), [{ v: 42 }]);
      const other = await peer.createDatabase('peer_other');
      assert.ok(other.endsWith(`:${peer.port}/peer_other`));
    } finally {
      await peer.dispose();
    }
    await assert.rejects(new pg.Client({ connectionString: peer.url }).connect(), /ECONNREFUSED/);
  });
});
