import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KeyFileError, digestOf, newSecret, parseKeyFile, readKeyFile, roleNoun, unusableReason, updateKeyFile, writeKeyFile } from './key-file.ts';
import type { KeyFile, KeyRecord } from './key-file.ts';
import { KeyFileWatcher } from './key-file-watcher.ts';

let dir: string;
before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-keys-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

function record(over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: 'k_0000000001', tenant: 'acme', role: 'write', digest: digestOf('secret-one-0123456789'), label: 'web',
    createdAt: '2025-01-01T00:00:00.000Z', expiresAt: null, revokedAt: null, scope: {}, ...over,
  };
}

function text(keys: unknown[]): string {
  return JSON.stringify({ version: 1, keys });
}

describe('secrets and digests', () => {
  test('secrets carry their role prefix and 256 random bits; digests are sha256 and deterministic', () => {
    const w = newSecret('write');
    const r = newSecret('read');
    const a = newSecret('admin');
    assert.match(w, /^orp_wk_[A-Za-z0-9_-]{43}$/);
    assert.match(r, /^orp_rt_[A-Za-z0-9_-]{43}$/);
    assert.match(a, /^orp_at_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(['write', 'read', 'admin'].map((role) => roleNoun(role as 'write')), ['write key', 'read token', 'admin token']);
    assert.notEqual(newSecret('write'), w);
    assert.match(digestOf(w), /^sha256:[0-9a-f]{64}$/);
    assert.equal(digestOf(w), digestOf(w));
    assert.notEqual(digestOf(w), digestOf(r));
  });
});

describe('parseKeyFile', () => {
  test('a valid file round-trips, with defaults for optional fields', () => {
    const doc = parseKeyFile(text([{ ...record(), label: undefined, expiresAt: undefined, revokedAt: undefined, scope: undefined }]));
    assert.deepEqual(doc.keys[0], { ...record(), label: '' });
  });

  test('all three roles are read: write, read and admin', () => {
    const doc = parseKeyFile(text([
      record(),
      record({ id: 'k_0000000002', role: 'read', digest: digestOf('secret-two-0123456789') }),
      record({ id: 'k_0000000003', role: 'admin', digest: digestOf('secret-three-0123456789'), rateLimit: { requestsPerSecond: 5 } }),
    ]));
    assert.deepEqual(doc.keys.map((k) => k.role), ['write', 'read', 'admin']);
    assert.deepEqual(doc.keys[2]!.rateLimit, { requestsPerSecond: 5 });
  });

  test('every malformed entry is refused with a message naming the entry and the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...record(), id: '../x' }, /id must be/],
      [{ ...record(), tenant: '../etc' }, /k_0000000001.*tenant must be a safe id/],
      [{ ...record(), tenant: 'a'.repeat(200) }, /tenant must be a safe id/],
      [{ ...record(), role: 'owner' }, /role must be write, read or admin/],
      [{ ...record(), role: 'ADMIN' }, /role must be write, read or admin/],
      [{ ...record(), role: 'admin', scope: { origins: ['https://a.example'] } }, /write keys only/],
      [{ ...record(), digest: 'plain-secret-value' }, /digest must be sha256/],
      [{ ...record(), createdAt: 'yesterday' }, /createdAt/],
      [{ ...record(), revokedAt: 12 }, /revokedAt/],
      [{ ...record(), scope: { services: ['x'] } }, /scope.services is not a known scope/],
      [{ ...record(), scope: { origins: ['https://a.example/path'] } }, /scope.origins must be a list of origins/],
      [{ ...record(), role: 'read', scope: { origins: ['https://a.example'] } }, /write keys only/],
      [{ ...record(), rateLimit: { requestsPerSecond: -1 } }, /rateLimit.requestsPerSecond must be a number >= 0/],
      [{ ...record(), rateLimit: { rps: 1 } }, /rateLimit.rps is not known/],
      ['just a string', /entry 0 is not an object/],
    ];
    for (const [entry, message] of cases) assert.throws(() => parseKeyFile(text([entry])), (err: Error) => err instanceof KeyFileError && message.test(err.message), JSON.stringify(entry));
  });

  test('whole-file problems: not JSON, wrong version, no list, duplicate id or secret', () => {
    assert.throws(() => parseKeyFile('{"version":1,"keys":['), /not valid JSON/);
    assert.throws(() => parseKeyFile('{"version":2,"keys":[]}'), /version 2; this receiver reads version 1/);
    assert.throws(() => parseKeyFile('{"version":1}'), /"keys" list/);
    assert.throws(() => parseKeyFile('[]'), /must hold an object/);
    assert.throws(() => parseKeyFile(text([record(), record({ digest: digestOf('other-secret-0123456') })])), /key id k_0000000001 twice/);
    assert.throws(() => parseKeyFile(text([record(), record({ id: 'k_0000000002' })])), /same secret twice/);
  });
});

