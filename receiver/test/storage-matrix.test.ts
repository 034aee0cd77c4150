// One end-to-end replay scenario run against every storage × index combination the
// receiver supports — filesystem or S3 (a real s3rver peer) for objects, SQLite or
// PostgreSQL (a real server) for the index — and then two receivers sharing one
// PostgreSQL and one bucket, as behind a load balancer. Everything goes through HTTP:
// OTLP/JSON in, query API out.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { chunks, planSessions, SegmentClient, segKey, verifyStored } from './helpers/replay-load.ts';
import type { MadeSegment } from './helpers/replay-load.ts';
import { startPostgres } from './peers/postgres.ts';
import type { PostgresPeer } from './peers/postgres.ts';
import { startS3Server } from './peers/s3-server.ts';
import type { S3ServerPeer } from './peers/s3-server.ts';

let s3: S3ServerPeer;
let pg: PostgresPeer;

before(async () => {
  [s3, pg] = await Promise.all([startS3Server({ bucket: 'matrix-test' }), startPostgres({ database: 'matrix_base' })]);
});
after(async () => {
  await s3?.stop();
  await pg?.dispose();
});

function s3Storage(prefix: string): Record<string, unknown> {
  return { backend: 's3', s3: { bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', prefix } };
}

async function pgIndex(database: string): Promise<Record<string, unknown>> {
  return { engine: 'postgres', postgres: { url: await pg.createDatabase(database) } };
}

/** A fixed, scrambled order (not by session, not by seq), the same on every run. */
function scrambled<T>(items: readonly T[]): T[] {
  return items.map((item, i) => ({ item, k: (i * 7919) % 104729 })).sort((a, b) => a.k - b.k).map((x) => x.item);
}

/** Sends `batches` four requests at a time and insists every answer is 200. */
async function sendAll(client: SegmentClient, batches: MadeSegment[][]): Promise<void> {
  for (const wave of chunks(batches, 4)) {
    const answers = await Promise.all(wave.map((b) => client.send(b)));
    for (const [i, res] of answers.entries()) assert.equal(res.status, 200, `request with ${wave[i]!.map((m) => segKey(m.segment.meta)).join(', ')}: ${res.body.toString('utf8').slice(0, 300)}`);
  }
}

/**
 * The scenario: 3 sessions × 2 windows × 6 segments (gzip-json and json) in scrambled
 * requests, some mixing sessions; then duplicates (a whole session again, one segment
 * twice in one request); then everything read back through the query API.
 */
async function scenario(rx: RunningReceiver, prefix: string): Promise<void> {
  const made = planSessions({ prefix, sessions: 3, windows: 2, perWindow: 6 });
  const client = new SegmentClient(rx.url);
  const first = chunks(scrambled(made), 3);
  await sendAll(client, first);
  const stats = rx.receiver.services.committer.stats();
  assert.equal(stats.segmentsWritten, made.length, 'each segment written once');
  // Group commit: concurrent requests share objects.
  assert.ok(stats.objectsWritten <= first.length, `${stats.objectsWritten} objects for ${first.length} requests`);

  const session0 = made.filter((m) => m.segment.meta.sessionId === `${prefix}-s0`);
  const twice = [made[5]!, made[5]!, made[20]!];
  await sendAll(client, [session0, twice, made.slice(30, 33)]);
  const later = rx.receiver.services.committer.stats();
  assert.equal(later.segmentsWritten, made.length, 'resent segments are not written again');
  assert.equal(later.duplicatesDropped - stats.duplicatesDropped, session0.length + twice.length + 3, 'every resent segment is dropped as a duplicate');

  await verifyStored(rx.url, made);
}

const combos: { name: string; store: RegExp; engine: string; overrides: () => Promise<Record<string, unknown>> }[] = [
  { name: 'filesystem + SQLite', store: /^filesystem:/, engine: 'sqlite', overrides: async () => ({}) },
  { name: 'S3 + SQLite', store: /^s3:/, engine: 'sqlite', overrides: async () => ({ storage: s3Storage('s3-sqlite') }) },
  { name: 'filesystem + PostgreSQL', store: /^filesystem:/, engine: 'postgres', overrides: async () => ({ index: await pgIndex('fs_pg') }) },
  { name: 'S3 + PostgreSQL', store: /^s3:/, engine: 'postgres', overrides: async () => ({ storage: s3Storage('s3-pg'), index: await pgIndex('s3_pg') }) },
];

for (const [i, combo] of combos.entries()) {
  describe(`storage matrix: ${combo.name}`, () => {
    test('segments of several sessions, windows and encodings come back byte-identical, once each, in (window, seq) order', { timeout: 60_000 }, async () => {
      const rx = await startReceiver(await combo.overrides());
      try {
        assert.match(rx.receiver.services.store.description, combo.store);
        assert.equal(rx.receiver.services.config.index.engine, combo.engine);
        await scenario(rx, `m${i}`);
        assert.ok((await rx.receiver.services.store.list('')).length > 0, 'objects are in the configured store');
      } finally {
        await rx.stop();
      }
    });
  });
}

describe('storage matrix: two receivers sharing one PostgreSQL and one S3 bucket', () => {
  let a: RunningReceiver;
  let b: RunningReceiver;

  before(async () => {
    const index = await pgIndex('shared');
    a = await startReceiver({ instanceId: 'rx-a', storage: s3Storage('shared'), index });
    b = await startReceiver({ instanceId: 'rx-b', storage: s3Storage('shared'), index });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  test('a session sent half to each receiver is whole from either; duplicates sent to both are stored once', { timeout: 60_000 }, async () => {
    const made = planSessions({ prefix: 'lb', sessions: 2, windows: 2, perWindow: 8 });
    const toA = new SegmentClient(a.url);
    const toB = new SegmentClient(b.url);
    const halves = chunks(made, 2);
    // Alternate requests between the receivers, as a round-robin load balancer does.
    await Promise.all([
      sendAll(toA, halves.filter((_, n) => n % 2 === 0)),
      sendAll(toB, halves.filter((_, n) => n % 2 === 1)),
    ]);
    const written = () => a.receiver.services.committer.stats().segmentsWritten + b.receiver.services.committer.stats().segmentsWritten;
    assert.equal(written(), made.length);
    assert.ok(a.receiver.services.committer.stats().segmentsWritten > 0 && b.receiver.services.committer.stats().segmentsWritten > 0, 'both receivers stored part of the sessions');

    // The same retries reach both receivers at the same moment: the shared unique index settles who stores them.
    const dupes = made.filter((_, n) => n % 3 === 0);
    await Promise.all([sendAll(toA, chunks(dupes, 3)), sendAll(toB, chunks(dupes, 3))]);
    assert.equal(written(), made.length, 'duplicates sent to both receivers add no index rows');

    await verifyStored(a.url, made);
    await verifyStored(b.url, made);
  });
});
