// Hostile and broken input at the HTTP edge: every case gets the right OTLP status with
// a clear message in the request's encoding, nothing else in the request or on the
// server is lost, and the receiver keeps serving afterwards.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SegmentAttr } from '@otel-replay/protocol';
import { RpcStatus } from '../src/otlp/schema.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';
import { segmentRecord, segmentsRequest, logsRequest } from './helpers/otlp-json.ts';

const MAX_BODY = 1024 * 1024;
const MAX_INFLATED = 4 * 1024 * 1024;

let rx: RunningReceiver;
before(async () => {
  rx = await startReceiver({ server: { maxBodyBytes: MAX_BODY, maxDecompressedBytes: MAX_INFLATED } });
});
after(async () => { await rx?.stop(); });

async function post(pathName: string, body: string | Buffer | Uint8Array, headers: Record<string, string>): Promise<{ status: number; headers: Headers; text: string; bytes: Buffer }> {
  const res = await fetch(`${rx.url}${pathName}`, { method: 'POST', headers, body: body as Uint8Array | string });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };

async function stillServing(): Promise<void> {
  const health = await fetch(`${rx.url}/healthz`);
  assert.equal(health.status, 200);
  const sessionId = `alive-${Math.random().toString(36).slice(2)}`;
  const { segment } = makeSegment({ sessionId, seq: 0, start: Date.now() - 1000 });
  const res = await post('/v1/logs', JSON.stringify(segmentsRequest([segment])), JSON_TYPE);
  assert.equal(res.status, 200);
  const summary = await fetch(`${rx.url}/api/v1/sessions/${sessionId}`);
  assert.equal(summary.status, 200);
}

