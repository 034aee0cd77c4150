// The admin role over HTTP, on a real receiver with keys made by the keys CLI and one from
// the config file: only an admin token deletes, and it reads like a read token; a read
// token watches but cannot delete (403 saying what to use); write keys neither read nor
// delete and admin tokens never ingest; revoked and expired admin tokens are refused; an
// admin token of another tenant deletes nothing; and with auth optional a keyless DELETE
// is refused unless `auth.allowKeylessDeletion` says otherwise.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SessionDeletion } from '@otel-replay/protocol';
import { runKeysCli } from '../src/cli/keys.ts';
import { digestOf, updateKeyFile } from '../src/keys/key-file.ts';
import { request, waitUntil } from './helpers/http.ts';
import { segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';

const CONFIG_ADMIN = 'admin-token-from-config-file-01';
const CONFIG_WRITE = 'write-key-from-config-file-0001';

let rx: RunningReceiver;
let keyFile: string;
const K = { aWrite: '', aRead: '', aAdmin: '', bWrite: '', bAdmin: '' };

function keys(...args: string[]): string {
  const out: string[] = [];
  const err: string[] = [];
  assert.equal(runKeysCli([...args, '--file', keyFile], { out: (l) => out.push(l), err: (l) => err.push(l) }), 0, err.join('\n'));
  return out.join('\n').trim();
}

async function call(method: string, route: string, secret?: string, body?: string): Promise<{ status: number; text: string; json: () => unknown }> {
  const headers: Record<string, string> = secret ? { authorization: `Bearer ${secret}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${rx.url}${route}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = res.body.toString('utf8');
  return { status: res.status, text, json: () => JSON.parse(text) as unknown };
}

function segments(sessionId: string, seqs: number[]): string {
  return JSON.stringify(segmentsRequest(seqs.map((seq) => makeSegment({ sessionId, seq, start: Date.now() - 60_000 + seq * 1000 }).segment)));
}

async function send(sessionId: string, seqs: number[], secret: string, base = rx): Promise<void> {
  const res = await request(`${base.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: segments(sessionId, seqs) });
  assert.equal(res.status, 200, res.body.toString('utf8'));
}

/** Status of every read route of a session with `secret`. */
async function reads(sessionId: string, secret?: string): Promise<number[]> {
  return Promise.all([
    call('GET', `/api/v1/sessions?q=${sessionId}`, secret),
    call('GET', `/api/v1/sessions/${sessionId}`, secret),
    call('GET', `/api/v1/sessions/${sessionId}/events`, secret),
    call('GET', `/api/v1/sessions/${sessionId}/segments/w1/0`, secret),
    call('GET', `/api/v1/sessions/${sessionId}/export.html`, secret),
  ].map((p) => p.then((r) => r.status)));
}

before(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-admin-'));
  keyFile = path.join(dataDir, 'keys.json');
  K.aWrite = keys('create', '--tenant', 'tenant-a', '--role', 'write');
  K.aRead = keys('create', '--tenant', 'tenant-a', '--role', 'read', '--label', 'grafana');
  K.aAdmin = keys('create', '--tenant', 'tenant-a', '--role', 'admin', '--label', 'privacy officer');
  K.bWrite = keys('create', '--tenant', 'tenant-b', '--role', 'write');
  K.bAdmin = keys('create', '--tenant', 'tenant-b', '--role', 'admin');
  rx = await startReceiver({
    auth: { required: true, keyFilePollMs: 50, tenants: [{ id: 'tenant-c', writeKeys: [CONFIG_WRITE], adminTokens: [CONFIG_ADMIN] }] },
  }, dataDir);
});
after(async () => {
  await rx?.stop();
});

