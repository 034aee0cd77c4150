// The demo backend over HTTP, without a browser: pages and assets, the API and its bad
// input (malformed, oversized, wrong type, unknown routes), trace context in and
// Server-Timing out, and its spans at an OTLP stand-in — the SERVER span a child of the
// caller's traceparent.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeTraces } from '../../receiver/src/otlp/decode-traces.ts';
import type { SpanView } from '../../receiver/src/otlp/model.ts';
import { TRACES_PATH, startOtlpSink } from '../../receiver/test/peers/otlp-sink.ts';
import type { OtlpSink } from '../../receiver/test/peers/otlp-sink.ts';
import { MAX_ITEMS, REPORT_DELAY_MS } from './api.ts';
import { DemoConfigError, loadDemoConfig } from './config.ts';
import { MAX_BODY_BYTES, startDemo } from './server.ts';
import type { RunningDemo } from './server.ts';

let sink: OtlpSink;
let demo: RunningDemo;
const HOSTILE_GRAFANA = 'http://grafana.example/</script><script>alert(1)</script>';

before(async () => {
  sink = await startOtlpSink();
  demo = await startDemo(loadDemoConfig({}, { port: 0, browserEndpoint: 'http://127.0.0.1:4318', tracesUrl: sink.tracesUrl, grafanaUrl: HOSTILE_GRAFANA }));
});

after(async () => {
  await demo?.close();
  await sink?.stop();
});

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${demo.url}${path}`, { method, body: body ?? null, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

test('every client-side route serves the app shell with the SDK settings; unknown paths get it with 404', async () => {
  for (const path of ['/', '/items', '/contact']) {
    const res = await fetch(`${demo.url}${path}`);
    assert.equal(res.status, 200, path);
    const html = await res.text();
    assert.match(html, /<script src="\/sdk\/otel-replay\.iife\.js"><\/script>/);
    const settings = JSON.parse(/<script id="demo-settings" type="application\/json">(.*?)<\/script>/.exec(html)![1]!) as Record<string, unknown>;
    assert.deepEqual(settings, { endpoint: 'http://127.0.0.1:4318', writeKey: null, serviceName: 'otel-replay-demo', grafanaUrl: HOSTILE_GRAFANA });
    assert.equal(html.includes('<script>alert(1)'), false, 'a setting cannot close the settings script tag');
  }
  assert.equal((await fetch(`${demo.url}/nowhere`)).status, 404);
  assert.equal((await fetch(`${demo.url}/../../etc/passwd`)).status, 404);
  assert.equal((await fetch(`${demo.url}/`, { method: 'POST' })).status, 405);
});

test('the SDK script, the app bundle and the stylesheet are served', async () => {
  const sdk = await fetch(`${demo.url}/sdk/otel-replay.iife.js`);
  assert.equal(sdk.status, 200);
  assert.match(sdk.headers.get('content-type') ?? '', /javascript/);
  assert.match(await sdk.text(), /OtelReplay/);
  const app = await fetch(`${demo.url}/app.js`);
  assert.equal(app.status, 200);
  const appText = await app.text();
  assert.match(appText, /getSessionId/);
  assert.equal(/^\s*import\s/m.test(appText), false, 'one self-contained module');
  assert.equal((await fetch(`${demo.url}/style.css`)).status, 200);
  assert.equal(await (await fetch(`${demo.url}/healthz`)).text(), 'ok\n');
});

test('the shopping list API adds, lists and removes items, and refuses bad input with a clear error', async () => {
  const list = async (): Promise<Array<{ id: number; name: string }>> => ((await call('GET', '/api/items')).json as { items: Array<{ id: number; name: string }> }).items;
  const before = await list();
  assert.deepEqual(before.map((i) => i.name), ['Apples', 'Bread', 'Coffee beans']);
  const created = await call('POST', '/api/items', JSON.stringify({ name: '  Tea  ' }));
  assert.equal(created.status, 201);
  assert.equal((created.json as { name: string }).name, 'Tea');
  const id = (created.json as { id: number }).id;
  assert.equal((await call('DELETE', `/api/items/${id}`)).status, 204);
  const again = await call('DELETE', `/api/items/${id}`);
  assert.equal(again.status, 404);
  assert.match((again.json as { error: string }).error, /does not exist/);

  const bad: Array<[string, number, RegExp]> = [
    ['{"name":', 400, /not valid JSON/],
    ['{"name":""}', 400, /"name" is required/],
    ['{"name":42}', 400, /"name" is required/],
    ['[]', 400, /"name" is required/],
    ['null', 400, /"name" is required/],
    [JSON.stringify({ name: 'x'.repeat(81) }), 400, /too long/],
    [JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) }), 413, /larger than/],
  ];
  for (const [body, status, message] of bad) {
    const res = await call('POST', '/api/items', body);
    assert.equal(res.status, status, body.slice(0, 40));
    assert.match((res.json as { error: string }).error, message);
  }
  const form = await fetch(`${demo.url}/api/items`, { method: 'POST', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415);
  assert.equal((await call('PUT', '/api/items', '{}')).status, 405);
  assert.equal((await call('GET', '/api/nothing')).status, 404);
  assert.equal((await call('DELETE', '/api/items/abc')).status, 404);
  assert.deepEqual(await list(), before, 'no bad request changed the list');
});

test('the list is capped so the public demo cannot be filled without bound', async () => {
  const start = ((await call('GET', '/api/items')).json as { items: unknown[] }).items.length;
  const ids: number[] = [];
  for (let i = start; i < MAX_ITEMS; i++) ids.push(((await call('POST', '/api/items', JSON.stringify({ name: `item ${i}` }))).json as { id: number }).id);
  const full = await call('POST', '/api/items', JSON.stringify({ name: 'one too many' }));
  assert.equal(full.status, 409);
  assert.match((full.json as { error: string }).error, /list is full/);
  for (const id of ids) assert.equal((await call('DELETE', `/api/items/${id}`)).status, 204);
});

test('each API request is a SERVER span continuing the caller\'s traceparent, announced in Server-Timing', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  const started = Date.now();
  const report = await call('GET', '/api/report', undefined, { traceparent: `00-${traceId}-${parentId}-01` });
  assert.equal(report.status, 200);
  assert.ok(Date.now() - started >= REPORT_DELAY_MS - 5, 'the report is slow');
  const timing = /^traceparent;desc="00-([0-9a-f]{32})-([0-9a-f]{16})-01"$/.exec(report.headers.get('server-timing') ?? '');
  assert.ok(timing, `Server-Timing: ${report.headers.get('server-timing')}`);
  assert.equal(timing[1], traceId);
  const serverSpanId = timing[2]!;

  const checkout = await call('POST', '/api/checkout', '{}');
  assert.equal(checkout.status, 500);
  assert.match((checkout.json as { error: string }).error, /payment provider unavailable/);
  const untraced = /^traceparent;desc="00-([0-9a-f]{32})-/.exec(checkout.headers.get('server-timing') ?? '');
  assert.ok(untraced && untraced[1] !== traceId, 'without traceparent the backend starts its own trace');
  assert.equal((await call('POST', '/api/contact', JSON.stringify({ name: 'A', email: 'a@example.com' }))).status, 400);

  await demo.flushTelemetry();
  await sink.waitFor((rs) => rs.some((r) => r.path === TRACES_PATH), 5000);
  const spans: SpanView[] = sink.accepted(TRACES_PATH).flatMap((r) => decodeTraces(r.body!, String(r.headers['content-type']).startsWith('application/json') ? 'json' : 'protobuf').resources.flatMap((rs) => rs.scopes.flatMap((s) => s.spans)));
  const server = spans.find((s) => s.spanId === serverSpanId);
  assert.ok(server, `the report's SERVER span reached the stand-in (${spans.map((s) => s.name).join(', ')})`);
  assert.equal(server.name, 'GET /api/report');
  assert.equal(server.traceId, traceId);
  assert.equal(server.parentSpanId, parentId);
  assert.equal(server.kind, 2);
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.equal(spans.find((s) => s.name === 'report.aggregate')?.parentSpanId, serverSpanId);
  const failed = spans.find((s) => s.name === 'POST /api/checkout');
  assert.equal(failed?.statusCode, 2);
  assert.equal(spans.find((s) => s.name === 'payment.authorize')?.statusCode, 2);
  const rejected = spans.find((s) => s.name === 'POST /api/contact');
  assert.equal(rejected?.statusCode, 0, 'a 400 is not a server error');
  assert.equal(rejected.attributes['http.response.status_code'], 400);
});

