// Tests of the S3 object store against a real S3-compatible server (s3rver in a child
// process), including what happens when that server crashes, hangs and comes back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3ServerPeer } from '../../test/peers/s3-server.ts';
import { startS3Server } from '../../test/peers/s3-server.ts';
import { InvalidObjectKeyError } from './object-key-check.ts';
import { ObjectNotFoundError, StoreUnavailableError } from './object-store.ts';
import type { S3StoreOptions } from './s3-store.ts';
import { S3Store } from './s3-store.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function optionsFor(peer: S3ServerPeer, extra: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    bucket: peer.bucket,
    region: 'us-east-1',
    endpoint: peer.endpoint,
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    prefix: '',
    requestTimeoutMs: 1000,
    connectionTimeoutMs: 1000,
    ...extra,
  };
}

async function elapsed(fn: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const start = Date.now();
  try {
    await fn();
    return { ms: Date.now() - start, error: null };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

describe('S3Store against s3rver', () => {
  let peer: S3ServerPeer;
  let store: S3Store;

  before(async () => {
    peer = await startS3Server({ bucket: 'replay-test' });
    store = new S3Store(optionsFor(peer, { prefix: 'replay' }));
  });
  after(async () => {
    await store.close();
    await peer.stop();
  });

  it('pings the bucket and describes itself without credentials', async () => {
    await store.ping();
    assert.equal(store.description, `s3:${peer.endpoint}/replay-test/replay/`);
    assert.ok(!store.description.includes('S3RVER'));
  });

  it('puts, reads whole objects and byte ranges', async () => {
    await store.put('t1/segments/v1/2025-01-01/a.orp', enc.encode('0123456789abcdef'));
    assert.equal(dec.decode(await store.get('t1/segments/v1/2025-01-01/a.orp')), '0123456789abcdef');
    assert.equal(dec.decode(await store.getRange('t1/segments/v1/2025-01-01/a.orp', 0, 4)), '0123');
    assert.equal(dec.decode(await store.getRange('t1/segments/v1/2025-01-01/a.orp', 10, 6)), 'abcdef');
    assert.equal((await store.getRange('t1/segments/v1/2025-01-01/a.orp', 3, 0)).length, 0);
    const binary = new Uint8Array(256 * 1024);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7) & 0xff;
    await store.put('t1/bin.orp', binary);
    assert.deepEqual(await store.get('t1/bin.orp'), binary);
    assert.deepEqual(await store.getRange('t1/bin.orp', 100_000, 5000), binary.subarray(100_000, 105_000));
  });

  it('applies the key prefix, so another store without it sees the full key', async () => {
    const raw = new S3Store(optionsFor(peer));
    try {
      assert.ok((await raw.list('replay/t1/')).includes('replay/t1/bin.orp'));
      assert.deepEqual(await raw.get('replay/t1/bin.orp'), await store.get('t1/bin.orp'));
    } finally {
      await raw.close();
    }
  });

  it('refuses ranges past the end of an object', async () => {
    await assert.rejects(store.getRange('t1/segments/v1/2025-01-01/a.orp', 10, 7), RangeError);
    await assert.rejects(store.getRange('t1/segments/v1/2025-01-01/a.orp', 100, 7), RangeError);
    await assert.rejects(store.getRange('t1/segments/v1/2025-01-01/a.orp', -1, 2), RangeError);
  });

  it('answers ObjectNotFoundError for unknown keys; deleting them resolves', async () => {
    await assert.rejects(store.get('t1/missing.orp'), ObjectNotFoundError);
    await assert.rejects(store.getRange('t1/missing.orp', 0, 10), ObjectNotFoundError);
    await store.delete('t1/missing.orp');
  });

  it('lists across pages, sorted, and deletes', async () => {
    const paged = new S3Store(optionsFor(peer, { prefix: 'replay', listPageSize: 2 }));
    try {
      const keys = ['t2/a/1.orp', 't2/a/2.orp', 't2/b/3.orp', 't2/c.orp', 't20/x.orp'];
      for (const k of keys) await store.put(k, enc.encode(k));
      assert.deepEqual(await paged.list('t2/'), keys.slice(0, 4));
      assert.deepEqual(await paged.list('t2'), keys);
      assert.deepEqual(await paged.list('t2/a/'), ['t2/a/1.orp', 't2/a/2.orp']);
      assert.deepEqual(await paged.list('none/'), []);
      await store.delete('t2/a/1.orp');
      assert.deepEqual(await paged.list('t2/a/'), ['t2/a/2.orp']);
      await assert.rejects(store.get('t2/a/1.orp'), ObjectNotFoundError);
    } finally {
      await paged.close();
    }
  });

  it('rejects hostile keys before sending anything', async () => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a\\b', 'a\u0000b', 'a//b', '', 'a/']) {
      await assert.rejects(store.put(key, enc.encode('x')), InvalidObjectKeyError, `put ${JSON.stringify(key)}`);
      await assert.rejects(store.get(key), InvalidObjectKeyError, `get ${JSON.stringify(key)}`);
    }
    await assert.rejects(store.list('../'), InvalidObjectKeyError);
  });

  it('reports a missing bucket on ping, and createBucketIfMissing creates it', async () => {
    const other = new S3Store(optionsFor(peer, { bucket: 'not-yet-there' }));
    try {
      await assert.rejects(other.ping(), (err: Error) => err instanceof StoreUnavailableError && err.message.includes('not-yet-there'));
      await other.createBucketIfMissing();
      await other.createBucketIfMissing();
      await other.ping();
      await other.put('t1/x.orp', enc.encode('in the new bucket'));
      assert.equal(dec.decode(await other.get('t1/x.orp')), 'in the new bucket');
    } finally {
      await other.close();
    }
  });

  it('turns a crashed server into StoreUnavailableError within seconds, and works again after restart', async () => {
    await store.put('t3/before-crash.orp', enc.encode('kept'));
    peer.kill();
    for (const op of [() => store.put('t3/during.orp', enc.encode('x')), () => store.get('t3/before-crash.orp'), () => store.list('t3/'), () => store.ping()]) {
      const { ms, error } = await elapsed(op);
      assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
      assert.match((error as Error).message, /ECONNREFUSED|socket|connect/i);
      assert.ok(ms < 5000, `took ${ms} ms`);
    }
    await peer.restart();
    await store.ping();
    assert.equal(dec.decode(await store.get('t3/before-crash.orp')), 'kept', 'data survives the restart');
    await store.put('t3/after.orp', enc.encode('again'));
    assert.equal(dec.decode(await store.get('t3/after.orp')), 'again');
  });

  it('turns a hung server into StoreUnavailableError by its deadline, not a hang', async () => {
    peer.pause();
    try {
      const { ms, error } = await elapsed(() => store.put('t3/hung.orp', enc.encode('x')));
      assert.ok(error instanceof StoreUnavailableError, `expected StoreUnavailableError, got ${String(error)}`);
      // Two attempts of 1 s each plus backoff; the whole-call deadline is 5 s.
      assert.ok(ms < 5500, `took ${ms} ms`);
    } finally {
      peer.resume();
    }
    await store.ping();
  });
});
