import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { LOGS_PATH, OtlpSink, startOtlpSink, TRACES_PATH } from './otlp-sink.ts';

const sinks: OtlpSink[] = [];
after(async () => {
  for (const s of sinks) await s.stop();
});

async function post(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/x-protobuf', ...headers } });
}

describe('OtlpSink', () => {
  it('answers like Loki (204) and Tempo (200, empty OTLP answer) and records raw and gunzipped bodies', async () => {
    const sink = await startOtlpSink();
    sinks.push(sink);
    const body = Buffer.from('hello');
    const logs = await post(sink.logsUrl, gzipSync(body), { 'content-encoding': 'gzip' });
    assert.equal(logs.status, 204);
    const traces = await post(sink.tracesUrl, body, { 'content-type': 'application/json' });
    assert.equal(traces.status, 200);
    assert.equal(await traces.text(), '{}');
    assert.equal((await post(`${sink.url}/v1/logs`, body)).status, 404);
    const bad = await post(sink.logsUrl, Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
    assert.equal(bad.status, 204);
    const [l, t, , b] = sink.requests;
    assert.equal(l!.path, LOGS_PATH);
    assert.deepEqual(l!.body, body);
    assert.notDeepEqual(l!.raw, body);
    assert.equal(t!.path, TRACES_PATH);
    assert.deepEqual(t!.raw, body);
    assert.equal(b!.body, null, 'a body that is not gzip is recorded as null, not thrown');
    assert.equal(sink.accepted().length, 3);
  });

  it('fails on demand (with Retry-After, a number of times), recovers, stops and restarts on the same port', async () => {
    const sink = await startOtlpSink();
    sinks.push(sink);
    sink.failWith(503, { retryAfter: 7, times: 2 });
    const first = await post(sink.logsUrl, Buffer.from('a'));
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('retry-after'), '7');
    assert.equal((await post(sink.logsUrl, Buffer.from('b'))).status, 503);
    assert.equal((await post(sink.logsUrl, Buffer.from('c'))).status, 204);
    sink.failWith(429);
    assert.equal((await post(sink.tracesUrl, Buffer.from('d'))).status, 429);
    sink.recover();
    assert.equal((await post(sink.tracesUrl, Buffer.from('e'))).status, 200);

    const port = sink.port;
    await sink.stop();
    await assert.rejects(post(sink.logsUrl, Buffer.from('f')));
    await sink.start();
    assert.equal(sink.port, port);
    assert.equal((await post(sink.logsUrl, Buffer.from('g'))).status, 204);
    assert.deepEqual(
      sink.requests.map((r) => `${r.raw.toString()}:${r.status}`),
      ['a:503', 'b:503', 'c:204', 'd:429', 'e:200', 'g:204'],
    );
  });

  it('waitFor resolves on a matching request and rejects with a clear message on timeout', async () => {
    const sink = await startOtlpSink();
    sinks.push(sink);
    const waiting = sink.waitFor((rs) => rs.length === 1, 2000);
    await post(sink.logsUrl, Buffer.from('x'));
    await waiting;
    await assert.rejects(sink.waitFor((rs) => rs.length === 5, 50), /not met within 50 ms; saw 1 requests/);
  });
});