test('settings are checked at start and a mistake names the variable', () => {
  assert.deepEqual(
    (({ host, port, browserEndpoint, tracesUrl, writeKey, grafanaUrl }) => ({ host, port, browserEndpoint, tracesUrl, writeKey, grafanaUrl }))(loadDemoConfig({})),
    { host: '127.0.0.1', port: 8080, browserEndpoint: 'http://127.0.0.1:4318', tracesUrl: 'http://127.0.0.1:4318/v1/traces', writeKey: null, grafanaUrl: null },
  );
  const c = loadDemoConfig({ DEMO_RECEIVER_URL: 'https://replay.example.com/', DEMO_PORT: '9000', DEMO_WRITE_KEY: 'wk_1234567890abcdef' });
  assert.equal(c.browserEndpoint, 'https://replay.example.com');
  assert.equal(c.tracesUrl, 'https://replay.example.com/v1/traces');
  assert.equal(c.port, 9000);
  assert.equal(c.writeKey, 'wk_1234567890abcdef');
  assert.equal(loadDemoConfig({ DEMO_TRACES_URL: 'http://collector:4318/v1/traces' }).tracesUrl, 'http://collector:4318/v1/traces');
  for (const [env, name] of [[{ DEMO_PORT: 'eighty' }, 'DEMO_PORT'], [{ DEMO_PORT: '70000' }, 'DEMO_PORT'], [{ DEMO_RECEIVER_URL: 'ftp://x' }, 'DEMO_RECEIVER_URL'], [{ DEMO_TRACES_URL: 'not a url' }, 'DEMO_TRACES_URL'], [{ DEMO_GRAFANA_URL: 'javascript:alert(1)' }, 'DEMO_GRAFANA_URL']] as const) {
    assert.throws(() => loadDemoConfig(env), (err: unknown) => err instanceof DemoConfigError && err.message.startsWith(name), JSON.stringify(env));
  }
});
