// Tests of the group committer with both real object stores (filesystem, and S3 through
// an s3rver child process) and an in-memory fake of the index's two segment methods.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Segment, SegmentEncoding, SegmentIndexRow } from '@otel-replay/protocol';
import { ProtocolError, readManifest } from '@otel-replay/protocol';
import type { SessionIndex } from '../index/session-index.ts';
import { IndexUnavailableError, segmentKey } from '../index/session-index.ts';
import type { S3ServerPeer } from '../../test/peers/s3-server.ts';
import { startS3Server } from '../../test/peers/s3-server.ts';
import { FilesystemStore } from './fs-store.ts';
import type { CommitResult } from './group-commit.ts';
import { CommitterClosedError, GroupCommitter } from './group-commit.ts';
import type { ObjectStore } from './object-store.ts';
import { StoreUnavailableError } from './object-store.ts';
import { S3Store } from './s3-store.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The index's segment table, in memory, unique on (tenant, session, window, seq). */
class FakeIndex implements Pick<SessionIndex, 'insertSegments' | 'existingSegments'> {
  readonly rows = new Map<string, SegmentIndexRow>();
  insertCalls = 0;
  failInsert: Error | null = null;
  /** Pretend existingSegments saw nothing (a concurrent writer inserted meanwhile). */
  hideExisting = false;

  private key(tenant: string, sessionId: string, windowId: string, seq: number): string {
    return `${tenant}\u0000${segmentKey(sessionId, windowId, seq)}`;
  }

  async insertSegments(rows: SegmentIndexRow[]): Promise<boolean[]> {
    this.insertCalls++;
    await sleep(1);
    if (this.failInsert) throw this.failInsert;
    return rows.map((r) => {
      const k = this.key(r.tenant, r.sessionId, r.windowId, r.seq);
      if (this.rows.has(k)) return false;
      this.rows.set(k, r);
      return true;
    });
  }

