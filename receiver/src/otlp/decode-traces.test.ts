import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { decodeTraces } from './decode-traces.ts';
import { OtlpError } from './errors.ts';
import type { OtlpEncoding, SpanView } from './model.ts';
import { body, sdkTraces, TIME_NANOS } from './sdk-fixtures.ts';
import type { SdkTraces } from './sdk-fixtures.ts';

function rejects400(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof OtlpError, `expected OtlpError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  };
}

const oneSpan = (span: Record<string, unknown>) => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));

let sdk: SdkTraces;
before(async () => {
  sdk = await sdkTraces();
});

describe('decodeTraces on SDK requests', () => {
  for (const encoding of ['json', 'protobuf'] as OtlpEncoding[]) {
    it(`decodes spans, kinds, statuses and attributes (${encoding})`, () => {
      const decoded = decodeTraces(body(sdk, encoding), encoding);
      assert.equal(decoded.spanCount, 2);
      const [resource] = decoded.resources;
      assert.deepEqual(resource?.resource, { 'service.name': 'shop-web' });
      assert.deepEqual(resource?.scopes[0]?.scope, { name: 'web', version: '2.0.0', attributes: {} });
      const byName = new Map(resource?.scopes[0]?.spans.map((s) => [s.name, s]));
      assert.deepEqual(byName.get('GET /'), {
        traceId: sdk.traceId,
        spanId: sdk.rootSpanId,
        parentSpanId: '',
        name: 'GET /',
        kind: 2,
        startTimeUnixNano: TIME_NANOS,
        endTimeUnixNano: 1_700_000_002_000_000_000n,
        attributes: { 'session.id': 'sess-1', 'http.status': 200 },
        statusCode: 1,
        statusMessage: '',
      } satisfies SpanView);
      assert.deepEqual(byName.get('fetch'), {
        traceId: sdk.traceId,
        spanId: sdk.childSpanId,
        parentSpanId: sdk.rootSpanId,
        name: 'fetch',
        kind: 3,
        startTimeUnixNano: TIME_NANOS,
        endTimeUnixNano: 1_700_000_001_000_000_000n,
        attributes: { ratio: 0.25, tags: ['a', 'b'], ok: false },
        statusCode: 2,
        statusMessage: 'boom',
      } satisfies SpanView);
    });
  }

  it('gives the same view for both encodings', () => {
    assert.deepEqual(decodeTraces(body(sdk, 'json'), 'json').resources, decodeTraces(body(sdk, 'protobuf'), 'protobuf').resources);
  });
});

describe('decodeTraces refusals', () => {
  it('accepts empty requests', () => {
    assert.equal(decodeTraces(Buffer.from('{}'), 'json').spanCount, 0);
    assert.equal(decodeTraces(Buffer.alloc(0), 'protobuf').spanCount, 0);
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['invalid JSON', Buffer.from('{"resourceSpans":['), /traces request body is not valid JSON/],
    ['resourceSpans not an array', Buffer.from('{"resourceSpans":1}'), /^resourceSpans is not an array/],
    ['snake_case scope_spans', Buffer.from('{"resourceSpans":[{"scope_spans":[]}]}'), /^resourceSpans\[0\]\.scope_spans is not an OTLP\/JSON key; keys are lowerCamelCase \(scopeSpans\)/],
    ['a span that is a string', Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":["x"]}]}]}'), /spans\[0\] is not a Span object/],
    ['a short trace id', oneSpan({ traceId: '00ff' }), /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId must be 32 hex characters/],
    ['a bad parent span id', oneSpan({ parentSpanId: 'xyz' }), /spans\[0\]\.parentSpanId must be 16 hex characters/],
    ['kind as a name', oneSpan({ kind: 'SPAN_KIND_SERVER' }), /spans\[0\]\.kind is not an integer/],
    ['status code as a name', oneSpan({ status: { code: 'STATUS_CODE_ERROR' } }), /spans\[0\]\.status\.code is not an integer/],
    ['status not an object', oneSpan({ status: 2 }), /spans\[0\]\.status is not a Status object/],
    ['a bad end time', oneSpan({ endTimeUnixNano: 'later' }), /spans\[0\]\.endTimeUnixNano is not an integer/],
    ['an event with a bad time', oneSpan({ events: [{ timeUnixNano: -1 }] }), /spans\[0\]\.events\[0\]\.timeUnixNano is out of range/],
    ['a link with a bad span id', oneSpan({ links: [{ spanId: '12' }] }), /spans\[0\]\.links\[0\]\.spanId must be 16 hex characters/],
    ['a link attribute too deep', oneSpan({ links: [{ attributes: [{ key: 'k', value: deep(40) }] }] }), /links\[0\]\.attributes\[0\]\.value.* deeper than 32/],
  ];
  for (const [name, input, pattern] of bad) {
    it(`refuses JSON with ${name} with 400`, () => {
      assert.throws(() => decodeTraces(input, 'json'), rejects400(pattern));
    });
  }

  const W = () => protobuf.Writer.create();
  const field = (number: number, inner: Uint8Array) => W().uint32((number << 3) | 2).bytes(inner).finish();
  const requestOf = (span: Uint8Array) => field(1, field(2, field(2, span)));

  it('refuses protobuf garbage, truncation and bad ids with 400', () => {
    assert.throws(() => decodeTraces(Buffer.from([0x0a, 0x05, 0x01]), 'protobuf'), rejects400(/not a valid ExportTraceServiceRequest protobuf message/));
    const sdkBody = body(sdk, 'protobuf');
    assert.throws(() => decodeTraces(sdkBody.subarray(0, sdkBody.length - 1), 'protobuf'), rejects400(/not a valid ExportTraceServiceRequest/));
    assert.throws(() => decodeTraces(requestOf(field(1, Buffer.alloc(15, 1))), 'protobuf'), rejects400(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId has 15 bytes; an id of this kind has 16$/));
    assert.throws(() => decodeTraces(requestOf(field(13, field(2, Buffer.alloc(3)))), 'protobuf'), rejects400(/spans\[0\]\.links\[0\]\.spanId has 3 bytes/));
    assert.throws(() => decodeTraces(requestOf(field(5, Buffer.from([0xc3, 0x28]))), 'protobuf'), rejects400(/utf-8/i));
  });
});

function deep(depth: number): unknown {
  let value: unknown = { boolValue: true };
  for (let i = 1; i < depth; i++) value = { kvlistValue: { values: [{ key: 'k', value }] } };
  return value;
}
