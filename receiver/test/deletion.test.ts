// Deleting recordings through the API, over HTTP, with two receivers sharing one
// PostgreSQL index and one object directory (as behind a load balancer): a session
// deleted on one receiver answers 404 on the other at once, on every query endpoint;
// late segments do not bring it back; deleting a user's sessions takes exactly theirs;
// other sessions, users and tenants keep everything; hostile ids are refused cleanly.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SessionDeletion, SessionSearchResult } from '@otel-replay/protocol';
import { postJson, request } from './helpers/http.ts';
import { DEFAULT_RESOURCE, segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';
import { startPostgres } from './peers/postgres.ts';
import type { PostgresPeer } from './peers/postgres.ts';

const KEYS = {
  t1: { write: 'write-key-tenant-one-0001', read: 'read-token-tenant-one-0001', admin: 'admin-token-tenant-one-0001' },
  t2: { write: 'write-key-tenant-two-0002', read: 'read-token-tenant-two-0002', admin: 'admin-token-tenant-two-0002' },
};

let pg: PostgresPeer;
let objects = '';
let a: RunningReceiver;
let b: RunningReceiver;

before(async () => {
  pg = await startPostgres({ database: 'deletion_base' });
  objects = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-deletion-'));
  const url = await pg.createDatabase('deletion');
  const overrides = {
    index: { engine: 'postgres', postgres: { url } },
    storage: { backend: 'filesystem', filesystem: { dir: objects } },
    auth: { required: true, tenants: Object.entries(KEYS).map(([id, k]) => ({ id, writeKeys: [k.write], readTokens: [k.read], adminTokens: [k.admin] })) },
  };
  a = await startReceiver(overrides);
  b = await startReceiver(overrides);
});
after(async () => {
  await a?.stop();
  await b?.stop();
  await pg?.dispose();
  rmSync(objects, { recursive: true, force: true });
});

const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });

async function send(rx: RunningReceiver, tenant: keyof typeof KEYS, sessionId: string, seqs: number[], userId?: string): Promise<void> {
  const start = Date.now() - 60_000;
  const segments = seqs.map((seq) => makeSegment({ sessionId, seq, start: start + seq * 1000 }).segment);
  const resource = userId ? { ...DEFAULT_RESOURCE, 'user.id': userId } : DEFAULT_RESOURCE;
  const res = await postJson(`${rx.url}/v1/logs`, segmentsRequest(segments, resource), { headers: auth(KEYS[tenant].write) });
  assert.equal(res.status, 200, res.body.toString('utf8'));
  assert.doesNotMatch(res.body.toString('utf8'), /rejected/);
}

