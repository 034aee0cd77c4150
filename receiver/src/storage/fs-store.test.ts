// Tests of the filesystem object store: durable puts, range reads, hostile keys, listing.

import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FilesystemStore } from './fs-store.ts';
import { InvalidObjectKeyError } from './object-key-check.ts';
import { ObjectNotFoundError, StoreUnavailableError } from './object-store.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe('FilesystemStore', () => {
  let base: string;
  let root: string;
  let store: FilesystemStore;

  before(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'otel-replay-fs-store-'));
    root = path.join(base, 'objects');
    store = new FilesystemStore(root);
  });
  after(async () => {
    await store.close();
    await rm(base, { recursive: true, force: true });
  });

  it('puts into new nested directories and reads the same bytes back, leaving no temporary files', async () => {
    const bytes = enc.encode('hello, durable world');
    await store.put('t1/segments/v1/2025-01-02/i-1-abc.orp', bytes);
    assert.deepEqual(await readFile(path.join(root, 't1', 'segments', 'v1', '2025-01-02', 'i-1-abc.orp')), Buffer.from(bytes));
    assert.deepEqual(await store.get('t1/segments/v1/2025-01-02/i-1-abc.orp'), bytes);
    assert.deepEqual(await allFiles(root), [path.join('t1', 'segments', 'v1', '2025-01-02', 'i-1-abc.orp')]);
  });

  it('fsyncs the temporary file before renaming it, then every directory that gained an entry', async () => {
    // Spy on FileHandle.sync; /proc/self/fd names what each synced descriptor is (Linux).
    const probe = await open(path.join(base, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: (this: { fd: number }) => Promise<void> };
    await probe.close();
    const original = proto.sync;
    const synced: string[] = [];
    proto.sync = function (this: { fd: number }) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
      return original.call(this);
    };
    try {
      await store.put('t1/durable/deeper/obj.orp', enc.encode('x'));
    } finally {
      proto.sync = original;
    }
    const dir = path.join(root, 't1', 'durable', 'deeper');
    assert.equal(synced.length, 4, `synced: ${synced.join(', ')}`);
    assert.match(path.basename(synced[0]!), /^\.obj\.orp\.[0-9a-f]+\.tmp$/, 'the bytes are fsynced under the temporary name, before the rename');
    assert.equal(path.dirname(synced[0]!), dir, 'the temporary file lives in the destination directory');
    assert.deepEqual(synced.slice(1), [dir, path.join(root, 't1', 'durable'), path.join(root, 't1')]);
  });

  it('replaces an object atomically on a second put of the same key', async () => {
    await store.put('t1/replace.orp', enc.encode('first version, longer'));
    await store.put('t1/replace.orp', enc.encode('second'));
    assert.equal(dec.decode(await store.get('t1/replace.orp')), 'second');
    assert.equal((await readdir(path.join(root, 't1'))).filter((n) => n.startsWith('.')).length, 0);
  });

  it('stores large and empty objects intact', async () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await store.put('t1/big.orp', big);
    assert.deepEqual(await store.get('t1/big.orp'), big);
    await store.put('t1/empty.orp', new Uint8Array(0));
    assert.equal((await store.get('t1/empty.orp')).length, 0);
  });

  it('reads byte ranges at an offset', async () => {
    await store.put('t2/range.orp', enc.encode('0123456789abcdef'));
    assert.equal(dec.decode(await store.getRange('t2/range.orp', 0, 4)), '0123');
    assert.equal(dec.decode(await store.getRange('t2/range.orp', 10, 6)), 'abcdef');
    assert.equal((await store.getRange('t2/range.orp', 5, 0)).length, 0);
    const big = await store.getRange('t1/big.orp', 2 * 1024 * 1024, 1000);
    assert.equal(big[0], ((2 * 1024 * 1024) * 31) & 0xff);
    assert.equal(big.length, 1000);
  });

  it('refuses ranges past the end of an object or with bad numbers', async () => {
    await assert.rejects(store.getRange('t2/range.orp', 10, 7), (err: Error) => err instanceof RangeError && /ends before byte 17/.test(err.message));
    await assert.rejects(store.getRange('t2/range.orp', 100, 1), RangeError);
    await assert.rejects(store.getRange('t2/range.orp', -1, 4), RangeError);
    await assert.rejects(store.getRange('t2/range.orp', 0, 1.5), RangeError);
    await assert.rejects(store.getRange('t2/range.orp', Number.NaN, 1), RangeError);
  });

  it('answers ObjectNotFoundError for unknown keys, and delete of a missing key resolves', async () => {
    await assert.rejects(store.get('t9/missing.orp'), ObjectNotFoundError);
    await assert.rejects(store.getRange('t9/missing.orp', 0, 1), ObjectNotFoundError);
    await assert.rejects(store.get('t1'), ObjectNotFoundError, 'a directory is not an object');
    await assert.rejects(store.get('t2/range.orp/below'), ObjectNotFoundError, 'a path below a file is not an object');
    await store.delete('t9/missing.orp');
    await store.delete('t2/range.orp/below');
  });

  it('deletes objects', async () => {
    await store.put('t3/gone.orp', enc.encode('x'));
    await store.delete('t3/gone.orp');
    await assert.rejects(store.get('t3/gone.orp'), ObjectNotFoundError);
    assert.equal(existsSync(path.join(root, 't3', 'gone.orp')), false);
  });

  it('lists keys recursively under a prefix, sorted, skipping temporary files', async () => {
    await store.put('t4/a/2025-01-01/x.orp', enc.encode('1'));
    await store.put('t4/a/2025-01-02/y.orp', enc.encode('2'));
    await store.put('t4/b/z.orp', enc.encode('3'));
    await store.put('t40/other.orp', enc.encode('4'));
    // A put in progress (or interrupted by a crash) leaves a hidden temporary file.
    await writeFile(path.join(root, 't4', 'a', '.y.orp.123.tmp'), 'partial');
    assert.deepEqual(await store.list('t4/'), ['t4/a/2025-01-01/x.orp', 't4/a/2025-01-02/y.orp', 't4/b/z.orp']);
    assert.deepEqual(await store.list('t4/a/2025-01-0'), ['t4/a/2025-01-01/x.orp', 't4/a/2025-01-02/y.orp']);
    assert.deepEqual(await store.list('t4'), ['t4/a/2025-01-01/x.orp', 't4/a/2025-01-02/y.orp', 't4/b/z.orp', 't40/other.orp']);
    assert.deepEqual(await store.list('t4/b/z.orp'), ['t4/b/z.orp']);
    assert.deepEqual(await store.list('nothing-here/'), []);
    const everything = await store.list('');
    assert.ok(everything.includes('t1/big.orp') && everything.includes('t40/other.orp'));
    assert.ok(everything.every((k) => !k.split('/').some((s) => s.startsWith('.'))));
  });

  it('rejects keys that could escape the root, and touches nothing', async () => {
    const hostile = ['../escape.orp', 't1/../../escape.orp', '/etc/passwd', 't1\\..\\escape.orp', 't1/a\u0000b', 't1//x', 't1/', '', './x', 't1/./x', 't1/.hidden', 'x'.repeat(2000)];
    for (const key of hostile) {
      await assert.rejects(store.put(key, enc.encode('evil')), InvalidObjectKeyError, `put ${JSON.stringify(key)}`);
      await assert.rejects(store.get(key), InvalidObjectKeyError, `get ${JSON.stringify(key)}`);
      await assert.rejects(store.getRange(key, 0, 1), InvalidObjectKeyError, `getRange ${JSON.stringify(key)}`);
      await assert.rejects(store.delete(key), InvalidObjectKeyError, `delete ${JSON.stringify(key)}`);
    }
    for (const prefix of ['../', '/', 't1/../..', 'a\\b', 'a//', '..']) {
      await assert.rejects(store.list(prefix), InvalidObjectKeyError, `list ${JSON.stringify(prefix)}`);
    }
    assert.deepEqual((await readdir(base)).sort(), ['objects', 'probe']);
    assert.equal(existsSync('/etc/passwd') && (await readFile('/etc/passwd', 'utf8')).includes('evil'), false);
    await assert.rejects(store.put('../x', enc.encode('e')), /escape the storage root/);
  });

  it('turns I/O errors into StoreUnavailableError and cleans up its temporary file', async () => {
    // A key whose parent is a file: mkdir fails (EEXIST or ENOTDIR).
    await store.put('t5/file.orp', enc.encode('x'));
    await assert.rejects(store.put('t5/file.orp/child.orp', enc.encode('y')), (err: Error) => err instanceof StoreUnavailableError && /EEXIST|ENOTDIR/.test(err.message) && err.cause !== undefined);
    // A key naming a directory: the rename over it fails after the temporary file exists.
    await store.put('t5/dir/inner.orp', enc.encode('z'));
    await assert.rejects(store.put('t5/dir', enc.encode('w')), StoreUnavailableError);
    assert.deepEqual((await readdir(path.join(root, 't5'))).sort(), ['dir', 'file.orp']);
    assert.equal(dec.decode(await store.get('t5/dir/inner.orp')), 'z');
  });

  it('ping succeeds on a writable root and fails clearly when the root is not a directory', async () => {
    await store.ping();
    const fileRoot = path.join(base, 'not-a-dir');
    await writeFile(fileRoot, 'x');
    const bad = new FilesystemStore(fileRoot);
    await assert.rejects(bad.ping(), (err: Error) => err instanceof StoreUnavailableError && err.message.includes(fileRoot));
    await assert.rejects(bad.put('t1/a.orp', enc.encode('x')), StoreUnavailableError);
  });

  it('creates its root lazily on first put and describes itself', async () => {
    const fresh = new FilesystemStore(path.join(base, 'later', 'objects'));
    assert.equal(fresh.description, `filesystem:${path.join(base, 'later', 'objects')}`);
    assert.deepEqual(await fresh.list(''), []);
    await fresh.put('t1/a.orp', enc.encode('x'));
    assert.deepEqual(await fresh.list(''), ['t1/a.orp']);
    await mkdir(path.join(base, 'later', 'objects', 'emptydir'));
    assert.deepEqual(await fresh.list(''), ['t1/a.orp']);
  });
});