  async existingSegments(tenant: string, keys: { sessionId: string; windowId: string; seq: number }[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (this.hideExisting) return out;
    for (const k of keys) if (this.rows.has(this.key(tenant, k.sessionId, k.windowId, k.seq))) out.add(segmentKey(k.sessionId, k.windowId, k.seq));
    return out;
  }

  rowsOf(tenant: string): SegmentIndexRow[] {
    return [...this.rows.values()].filter((r) => r.tenant === tenant);
  }
}

/** Wraps a store to count PUTs, slow them down, or fail them like an outage would. */
class WrappedStore implements ObjectStore {
  puts = 0;
  putDelayMs = 0;
  failing = false;
  readonly inner: ObjectStore;
  constructor(inner: ObjectStore) {
    this.inner = inner;
  }
  get description(): string {
    return `wrapped ${this.inner.description}`;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.puts++;
    if (this.putDelayMs) await sleep(this.putDelayMs);
    if (this.failing) throw new StoreUnavailableError(`test outage: cannot PUT ${key}`);
    return this.inner.put(key, bytes);
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.inner.getRange(key, offset, length);
  }
  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function rrwebJson(sessionId: string, seq: number): string {
  const events = [
    { type: 4, timestamp: 1_700_000_000_000 + seq * 1000, data: { href: `https://example.test/${sessionId}`, width: 1280, height: 720 } },
    { type: 3, timestamp: 1_700_000_000_500 + seq * 1000, data: { source: 1, positions: Array.from({ length: 20 }, (_, i) => ({ x: i, y: seq, id: 1, timeOffset: i })) } },
  ];
  return JSON.stringify(events);
}

function makeSegment(sessionId: string, seq: number, encoding: SegmentEncoding = 'gzip-json', windowId = 'w1'): Segment {
  const json = rrwebJson(sessionId, seq);
  return {
    meta: {
      sessionId,
      windowId,
      seq,
      firstTimestamp: 1_700_000_000_000 + seq * 1000,
      lastTimestamp: 1_700_000_000_500 + seq * 1000,
      eventCount: 2,
      hasFullSnapshot: seq === 0,
      encoding,
      protocolVersion: 1,
    },
    body: encoding === 'json' ? enc.encode(json) : new Uint8Array(gzipSync(json)),
  };
}

/** Reads every stored row back from the store and checks it is the segment's events. */
async function assertRowsReadBack(store: ObjectStore, rows: SegmentIndexRow[], sent: Map<string, Segment>): Promise<void> {
  for (const row of rows) {
    const segment = sent.get(segmentKey(row.sessionId, row.windowId, row.seq));
    assert.ok(segment, `row for unknown segment ${row.sessionId}/${row.seq}`);
    const member = await store.getRange(row.objectKey, row.offset, row.length);
    if (row.encoding === 'gzip-json') assert.deepEqual(member, segment.body, 'a gzip-json body is stored as sent');
    else assert.equal(gunzipSync(member).toString('utf8'), dec.decode(segment.body), 'a json body is stored gzipped');
  }
}

interface Backend {
  name: string;
  setup(): Promise<ObjectStore>;
  /** Makes the store unreachable, then reachable again. */
  breakStore(wrapped: WrappedStore): Promise<void>;
  fixStore(wrapped: WrappedStore): Promise<void>;
  teardown(): Promise<void>;
}

function filesystemBackend(): Backend {
  let dir = '';
  return {
    name: 'filesystem',
    async setup() {
      dir = await mkdtemp(path.join(os.tmpdir(), 'otel-replay-group-commit-'));
      return new FilesystemStore(path.join(dir, 'objects'));
    },
    async breakStore(w) {
      w.failing = true;
    },
    async fixStore(w) {
      w.failing = false;
    },
    async teardown() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function s3Backend(): Backend {
  let peer: S3ServerPeer | null = null;
  let store: S3Store | null = null;
  return {
    name: 's3 (s3rver)',
    async setup() {
      peer = await startS3Server({ bucket: 'group-commit' });
      store = new S3Store({ bucket: peer.bucket, region: 'us-east-1', endpoint: peer.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', prefix: 'gc', requestTimeoutMs: 1000, connectionTimeoutMs: 1000 });
      await store.ping();
      return store;
    },
    // A real outage: the server process dies, then comes back with its data.
    async breakStore() {
      peer!.kill();
    },
    async fixStore() {
      await peer!.restart();
    },
    async teardown() {
      await store?.close();
      await peer?.stop();
    },
  };
}

for (const backend of [filesystemBackend(), s3Backend()]) {
  describe(`GroupCommitter on ${backend.name}`, () => {
    let base: ObjectStore;
    let tenantCounter = 0;
    const tenant = (): string => `tenant-${++tenantCounter}`;

    before(async () => {
      base = await backend.setup();
    });
    after(async () => {
      await backend.teardown();
    });

    it('packs many concurrent submits from many sessions into about one object per window', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const maxDelayMs = 100;
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs, maxBytes: 64 * 1024 * 1024 });
      const sent = new Map<string, Segment>();
      const seqs = new Map<string, number>();
      const pending: Promise<CommitResult>[] = [];
      const started = Date.now();
      // ~120 requests of 1-3 segments from 30 sessions over ~600 ms, none awaited.
      for (let i = 0; i < 120; i++) {
        const sessionId = `sess-${i % 30}`;
        const segments: Segment[] = [];
        for (let j = 0; j <= i % 3; j++) {
          const seq = seqs.get(sessionId) ?? 0;
          seqs.set(sessionId, seq + 1);
          const s = makeSegment(sessionId, seq, i % 4 === 0 ? 'json' : 'gzip-json');
          sent.set(segmentKey(sessionId, 'w1', seq), s);
          segments.push(s);
        }
        pending.push(gc.submit(t, segments));
        await sleep(5);
      }
      const results = await Promise.all(pending);
      const duration = Date.now() - started;
      const stored = results.flatMap((r) => r.stored);
      assert.equal(stored.length, sent.size, 'every segment stored');
      assert.equal(results.flatMap((r) => r.duplicates).length, 0);
      const objects = await store.list(`${t}/`);
      const stats = gc.stats();
      assert.equal(objects.length, stats.objectsWritten);
      assert.equal(store.puts, objects.length);
      // One object per window of maxDelayMs (plus the trailing partial window), not one per segment.
      assert.ok(objects.length >= 2 && objects.length <= Math.ceil(duration / maxDelayMs) + 2, `${objects.length} objects for ${sent.size} segments in ${duration} ms`);
      assert.ok(objects.length * 10 < sent.size, `${objects.length} objects for ${sent.size} segments`);
      assert.equal(stats.segmentsWritten, sent.size);
      assert.equal(stats.pendingSegments, 0);
      assert.equal(stats.pendingBytes, 0);
      assert.ok(stats.bytesWritten > 0);
      assert.equal(index.rowsOf(t).length, sent.size);
      // Each submit's rows come back in the order its segments were sent.
      for (const r of results) {
        const seqsOfSession = new Map<string, number>();
        for (const row of r.stored) {
          assert.ok((seqsOfSession.get(row.sessionId) ?? -1) < row.seq);
          seqsOfSession.set(row.sessionId, row.seq);
        }
      }
      await assertRowsReadBack(store, stored, sent);

      // Every object's manifest lists exactly the rows that point into it.
      for (const key of objects) {
        const manifest = readManifest(await store.get(key));
        assert.equal(manifest.tenant, t);
        const rowsHere = stored.filter((r) => r.objectKey === key).map((r) => ({ sessionId: r.sessionId, windowId: r.windowId, seq: r.seq, offset: r.offset, length: r.length, hasFullSnapshot: r.hasFullSnapshot, encoding: r.encoding }));
        const listed = manifest.segments.map((s) => ({ sessionId: s.sessionId, windowId: s.windowId, seq: s.seq, offset: s.offset, length: s.length, hasFullSnapshot: s.hasFullSnapshot, encoding: s.encoding }));
        const order = (a: { sessionId: string; seq: number }, b: { sessionId: string; seq: number }): number => a.sessionId.localeCompare(b.sessionId) || a.seq - b.seq;
        assert.deepEqual(listed.sort(order), rowsHere.sort(order));
      }
      await gc.close();
    });

    it('names objects by tenant, day and instance, one object per tenant per group', async () => {
      const [t1, t2] = [tenant(), tenant()];
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const now = Date.UTC(2025, 0, 2, 3, 4, 5);
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-A', maxDelayMs: 50, maxBytes: 64 * 1024 * 1024, now: () => now });
      const [r1, r2, r3] = await Promise.all([gc.submit(t1, [makeSegment('s1', 0)]), gc.submit(t2, [makeSegment('s2', 0)]), gc.submit(t1, [makeSegment('s3', 0, 'json')])]);
      assert.equal(store.puts, 2);
      assert.equal(r1.stored[0]!.objectKey, r3.stored[0]!.objectKey, 'same tenant, same group: same object');
      assert.notEqual(r1.stored[0]!.objectKey, r2.stored[0]!.objectKey);
      assert.match(r1.stored[0]!.objectKey, new RegExp(`^${t1}/segments/v1/2025-01-02/inst-A-${now}-[0-9a-f]+\\.orp$`));
      assert.match(r2.stored[0]!.objectKey, new RegExp(`^${t2}/`));
      assert.equal(r1.stored[0]!.receivedAt, now);
      assert.deepEqual(await store.list(`${t1}/`), [r1.stored[0]!.objectKey]);
      await gc.close();
    });

    it('drops duplicates within a group and against the index', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 50, maxBytes: 64 * 1024 * 1024 });
      const a0 = makeSegment('dup', 0);
      const a1 = makeSegment('dup', 1, 'json');
      // Twice inside one submit and again in a second submit of the same group (a retry).
      const [first, retry] = await Promise.all([gc.submit(t, [a0, a1, a0]), gc.submit(t, [a1, makeSegment('dup', 2)])]);
      assert.deepEqual(first.stored.map((r) => r.seq), [0, 1]);
      assert.deepEqual(first.duplicates.map((m) => m.seq), [0]);
      assert.deepEqual(retry.stored.map((r) => r.seq), [2]);
      assert.deepEqual(retry.duplicates.map((m) => m.seq), [1]);
      assert.equal(store.puts, 1);
      const manifest = readManifest(await store.get(first.stored[0]!.objectKey));
      assert.deepEqual(manifest.segments.map((s) => s.seq).sort(), [0, 1, 2], 'each segment is stored once');

      // A later group: everything already indexed, so nothing is written at all.
      const later = await gc.submit(t, [a0, a1]);
      assert.deepEqual(later.stored, []);
      assert.deepEqual(later.duplicates.map((m) => m.seq), [0, 1]);
      assert.equal(store.puts, 1);
      // Mixed: one old, one new.
      const mixed = await gc.submit(t, [a1, makeSegment('dup', 3)]);
      assert.deepEqual(mixed.stored.map((r) => r.seq), [3]);
      assert.deepEqual(mixed.duplicates.map((m) => m.seq), [1]);
      assert.equal(gc.stats().duplicatesDropped, 5);
      assert.equal(index.rowsOf(t).length, 4);
      await gc.close();
    });

    it('reports rows the index refused (a concurrent writer won) as duplicates', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 20, maxBytes: 64 * 1024 * 1024 });
      await gc.submit(t, [makeSegment('race', 0)]);
      index.hideExisting = true;
      const again = await gc.submit(t, [makeSegment('race', 0), makeSegment('race', 1)]);
      assert.deepEqual(again.stored.map((r) => r.seq), [1]);
      assert.deepEqual(again.duplicates.map((m) => m.seq), [0]);
      assert.equal(index.rowsOf(t).find((r) => r.seq === 0)!.objectKey !== again.stored[0]!.objectKey, true, 'the first writer keeps its row');
      await gc.close();
    });

    it('rejects every submitter of a group the store could not take, and indexes nothing', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 30, maxBytes: 64 * 1024 * 1024 });
      await backend.breakStore(store);
      const started = Date.now();
      const outcomes = await Promise.allSettled([gc.submit(t, [makeSegment('out-1', 0)]), gc.submit(t, [makeSegment('out-2', 0), makeSegment('out-2', 1)])]);
      assert.ok(Date.now() - started < 6000, 'an outage is reported within seconds');
      for (const o of outcomes) {
        assert.equal(o.status, 'rejected');
        assert.ok((o as PromiseRejectedResult).reason instanceof StoreUnavailableError, String((o as PromiseRejectedResult).reason));
      }
      assert.equal(index.insertCalls, 0);
      assert.equal(index.rowsOf(t).length, 0);
      assert.equal(gc.stats().pendingSegments, 0);
      assert.equal(gc.stats().objectsWritten, 0);

      await backend.fixStore(store);
      const retried = await gc.submit(t, [makeSegment('out-1', 0), makeSegment('out-2', 0), makeSegment('out-2', 1)]);
      assert.equal(retried.stored.length, 3, 'a retry after the outage is stored');
      assert.equal(index.rowsOf(t).length, 3);
      await gc.close();
    });

    it('rejects the group with the index error when the index write fails', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 20, maxBytes: 64 * 1024 * 1024 });
      const failure = new IndexUnavailableError('test: database is down');
      index.failInsert = failure;
      await assert.rejects(gc.submit(t, [makeSegment('idx', 0)]), (err) => err === failure);
      assert.equal(index.rowsOf(t).length, 0);
      index.failInsert = null;
      const ok = await gc.submit(t, [makeSegment('idx', 0)]);
      assert.equal(ok.stored.length, 1);
      await gc.close();
    });

    it('isolates a bad tenant id: its submitter is rejected, the others in the group are stored', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 20, maxBytes: 64 * 1024 * 1024 });
      const [bad, good] = await Promise.allSettled([gc.submit('../escape', [makeSegment('x', 0)]), gc.submit(t, [makeSegment('y', 0)])]);
      assert.equal(bad.status, 'rejected');
      assert.ok((bad as PromiseRejectedResult).reason instanceof ProtocolError);
      assert.equal(good.status, 'fulfilled');
      assert.equal((good as PromiseFulfilledResult<CommitResult>).value.stored.length, 1);
      assert.equal(index.rows.size, 1);
      await gc.close();
    });

    it('writes early when maxBytes is reached, and holds smaller groups until their window ends', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 60_000, maxBytes: 2000 });
      let small = false;
      const smallPromise = gc.submit(t, [makeSegment('small', 0)]).then((r) => {
        small = true;
        return r;
      });
      await sleep(50);
      assert.equal(small, false, 'under maxBytes: still collecting');
      assert.equal(gc.stats().pendingSegments, 1);
      const big: Segment[] = [];
      let bytes = 0;
      for (let seq = 0; bytes < 2000; seq++) {
        const s = makeSegment('big', seq, 'json');
        big.push(s);
        bytes += s.body.length;
      }
      const started = Date.now();
      const result = await gc.submit(t, big);
      assert.ok(Date.now() - started < 5000, 'written long before the 60 s window');
      assert.equal(result.stored.length, big.length);
      const smallResult = await smallPromise;
      assert.equal(smallResult.stored.length, 1, 'the small submit travelled in the same group');
      assert.equal(store.puts, 1);
      await gc.close();
    });

    it('close() writes what is pending and then refuses new work', async () => {
      const t = tenant();
      const store = new WrappedStore(base);
      const index = new FakeIndex();
      const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 60_000, maxBytes: 64 * 1024 * 1024 });
      const empty = await gc.submit(t, []);
      assert.deepEqual(empty, { stored: [], duplicates: [] }, 'zero segments resolve at once');
      const p = gc.submit(t, [makeSegment('c', 0), makeSegment('c', 1, 'json')]);
      await gc.close();
      const r = await p;
      assert.equal(r.stored.length, 2);
      assert.equal(store.puts, 1);
      await assertRowsReadBack(store, r.stored, new Map([0, 1].map((seq) => [segmentKey('c', 'w1', seq), makeSegment('c', seq, seq === 1 ? 'json' : 'gzip-json')])));
      await assert.rejects(gc.submit(t, [makeSegment('c', 2)]), CommitterClosedError);
      assert.deepEqual(await gc.submit(t, []).catch((e: Error) => e.name), 'CommitterClosedError');
    });
  });
}