async function call(rx: RunningReceiver, method: string, pathAndQuery: string, secret?: string): Promise<{ status: number; json: unknown }> {
  const res = await request(`${rx.url}/api/v1${pathAndQuery}`, { method, headers: secret ? auth(secret) : {} });
  const text = res.body.toString('utf8');
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Status of every query endpoint for a session, as one receiver answers with `secret`. */
async function reach(rx: RunningReceiver, sessionId: string, secret: string): Promise<number[]> {
  const id = encodeURIComponent(sessionId);
  return Promise.all([
    call(rx, 'GET', `/sessions/${id}`, secret),
    call(rx, 'GET', `/sessions/${id}/events`, secret),
    call(rx, 'GET', `/sessions/${id}/segments/w1/0`, secret),
    call(rx, 'GET', `/sessions/${id}/export.html`, secret),
  ].map((p) => p.then((r) => r.status)));
}

async function ids(rx: RunningReceiver, secret: string): Promise<string[]> {
  const res = await call(rx, 'GET', `/sessions?from=${Date.now() - 3600_000}&to=${Date.now() + 60_000}&limit=100`, secret);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return (res.json as SessionSearchResult).sessions.map((s) => s.sessionId).sort();
}

describe('deletion API on two receivers sharing one index', () => {
  it('makes a deleted session unreachable at once everywhere, and keeps it deleted', async () => {
    await send(a, 't1', 'del-s1', [0, 1, 2], 'alice');
    await send(a, 't1', 'del-s2', [0, 1], 'alice');
    await send(b, 't1', 'del-s3', [0], 'bob');
    await send(b, 't2', 'del-s1', [0, 1], 'alice');
    assert.deepEqual(await reach(b, 'del-s1', KEYS.t1.read), [200, 200, 200, 200]);

    const deleted = await call(a, 'DELETE', '/sessions/del-s1', KEYS.t1.admin);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json as SessionDeletion, { deleted: 1, sessionIds: ['del-s1'] });
    // The other receiver, right away: every endpoint, and search.
    assert.deepEqual(await reach(b, 'del-s1', KEYS.t1.read), [404, 404, 404, 404]);
    assert.deepEqual(await reach(a, 'del-s1', KEYS.t1.read), [404, 404, 404, 404]);
    assert.deepEqual(await ids(b, KEYS.t1.read), ['del-s2', 'del-s3']);
    // Same id in another tenant: untouched.
    assert.deepEqual(await reach(b, 'del-s1', KEYS.t2.read), [200, 200, 200, 200]);
    // A tab still recording, and a retry of a stored segment: acknowledged, not stored.
    await send(b, 't1', 'del-s1', [0, 3]);
    await send(a, 't1', 'del-s1', [4], 'alice');
    assert.deepEqual(await reach(a, 'del-s1', KEYS.t1.read), [404, 404, 404, 404]);
    assert.deepEqual(await ids(a, KEYS.t1.read), ['del-s2', 'del-s3']);
    // Deleting again finds nothing.
    assert.equal((await call(b, 'DELETE', '/sessions/del-s1', KEYS.t1.admin)).status, 404);
    const metrics = (await request(`${a.url}/metrics`)).body.toString('utf8');
    assert.match(metrics, /otel_replay_sessions_deleted_total 1\b/);
    assert.match(metrics, /otel_replay_session_cap_dropped_segments_total\{reason="deleted"\} 1\b/);
  });

  it("deletes all of one user's sessions in one tenant, and nobody else's", async () => {
    await send(a, 't1', 'usr-a1', [0], 'carol');
    await send(b, 't1', 'usr-a2', [0, 1], 'carol');
    await send(a, 't1', 'usr-c1', [0], 'Carol');
    await send(b, 't2', 'usr-a1', [0], 'carol');
    const res = await call(b, 'DELETE', '/users/carol/sessions', KEYS.t1.admin);
    assert.equal(res.status, 200);
    assert.deepEqual({ ...(res.json as SessionDeletion), sessionIds: (res.json as SessionDeletion).sessionIds.sort() }, { deleted: 2, sessionIds: ['usr-a1', 'usr-a2'] });
    for (const id of ['usr-a1', 'usr-a2']) assert.deepEqual(await reach(a, id, KEYS.t1.read), [404, 404, 404, 404]);
    assert.deepEqual(await reach(a, 'usr-c1', KEYS.t1.read), [200, 200, 200, 200]);
    assert.deepEqual(await reach(a, 'usr-a1', KEYS.t2.read), [200, 200, 200, 200]);
    // A user with no sessions left: 200, nothing deleted. User ids with odd characters are literals.
    assert.deepEqual((await call(a, 'DELETE', '/users/carol/sessions', KEYS.t1.admin)).json, { deleted: 0, sessionIds: [] });
    await send(a, 't1', 'usr-odd', [0], 'o\'brien@example.com/%');
    for (const hostile of ['%25', "'%20OR%201%3D1%20--", 'o\'brien@example.com']) {
      assert.deepEqual((await call(a, 'DELETE', `/users/${hostile}/sessions`, KEYS.t1.admin)).json, { deleted: 0, sessionIds: [] }, hostile);
    }
    assert.deepEqual((await call(a, 'DELETE', `/users/${encodeURIComponent('o\'brien@example.com/%')}/sessions`, KEYS.t1.admin)).json, { deleted: 1, sessionIds: ['usr-odd'] });
    assert.ok((await ids(a, KEYS.t1.read)).includes('usr-c1'));
  });

  it('refuses missing or wrong credentials and hostile ids, deleting nothing', async () => {
    await send(a, 't2', 'keep-me', [0]);
    const before = await ids(a, KEYS.t2.read);
    assert.equal((await call(a, 'DELETE', '/sessions/keep-me')).status, 401);
    assert.equal((await call(a, 'DELETE', '/sessions/keep-me', KEYS.t2.write)).status, 401);
    assert.equal((await call(a, 'DELETE', '/sessions/keep-me', 'not-a-known-token-at-all')).status, 401);
    assert.equal((await call(a, 'DELETE', '/users/x/sessions')).status, 401);
    // The tenant's own read token may watch, not delete.
    const viewer = await call(a, 'DELETE', '/sessions/keep-me', KEYS.t2.read);
    assert.equal(viewer.status, 403);
    assert.match((viewer.json as { error: string }).error, /^read token config:[0-9a-f]{12} \(auth\.tenants t2\) cannot delete; use an admin token \(npm run keys -- create --tenant t2 --role admin\)$/);
    assert.equal((await call(a, 'DELETE', '/users/x/sessions', KEYS.t2.read)).status, 403);
    // Another tenant's token cannot see, so cannot delete, this tenant's session.
    assert.equal((await call(a, 'DELETE', '/sessions/keep-me', KEYS.t1.admin)).status, 404);
    for (const hostile of ['..%2F..%2Fetc%2Fpasswd', '%00', 'a%20b', "'%20OR%201%3D1", 'x'.repeat(600), '%E0%A4%A']) {
      const res = await call(a, 'DELETE', `/sessions/${hostile}`, KEYS.t2.admin);
      assert.ok(res.status === 400 || res.status === 404, `${hostile.slice(0, 20)}: ${res.status}`);
      assert.equal(typeof (res.json as { error?: string }).error, 'string');
    }
    assert.equal((await call(a, 'DELETE', '/users/%00/sessions', KEYS.t2.admin)).status, 400);
    assert.equal((await call(a, 'DELETE', `/users/${'u'.repeat(600)}/sessions`, KEYS.t2.admin)).status, 400);
    assert.deepEqual(await ids(a, KEYS.t2.read), before);
    assert.deepEqual(await reach(b, 'keep-me', KEYS.t2.read), [200, 200, 200, 200]);
  });
});