describe('admin, read and write on the query API', () => {
  test('an admin token reads everything a read token reads; a write key reads nothing', async () => {
    await send('adm-read-1', [0, 1], K.aWrite);
    assert.deepEqual(await reads('adm-read-1', K.aRead), [200, 200, 200, 200, 200]);
    assert.deepEqual(await reads('adm-read-1', K.aAdmin), [200, 200, 200, 200, 200]);
    assert.deepEqual(await reads('adm-read-1', K.aWrite), [401, 401, 401, 401, 401]);
    assert.deepEqual(await reads('adm-read-1', K.bAdmin), [200, 404, 404, 404, 404], "another tenant's admin token sees none of it");
    const search = (await call('GET', '/api/v1/sessions?q=adm-read-1', K.bAdmin)).json() as { total: number };
    assert.equal(search.total, 0);
  });

  test('only an admin token deletes: a read token gets 403 saying what to use, a write key 401', async () => {
    await send('adm-del-1', [0], K.aWrite);
    const viewer = await call('DELETE', '/api/v1/sessions/adm-del-1', K.aRead);
    assert.equal(viewer.status, 403);
    assert.match((viewer.json() as { error: string }).error, /^read token k_[0-9a-f]{10} \(grafana\) cannot delete; use an admin token \(npm run keys -- create --tenant tenant-a --role admin\)$/);
    assert.equal((await call('DELETE', '/api/v1/users/anyone/sessions', K.aRead)).status, 403);
    const writer = await call('DELETE', '/api/v1/sessions/adm-del-1', K.aWrite);
    assert.equal(writer.status, 401);
    assert.match(writer.text, /a write credential cannot be used to delete; use an admin token/);
    assert.equal((await call('DELETE', '/api/v1/sessions/adm-del-1')).status, 401);
    assert.deepEqual(await reads('adm-del-1', K.aRead), [200, 200, 200, 200, 200], 'nothing was deleted');

    const deleted = await call('DELETE', '/api/v1/sessions/adm-del-1', K.aAdmin);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json() as SessionDeletion, { deleted: 1, sessionIds: ['adm-del-1'] });
    assert.deepEqual(await reads('adm-del-1', K.aRead), [200, 404, 404, 404, 404]);
  });

  test('an admin token never ingests', async () => {
    const res = await call('POST', '/v1/logs', K.aAdmin, segments('adm-ingest-1', [0]));
    assert.equal(res.status, 401);
    assert.match(res.text, /an admin credential cannot be used to ingest; use a write key/);
    assert.equal((await call('POST', '/v1/logs', CONFIG_ADMIN, segments('adm-ingest-1', [0]))).status, 401);
    assert.deepEqual(await reads('adm-ingest-1', K.aAdmin), [200, 404, 404, 404, 404]);
  });

  test("another tenant's admin token deletes nothing: 404 for a session, 0 for a user", async () => {
    await send('adm-cross-1', [0], K.aWrite);
    await send('adm-cross-1', [0], K.bWrite);
    assert.equal((await call('DELETE', '/api/v1/sessions/adm-cross-1', CONFIG_ADMIN)).status, 404);
    const users = await call('DELETE', '/api/v1/users/anyone/sessions', CONFIG_ADMIN);
    assert.deepEqual(users.json(), { deleted: 0, sessionIds: [] });
    assert.deepEqual(await reads('adm-cross-1', K.aRead), [200, 200, 200, 200, 200]);
    // Its own tenant's session with the same id: deleted; tenant-a's stays.
    assert.equal((await call('DELETE', '/api/v1/sessions/adm-cross-1', K.bAdmin)).status, 200);
    assert.deepEqual(await reads('adm-cross-1', K.aRead), [200, 200, 200, 200, 200]);
    assert.deepEqual(await reads('adm-cross-1', K.bAdmin), [200, 404, 404, 404, 404]);
  });

  test('a config-file admin token deletes in its tenant', async () => {
    await send('adm-config-1', [0], CONFIG_WRITE);
    assert.deepEqual(await reads('adm-config-1', CONFIG_ADMIN), [200, 200, 200, 200, 200]);
    assert.deepEqual((await call('DELETE', '/api/v1/sessions/adm-config-1', CONFIG_ADMIN)).json(), { deleted: 1, sessionIds: ['adm-config-1'] });
  });

  test('revoked and expired admin tokens are refused for deleting and for reading; the session stays', async () => {
    await send('adm-revoked-1', [0], K.aWrite);
    const revoked = keys('create', '--tenant', 'tenant-a', '--role', 'admin', '--label', 'to revoke');
    const expired = keys('create', '--tenant', 'tenant-a', '--role', 'admin', '--label', 'to expire');
    await waitUntil('the new admin tokens to be loaded', async () => (await call('GET', '/api/v1/sessions', expired)).status === 200, 3000, 25);
    updateKeyFile(keyFile, (doc) => {
      for (const k of doc.keys) {
        if (k.digest === digestOf(revoked)) k.revokedAt = new Date(Date.now() - 1000).toISOString();
        if (k.digest === digestOf(expired)) k.expiresAt = new Date(Date.now() - 1000).toISOString();
      }
    });
    await waitUntil('the change to be loaded', async () => (await call('GET', '/api/v1/sessions', expired)).status === 401, 3000, 25);
    for (const [secret, why] of [[revoked, /admin token k_[0-9a-f]{10} \(to revoke\) was revoked at .*; use its replacement/], [expired, /admin token k_[0-9a-f]{10} \(to expire\) expired at /]] as const) {
      const del = await call('DELETE', '/api/v1/sessions/adm-revoked-1', secret);
      assert.equal(del.status, 401);
      assert.match(del.text, why);
      assert.equal((await call('GET', '/api/v1/sessions/adm-revoked-1', secret)).status, 401);
    }
    assert.deepEqual(await reads('adm-revoked-1', K.aRead), [200, 200, 200, 200, 200]);
  });
});