describe('reading and writing', () => {
  test('a missing file is an empty key list; an unreadable one is an error', () => {
    assert.deepEqual(readKeyFile(path.join(dir, 'none.json')), { version: 1, keys: [] });
    assert.throws(() => readKeyFile(dir), /cannot read key file/);
  });

  test('writeKeyFile replaces atomically and leaves no temp file; the file holds no secret', () => {
    const file = path.join(dir, 'atomic.json');
    const secret = newSecret('write');
    writeKeyFile(file, { version: 1, keys: [record({ digest: digestOf(secret) })] });
    assert.deepEqual(readKeyFile(file).keys.map((k) => k.id), ['k_0000000001']);
    assert.equal(readFileSync(file, 'utf8').includes(secret), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('atomic')), ['atomic.json']);
  });

  test('updateKeyFile: a failing change writes nothing and releases the lock', () => {
    const file = path.join(dir, 'update.json');
    updateKeyFile(file, (doc) => { doc.keys.push(record()); });
    assert.throws(() => updateKeyFile(file, (doc) => { doc.keys.length = 0; throw new KeyFileError('nope'); }), /nope/);
    assert.equal(readKeyFile(file).keys.length, 1);
    assert.equal(existsSync(`${file}.lock`), false);
  });

  test('updateKeyFile: a held lock makes a second writer wait, then fail with a clear message', () => {
    const file = path.join(dir, 'locked.json');
    writeFileSync(`${file}.lock`, '');
    const started = Date.now();
    assert.throws(() => updateKeyFile(file, () => {}, { lockWaitMs: 300 }), /locked by another process/);
    assert.ok(Date.now() - started >= 300);
    rmSync(`${file}.lock`);
  });

  test('unusableReason: revoked and expired keys, at the boundary', () => {
    const now = Date.parse('2025-06-01T00:00:00.000Z');
    assert.equal(unusableReason({ revokedAt: null, expiresAt: null }, now), null);
    assert.equal(unusableReason({ revokedAt: null, expiresAt: '2025-06-01T00:00:00.001Z' }, now), null);
    assert.match(unusableReason({ revokedAt: null, expiresAt: '2025-06-01T00:00:00.000Z' }, now)!, /expired at/);
    assert.match(unusableReason({ revokedAt: '2025-05-01T00:00:00.000Z', expiresAt: null }, now)!, /was revoked at 2025-05-01/);
  });
});

describe('KeyFileWatcher', () => {
  test('picks up changes, keeps the previous keys when the new file is broken, and treats removal as no keys', async () => {
    const file = path.join(dir, 'watched.json');
    const seen: KeyFile[] = [];
    const warnings: string[] = [];
    const w = new KeyFileWatcher(file, 60_000, (doc) => seen.push(doc));
    w.loadSync();
    w.start({ info: () => {}, warn: (_o, msg) => warnings.push(msg) });
    try {
      assert.equal(seen.length, 1);
      assert.equal(await w.check(), false, 'nothing changed');
      writeKeyFile(file, { version: 1, keys: [record()] });
      assert.equal(await w.check(), true);
      assert.equal(seen.at(-1)!.keys.length, 1);
      writeFileSync(file, '{"version":1,"keys":[{"id":');
      assert.equal(await w.check(), false);
      assert.equal(seen.length, 2, 'a broken file is not applied');
      assert.match(warnings.join('\n'), /keeping the previous keys/);
      assert.equal(await w.check(), false, 'reported once');
      assert.equal(warnings.length, 1);
      writeKeyFile(file, { version: 1, keys: [record(), record({ id: 'k_0000000002', digest: digestOf('second-secret-0123456') })] });
      assert.equal(await w.check(), true);
      assert.equal(seen.at(-1)!.keys.length, 2);
      rmSync(file);
      assert.equal(await w.check(), true);
      assert.equal(seen.at(-1)!.keys.length, 0);
    } finally {
      w.close();
    }
  });

  test('loadSync refuses a broken file (the receiver does not start on it)', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, 'not json');
    assert.throws(() => new KeyFileWatcher(file, 1000, () => {}).loadSync(), /key file .*broken.json is not valid JSON/);
  });
});