describe('GroupCommitter pipelining', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'otel-replay-group-pipe-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps collecting and writing new groups while a slow PUT is in flight', async () => {
    const store = new WrappedStore(new FilesystemStore(dir));
    store.putDelayMs = 300;
    const index = new FakeIndex();
    const gc = new GroupCommitter({ store, index, instanceId: 'inst-1', maxDelayMs: 50, maxBytes: 64 * 1024 * 1024 });
    const started = Date.now();
    const done: number[] = [];
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      pending.push(gc.submit('t', [makeSegment(`p${i}`, 0)]).then(() => done.push(Date.now() - started)));
      await sleep(70);
    }
    await Promise.all(pending);
    assert.equal(store.puts, 4, 'four windows, four groups');
    // Serially this would take 4 x (50 + 300) ms; overlapping writes finish far sooner.
    const total = Date.now() - started;
    assert.ok(total < 900, `took ${total} ms; writes did not overlap`);
    assert.equal(gc.stats().segmentsWritten, 4);
    await gc.close();
  });

  it('rejects bad options', () => {
    const store = new FilesystemStore(dir);
    const index = new FakeIndex();
    assert.throws(() => new GroupCommitter({ store, index, instanceId: 'i', maxDelayMs: 0, maxBytes: 1 }), /maxDelayMs/);
    assert.throws(() => new GroupCommitter({ store, index, instanceId: 'i', maxDelayMs: 10, maxBytes: Number.NaN }), /maxBytes/);
  });
});
