import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureHeaders, REDACTED, redactBody, truncateUtf8 } from './redact.ts';
import { parseServerTimingTraceparent } from './server-timing.ts';
import { matchesUrl, ownEndpointPatterns, prefixPattern } from './url-match.ts';
import { encodeSpansRequest } from './otlp-span-exporter.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('parseServerTimingTraceparent: quoted, unquoted, among other metrics; rejects malformed and all-zero ids', () => {
  assert.deepEqual(parseServerTimingTraceparent(`traceparent;desc="00-${TRACE}-${SPAN}-01"`), { traceId: TRACE, spanId: SPAN });
  assert.deepEqual(parseServerTimingTraceparent(`db;dur=53, app;dur=47.2, traceparent;desc=00-${TRACE}-${SPAN}-00`), { traceId: TRACE, spanId: SPAN });
  assert.deepEqual(parseServerTimingTraceparent(`TraceParent;DESC="00-${TRACE.toUpperCase()}-${SPAN}-01"`), { traceId: TRACE, spanId: SPAN });
  assert.equal(parseServerTimingTraceparent(null), null);
  assert.equal(parseServerTimingTraceparent('traceparent'), null);
  assert.equal(parseServerTimingTraceparent(`traceparent;desc="01-${TRACE}-${SPAN}-01"`), null);
  assert.equal(parseServerTimingTraceparent(`traceparent;desc="00-${'0'.repeat(32)}-${SPAN}-01"`), null);
  assert.equal(parseServerTimingTraceparent(`traceparent;desc="00-${TRACE}-xyz-01"`), null);
  assert.equal(parseServerTimingTraceparent('x'.repeat(100_000)), null);
});

test('ownEndpointPatterns match our OTLP URLs only; prefixPattern and matchesUrl treat strings as prefixes', () => {
  const [p] = ownEndpointPatterns('https://replay.example.com:4318/');
  assert.ok(p!.test('https://replay.example.com:4318/v1/logs'));
  assert.ok(p!.test('https://replay.example.com:4318/v1/traces'));
  assert.ok(!p!.test('https://replay.example.com:4318/api/v1/logs'));
  assert.ok(!p!.test('https://replayXexample.com:4318/v1/logs'), 'dots are literal');
  assert.ok(prefixPattern('https://api.example.com').test('https://api.example.com/orders?id=1'));
  assert.ok(!prefixPattern('https://api.example.com').test('https://evil.example/https://api.example.com'));
  assert.ok(matchesUrl('https://a.example/x', ['https://a.example']));
  assert.ok(matchesUrl('https://a.example/x', [/\/x$/]));
  assert.ok(!matchesUrl('https://a.example/x', []));
});

test('captureHeaders: allowlist only, lower-cased, sensitive ones redacted', () => {
  const out = captureHeaders([['Content-Type', 'application/json'], ['Authorization', 'Bearer s3cret'], ['X-Other', '1']], ['content-type', 'authorization'], ['authorization']);
  assert.deepEqual(out, { 'content-type': 'application/json', authorization: REDACTED });
  assert.deepEqual(captureHeaders([['a', '1']], [], []), {});
});

test('redactBody: JSON at any depth, form bodies and free text; truncation after redaction', () => {
  const keys = ['password', 'token'];
  const json = redactBody(JSON.stringify({ user: 'ann', password: 'hunter2', nested: [{ Token: 'abc' }] }), keys, 4096);
  assert.deepEqual(JSON.parse(json), { user: 'ann', password: REDACTED, nested: [{ Token: REDACTED }] });
  assert.equal(redactBody('user=ann&password=hunter2&x=1', keys, 4096), `user=ann&password=${REDACTED}&x=1`);
  assert.equal(redactBody('token: abc, other: 1', keys, 4096), `token: ${REDACTED}, other: 1`);
  assert.ok(!redactBody('{"password": "hunter2", broken', keys, 4096).includes('hunter2'));
  const long = redactBody(JSON.stringify({ password: 'hunter2', pad: 'x'.repeat(10_000) }), keys, 100);
  assert.ok(!long.includes('hunter2'));
  assert.ok(long.endsWith('…[truncated]'));
  assert.equal(truncateUtf8('ééé', 3), 'é…[truncated]');
});

test('encodeSpansRequest: OTLP/JSON shape with hex ids, OTLP span kinds and nanosecond strings', () => {
  const resource = { attributes: { 'service.name': 'web' } };
  const span = {
    name: 'HTTP GET', kind: 2, spanContext: () => ({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }), parentSpanContext: { traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa', traceFlags: 1 },
    startTime: [1767225600, 123000000], endTime: [1767225600, 223000000], status: { code: 0 }, attributes: { 'session.id': 's1', 'http.response.status_code': 200 },
    links: [], events: [{ name: 'fetchStart', time: [1767225600, 124000000] }], resource, instrumentationScope: { name: '@opentelemetry/instrumentation-fetch', version: '0.300.0' },
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0, duration: [0, 1], ended: true,
  };
  const body = JSON.parse(encodeSpansRequest([span as never]));
  const s = body.resourceSpans[0].scopeSpans[0].spans[0];
  assert.deepEqual(body.resourceSpans[0].resource.attributes, [{ key: 'service.name', value: { stringValue: 'web' } }]);
  assert.equal(body.resourceSpans[0].scopeSpans[0].scope.name, '@opentelemetry/instrumentation-fetch');
  assert.equal(s.traceId, TRACE);
  assert.equal(s.parentSpanId, 'aaaaaaaaaaaaaaaa');
  assert.equal(s.kind, 3, 'API CLIENT (2) is OTLP SPAN_KIND_CLIENT (3)');
  assert.equal(s.startTimeUnixNano, '1767225600123000000');
  assert.deepEqual(s.attributes[1], { key: 'http.response.status_code', value: { intValue: '200' } });
  assert.equal(s.events[0].timeUnixNano, '1767225600124000000');
});