describe('request-level errors', () => {
  test('malformed JSON → 400 with a JSON Status naming the problem', async () => {
    for (const body of ['{"resourceLogs": [', 'not json at all', '{"resourceLogs": {"not": "an array"}}', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}']) {
      const res = await post('/v1/logs', body, JSON_TYPE);
      assert.equal(res.status, 400, body);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const status = JSON.parse(res.text) as { code: number; message: string };
      assert.equal(status.code, 3);
      assert.ok(status.message.length > 10, status.message);
    }
    await stillServing();
  });

  test('malformed protobuf → 400 with a protobuf google.rpc.Status', async () => {
    for (const body of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), Buffer.from('this is not protobuf at all, really'), Buffer.from([0x0a, 0x05, 0x12, 0x03, 0x12, 0x01])]) {
      const res = await post('/v1/logs', body, PROTO_TYPE);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
      const status = RpcStatus.decode(res.bytes) as unknown as { code: number; message: string };
      assert.equal(status.code, 3);
      assert.ok(status.message.length > 5);
    }
    const traces = await post('/v1/traces', Buffer.from([0xff, 0xff, 0xff]), PROTO_TYPE);
    assert.equal(traces.status, 400);
    await stillServing();
  });

  test('a gzip bomb is stopped at the inflate cap with 413, quickly', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < MAX_BODY, 'the bomb itself is under the body cap');
    const started = Date.now();
    const res = await post('/v1/logs', bomb, { ...JSON_TYPE, 'content-encoding': 'gzip' });
    assert.equal(res.status, 413);
    assert.match(JSON.parse(res.text).message, /decompress|inflat|larger|exceed/i);
    assert.ok(Date.now() - started < 5000, 'rejected without inflating it all');
    await stillServing();
  });

  test('an oversized body → 413; a corrupt gzip body → 400; an unknown encoding → 415', async () => {
    const big = await post('/v1/logs', Buffer.alloc(MAX_BODY + 1024, 0x20), JSON_TYPE);
    assert.equal(big.status, 413);
    const corrupt = await post('/v1/logs', Buffer.concat([gzipSync('{"resourceLogs":[]}').subarray(0, 12), Buffer.from('garbage')]), { ...JSON_TYPE, 'content-encoding': 'gzip' });
    assert.equal(corrupt.status, 400);
    const unknown = await post('/v1/logs', '{}', { ...JSON_TYPE, 'content-encoding': 'br-ish' });
    assert.equal(unknown.status, 415);
    await stillServing();
  });

  test('a wrong or missing content type → 415 naming the accepted types', async () => {
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/xml' }, { 'content-type': 'multipart/form-data; boundary=x' }, {} as Record<string, string>]) {
      const res = await post('/v1/logs', '{"resourceLogs":[]}', headers);
      assert.equal(res.status, 415, JSON.stringify(headers));
      assert.match(res.text, /application\/json/);
    }
    // Parameters and case do not matter.
    assert.equal((await post('/v1/logs', '{"resourceLogs":[]}', { 'content-type': 'Application/JSON; charset=utf-8' })).status, 200);
    await stillServing();
  });

  test('methods other than POST on the OTLP paths → 405', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${rx.url}/v1/logs`, { method });
      assert.equal(res.status, 405, method);
    }
  });
});

describe('record-level errors: refused in partial_success, the rest stored', () => {
  test('hostile session ids, missing attributes and bad bodies are refused; the good segment is stored', async () => {
    const start = Date.now() - 5000;
    const good = makeSegment({ sessionId: 'good-session-1', seq: 0, start }).segment;
    const hostileIds = ['../../../etc/passwd', 'a/b', 'x'.repeat(10_000), 'nul\u0000byte', '\ud800lone-surrogate', 'spaces in id', '..'];
    const records = [segmentRecord(good)];
    for (const id of hostileIds) {
      const s = makeSegment({ sessionId: 'placeholder', seq: 0, start }).segment;
      const rec = segmentRecord(s);
      rec.attributes = rec.attributes.map((kv) => (kv.key === SegmentAttr.sessionId ? { key: kv.key, value: { stringValue: id } } : kv));
      records.push(rec);
    }
    const missingSeq = segmentRecord(makeSegment({ sessionId: 'missing-seq', seq: 0, start }).segment);
    missingSeq.attributes = missingSeq.attributes.filter((kv) => kv.key !== SegmentAttr.seq);
    records.push(missingSeq);
    const notGzip = segmentRecord(makeSegment({ sessionId: 'not-gzip', seq: 0, start }).segment);
    notGzip.body = { bytesValue: Buffer.from('definitely not gzip, just text that is long enough').toString('base64') };
    records.push(notGzip);
    const notArray = segmentRecord({ ...makeSegment({ sessionId: 'not-array', seq: 0, start }).segment, body: gzipSync('{"type":2}') });
    records.push(notArray);
    const innerBomb = segmentRecord({ ...makeSegment({ sessionId: 'inner-bomb', seq: 0, start }).segment, body: gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x5b), { level: 9 }) });
    records.push(innerBomb);

    const res = await post('/v1/logs', JSON.stringify(logsRequest(records as never)), JSON_TYPE);
    assert.equal(res.status, 200);
    const body = JSON.parse(res.text) as { partialSuccess: { rejectedLogRecords: string | number; errorMessage: string } };
    assert.equal(Number(body.partialSuccess.rejectedLogRecords), records.length - 1);
    assert.match(body.partialSuccess.errorMessage, /session\.id|characters/);

    // The good segment is there; nothing escaped the data directory.
    const stored = await fetch(`${rx.url}/api/v1/sessions/good-session-1/segments/w1/0`);
    assert.equal(stored.status, 200);
    for (const id of ['missing-seq', 'not-gzip', 'not-array', 'inner-bomb']) assert.equal((await fetch(`${rx.url}/api/v1/sessions/${id}`)).status, 404, id);
    assert.equal(existsSync(path.join(rx.dataDir, '..', 'etc')), false);
    const tenants = readdirSync(path.join(rx.dataDir, 'objects'));
    assert.deepEqual(tenants, ['default'], 'objects only under the tenant directory');
    await stillServing();
  });

  test('protobuf strings that are not UTF-8 are refused with 400, not stored garbled', async () => {
    // ExportLogsServiceRequest{resource_logs{scope_logs{log_records{event_name: 0xff 0xfe}}}}
    const eventName = Buffer.from([0x62, 0x02, 0xff, 0xfe]);
    const record = Buffer.concat([Buffer.from([0x12, eventName.length]), eventName]);
    const scope = Buffer.concat([Buffer.from([0x12, record.length]), record]);
    const resource = Buffer.concat([Buffer.from([0x0a, scope.length]), scope]);
    const res = await post('/v1/logs', resource, PROTO_TYPE);
    assert.equal(res.status, 400);
    assert.match((RpcStatus.decode(res.bytes) as unknown as { message: string }).message, /UTF-8/i);
    await stillServing();
  });
});

describe('auth and CORS', () => {
  let secured: RunningReceiver;
  const WRITE = 'write-key-tenant-a-0123456789';
  const READ = 'read-token-tenant-a-0123456789';
  const OTHER_READ = 'read-token-tenant-b-0123456789';
  before(async () => {
    secured = await startReceiver({
      server: { corsAllowedOrigins: ['https://app.example.com'] },
      auth: { required: true, tenants: [{ id: 'tenant-a', writeKeys: [WRITE], readTokens: [READ] }, { id: 'tenant-b', writeKeys: ['write-key-tenant-b-0123456789'], readTokens: [OTHER_READ] }] },
    });
  });
  after(async () => { await secured?.stop(); });

  test('ingest needs a write key; query needs a read token of the same tenant', async () => {
    const { segment } = makeSegment({ sessionId: 'auth-session', seq: 0, start: Date.now() - 1000 });
    const body = JSON.stringify(segmentsRequest([segment]));
    const send = (headers: Record<string, string>) => fetch(`${secured.url}/v1/logs`, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body });
    assert.equal((await send({})).status, 401);
    assert.equal((await send({ authorization: 'Bearer not-a-key-at-all-000000' })).status, 401);
    assert.equal((await send({ authorization: `Bearer ${READ}` })).status, 401, 'a read token cannot ingest');
    assert.equal((await send({ authorization: `Bearer ${WRITE}` })).status, 200);
    assert.equal((await send({ 'x-otel-replay-key': WRITE })).status, 200);

    const get = (token?: string) => fetch(`${secured.url}/api/v1/sessions/auth-session`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    assert.equal((await get()).status, 401);
    assert.equal((await get(WRITE)).status, 401, 'a write key cannot query');
    assert.equal((await get(OTHER_READ)).status, 404, 'another tenant does not see it');
    assert.equal((await get(READ)).status, 200);
    // Objects are stored under the tenant's prefix.
    assert.deepEqual(readdirSync(path.join(secured.dataDir, 'objects')), ['tenant-a']);
  });

  test('CORS: preflight from an allowed origin is answered; other origins get no allow header', async () => {
    const preflight = (origin: string) => fetch(`${secured.url}/v1/logs`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    const ok = await preflight('https://app.example.com');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /authorization/);
    const bad = await preflight('https://evil.example.net');
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
    const simple = await fetch(`${secured.url}/healthz`, { headers: { origin: 'https://evil.example.net' } });
    assert.equal(simple.headers.get('access-control-allow-origin'), null);
  });
});