describe('deletion while auth is optional', () => {
  test('keyless reads work, a keyless DELETE is refused unless allowKeylessDeletion is set; tokens still decide', async () => {
    const closed = await startReceiver({ auth: { tenants: [{ id: 'default', writeKeys: [CONFIG_WRITE], adminTokens: [CONFIG_ADMIN], readTokens: ['read-token-default-tenant-01'] }] } });
    const open = await startReceiver({ auth: { allowKeylessDeletion: true } });
    try {
      const keyless = async (base: RunningReceiver, id: string) => {
        const res = await request(`${base.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: segments(id, [0]) });
        assert.equal(res.status, 200);
      };
      await keyless(closed, 'opt-1');
      assert.equal((await request(`${closed.url}/api/v1/sessions/opt-1`)).status, 200, 'keyless read of the default tenant');
      const refused = await request(`${closed.url}/api/v1/sessions/opt-1`, { method: 'DELETE' });
      assert.equal(refused.status, 401);
      assert.match(refused.body.toString('utf8'), /missing admin token: deleting sessions needs one even while auth is optional; create it with `npm run keys -- create --tenant default --role admin`/);
      assert.equal((await request(`${closed.url}/api/v1/users/u/sessions`, { method: 'DELETE' })).status, 401);
      const viewer = await request(`${closed.url}/api/v1/sessions/opt-1`, { method: 'DELETE', headers: { authorization: 'Bearer read-token-default-tenant-01' } });
      assert.equal(viewer.status, 403);
      assert.equal((await request(`${closed.url}/api/v1/sessions/opt-1`)).status, 200, 'still there');
      const admin = await request(`${closed.url}/api/v1/sessions/opt-1`, { method: 'DELETE', headers: { authorization: `Bearer ${CONFIG_ADMIN}` } });
      assert.equal(admin.status, 200);
      assert.equal((await request(`${closed.url}/api/v1/sessions/opt-1`)).status, 404);

      await keyless(open, 'opt-2');
      const allowed = await request(`${open.url}/api/v1/sessions/opt-2`, { method: 'DELETE' });
      assert.equal(allowed.status, 200, allowed.body.toString('utf8'));
      assert.equal((await request(`${open.url}/api/v1/sessions/opt-2`)).status, 404);
    } finally {
      await closed.stop();
      await open.stop();
    }
  });
});
