// The keys CLI run as users run it: a child process against a temporary data directory.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digestOf, readKeyFile } from '../keys/key-file.ts';
import { runKeysCli } from './keys.ts';

const CLI = path.join(import.meta.dirname, 'keys.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let file: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-keys-cli-'));
  file = path.join(dir, 'keys.json');
});
after(() => { rmSync(dir, { recursive: true, force: true }); });

describe('keys CLI', () => {
  let writeId = '';
  let writeSecret = '';

  test('create prints the secret once on stdout; the file keeps only its digest', async () => {
    const r = await run(['create', '--tenant', 'acme', '--role', 'write', '--label', 'shop web', '--origin', 'https://shop.example', '--expires', '30d', '--requests-per-second', '50', '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    writeSecret = r.stdout.trim();
    assert.match(writeSecret, /^orp_wk_[A-Za-z0-9_-]{43}$/);
    assert.match(r.stderr, /created write key k_[0-9a-f]{10} for tenant acme, expiring 20\d\d-/);
    assert.match(r.stderr, /shown only this once/);
    const text = readFileSync(file, 'utf8');
    assert.equal(text.includes(writeSecret), false, 'the secret is never stored');
    const [k] = readKeyFile(file).keys;
    writeId = k!.id;
    assert.equal(k!.digest, digestOf(writeSecret));
    assert.deepEqual([k!.tenant, k!.role, k!.label, k!.scope.origins, k!.rateLimit], ['acme', 'write', 'shop web', ['https://shop.example'], { requestsPerSecond: 50 }]);
    const days = (Date.parse(k!.expiresAt!) - Date.parse(k!.createdAt)) / 86_400_000;
    assert.ok(Math.abs(days - 30) < 0.001, `expires in ${days} days`);
  });

  test('list shows ids, tenants, roles and states, never a secret or digest', async () => {
    const read = await run(['create', '--tenant', 'acme', '--role', 'read', '--file', file]);
    assert.equal(read.code, 0);
    const r = await run(['list', '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID\s+TENANT\s+ROLE\s+STATE/);
    assert.match(r.stdout, new RegExp(`${writeId}\\s+acme\\s+write\\s+active until`));
    assert.match(r.stdout, /acme\s+read\s+active\s/);
    for (const secret of [writeSecret, read.stdout.trim()]) {
      assert.equal(r.stdout.includes(secret), false);
      assert.equal(r.stdout.includes(digestOf(secret).slice(7)), false);
    }
    const json = await run(['list', '--json', '--tenant', 'acme', '--file', file]);
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.equal(listed.length, 2);
    assert.ok(listed.every((k) => !('digest' in k) && typeof k.state === 'string'));
    const none = await run(['list', '--tenant', 'other', '--file', file]);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /no keys .* for tenant other/);
  });

  test('rotate makes a replacement with the same tenant, role, scope and limits; the old key stays until revoked', async () => {
    const r = await run(['rotate', writeId, '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    const secret = r.stdout.trim();
    assert.match(secret, /^orp_wk_/);
    const keys = readKeyFile(file).keys;
    const old = keys.find((k) => k.id === writeId)!;
    assert.match(r.stderr, new RegExp(`${writeId} stays valid until ${old.expiresAt}`), 'its own expiry, unchanged');
    const made = keys.find((k) => k.digest === digestOf(secret))!;
    assert.equal(old.revokedAt, null);
    assert.deepEqual([made.tenant, made.role, made.scope, made.rateLimit, made.rotatedFrom, made.label], ['acme', 'write', old.scope, old.rateLimit, writeId, 'shop web']);
  });

  test('rotate --grace puts an end on the old key', async () => {
    const created = await run(['create', '--tenant', 'beta', '--role', 'read', '--file', file]);
    const id = readKeyFile(file).keys.find((k) => k.digest === digestOf(created.stdout.trim()))!.id;
    const plain = await run(['rotate', id, '--file', file]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, new RegExp(`${id} stays valid until you revoke it: deploy the new secret, then run .*revoke ${id}`));
    assert.equal(readKeyFile(file).keys.find((k) => k.id === id)!.expiresAt, null);
    const before = Date.now();
    const r = await run(['rotate', id, '--grace', '2h', '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^orp_rt_/, 'a read token is rotated into a read token');
    const old = readKeyFile(file).keys.find((k) => k.id === id)!;
    const left = Date.parse(old.expiresAt!) - before;
    assert.ok(left > 2 * 3600_000 - 60_000 && left <= 2 * 3600_000 + 60_000, `grace ${left} ms`);
    assert.match(r.stderr, /stays valid until 20\d\d-.*deploy the new secret before then/);
  });

  test('admin tokens: create, list, rotate and revoke like the other roles', async () => {
    const made = await run(['create', '--tenant', 'acme', '--role', 'admin', '--label', 'privacy officer', '--requests-per-second', '5', '--file', file]);
    assert.equal(made.code, 0, made.stderr);
    const secret = made.stdout.trim();
    assert.match(secret, /^orp_at_[A-Za-z0-9_-]{43}$/);
    assert.match(made.stderr, /created admin token k_[0-9a-f]{10} for tenant acme in /);
    const k = readKeyFile(file).keys.find((x) => x.digest === digestOf(secret))!;
    assert.deepEqual([k.tenant, k.role, k.label, k.rateLimit, k.scope], ['acme', 'admin', 'privacy officer', { requestsPerSecond: 5 }, {}]);
    const list = await run(['list', '--file', file]);
    assert.match(list.stdout, new RegExp(`${k.id}\\s+acme\\s+admin\\s+active\\s+\\S+\\s+privacy officer`));
    assert.equal(list.stdout.includes(secret), false);
    const json = JSON.parse((await run(['list', '--json', '--file', file])).stdout) as { id: string; role: string }[];
    assert.equal(json.find((x) => x.id === k.id)?.role, 'admin');
    const rot = await run(['rotate', k.id, '--file', file]);
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(rot.stdout.trim(), /^orp_at_/, 'an admin token is rotated into an admin token');
    assert.match(rot.stderr, new RegExp(`created admin token k_[0-9a-f]{10} replacing ${k.id}`));
    const next = readKeyFile(file).keys.find((x) => x.digest === digestOf(rot.stdout.trim()))!;
    assert.deepEqual([next.role, next.tenant, next.rateLimit, next.rotatedFrom], ['admin', 'acme', { requestsPerSecond: 5 }, k.id]);
    const rev = await run(['revoke', k.id, '--file', file]);
    assert.equal(rev.code, 0, rev.stderr);
    assert.match(rev.stderr, new RegExp(`revoked admin token ${k.id} of tenant acme`));
    assert.match((await run(['list', '--file', file])).stdout, new RegExp(`${k.id}\\s+acme\\s+admin\\s+revoked`));
  });

  test('revoke stamps revokedAt; again is a no-op; rotating a revoked key is refused', async () => {
    const r = await run(['revoke', writeId, '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`revoked write key ${writeId} of tenant acme`));
    assert.ok(readKeyFile(file).keys.find((k) => k.id === writeId)!.revokedAt);
    const again = await run(['revoke', writeId, '--file', file]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already revoked/);
    const rot = await run(['rotate', writeId, '--file', file]);
    assert.equal(rot.code, 1);
    assert.match(rot.stderr, /was revoked at .*create a new key instead/);
    const list = await run(['list', '--file', file]);
    assert.match(list.stdout, new RegExp(`${writeId}\\s+acme\\s+write\\s+revoked`));
  });

  test('bad usage exits 2 with a message; an unknown id exits 1; the file is untouched', async () => {
    const before = readFileSync(file, 'utf8');
    const cases: [string[], RegExp][] = [
      [[], /usage: npm run keys/],
      [['create', '--role', 'write'], /needs --tenant/],
      [['create', '--tenant', '../../etc', '--role', 'write'], /--tenant "..\/..\/etc" must be/],
      [['create', '--tenant', 'a/b', '--role', 'write'], /must be 1-128 characters/],
      [['create', '--tenant', 'acme', '--role', 'owner'], /--role write, --role read or --role admin/],
      [['create', '--tenant', 'acme'], /--role write, --role read or --role admin/],
      [['create', '--tenant', 'acme', '--role', 'admin', '--origin', 'https://a.example'], /write keys only/],
      [['create', '--tenant', 'acme', '--role', 'admin', '--bytes-per-second', '10'], /--bytes-per-second applies to write keys only/],
      [['create', '--tenant', 'acme', '--role', 'write', '--expires', 'soon'], /not a duration like 30d/],
      [['create', '--tenant', 'acme', '--role', 'write', '--expires', '2001-01-01T00:00:00Z'], /in the past/],
      [['create', '--tenant', 'acme', '--role', 'write', '--origin', 'https://a.example/path'], /bare origin/],
      [['create', '--tenant', 'acme', '--role', 'read', '--origin', 'https://a.example'], /write keys only/],
      [['create', '--tenant', 'acme', '--role', 'write', '--bytes-per-second=-5'], /must be a number >= 0/],
      [['create', '--tenant', 'acme', '--role', 'write', '--bogus'], /Unknown option '--bogus'/],
      [['revoke'], /exactly one key id/],
      [['explode'], /unknown command "explode"/],
    ];
    // In-process (same entry point as the binary) to keep the table fast; exit codes are runKeysCli's return values.
    const results = cases.map(([args]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = runKeysCli([...args, '--file', file], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, stdout: out.join('\n'), stderr: err.join('\n') };
    });
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '', 'no secret printed');
    }
    const binary = await run(['create', '--tenant', 'a/b', '--role', 'write', '--file', file]);
    assert.equal(binary.code, 2, 'the process exits with the code');
    const unknown = await run(['revoke', 'k_doesnotexist', '--file', file]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no key k_doesnotexist in .*`list` shows the ids/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  test('a broken key file is reported, not overwritten', async () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"version":1,"keys":[{"id":"x"}]}');
    const r = await run(['create', '--tenant', 'acme', '--role', 'write', '--file', broken]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /key file .*broken.json.*entry 0 \(x\)/);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(broken, 'utf8'), '{"version":1,"keys":[{"id":"x"}]}');
  });

  test('without --file the key file is the receiver config\'s <dataDir>/keys.json (config file or DATA_DIR)', async () => {
    const data = path.join(dir, 'data-from-config');
    const config = path.join(dir, 'receiver.yaml');
    writeFileSync(config, `dataDir: ${data}\n`);
    const r = await run(['create', '--tenant', 'acme', '--role', 'write', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readKeyFile(path.join(data, 'keys.json')).keys.length, 1);
    const envData = path.join(dir, 'data-from-env');
    const e = await run(['create', '--tenant', 'acme', '--role', 'write'], { DATA_DIR: envData });
    assert.equal(e.code, 0, e.stderr);
    assert.equal(readKeyFile(path.join(envData, 'keys.json')).keys.length, 1);
  });

  test('concurrent creates never lose a key (the key file is locked while changed)', async () => {
    const shared = path.join(dir, 'concurrent.json');
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => run(['create', '--tenant', `t${i}`, '--role', 'write', '--file', shared])));
    assert.deepEqual(runs.map((r) => r.code), [0, 0, 0, 0, 0, 0], runs.map((r) => r.stderr).join('\n'));
    const keys = readKeyFile(shared).keys;
    assert.equal(keys.length, 6);
    assert.deepEqual(new Set(keys.map((k) => k.digest)), new Set(runs.map((r) => digestOf(r.stdout.trim()))));
  });
});
