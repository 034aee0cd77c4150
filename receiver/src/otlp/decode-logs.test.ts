import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { decodeLogs } from './decode-logs.ts';
import { OtlpError } from './errors.ts';
import type { DecodedLogs, LogRecordView, OtlpEncoding } from './model.ts';
import { ExportLogsServiceRequest, LogRecord } from './schema.ts';
import { ALL_TYPES_DECODED, body, SEGMENT_BODY, sdkLogs, TIME_NANOS } from './sdk-fixtures.ts';
import type { SdkLogs } from './sdk-fixtures.ts';

const ENCODINGS: OtlpEncoding[] = ['json', 'protobuf'];

function rejects400(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof OtlpError, `expected OtlpError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  };
}

function records(decoded: DecodedLogs): LogRecordView[] {
  return decoded.resources.flatMap((r) => r.scopes.flatMap((s) => s.records));
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** A JSON logs request with one record, for shape tests. */
function oneRecord(record: Record<string, unknown>): Buffer {
  return json({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });
}

function nestedJson(depth: number): unknown {
  let value: unknown = { stringValue: 'leaf' };
  for (let i = 1; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

let sdk: SdkLogs;
before(async () => {
  sdk = await sdkLogs();
});

describe('decodeLogs on SDK requests', () => {
  for (const encoding of ENCODINGS) {
    it(`decodes every field and attribute type (${encoding})`, () => {
      const decoded = decodeLogs(body(sdk, encoding), encoding);
      assert.equal(decoded.recordCount, 5);
      assert.equal(decoded.resources.length, 1);
      const [resource] = decoded.resources;
      assert.deepEqual(resource?.resource, { 'service.name': 'shop-web', 'deployment.count': 3 });
      assert.deepEqual(resource?.scopes.map((s) => s.scope), [
        { name: 'app', version: '1.0.0', attributes: {} },
        { name: 'other', version: '', attributes: {} },
      ]);
      const [segment, typed, mapBody, noBody, arrayBody] = records(decoded);
      assert.deepEqual(segment, {
        timeUnixNano: TIME_NANOS,
        observedTimeUnixNano: TIME_NANOS,
        severityNumber: 0,
        severityText: '',
        eventName: 'otel_replay.segment',
        body: SEGMENT_BODY,
        attributes: { 'session.id': 'sess-1', 'replay.segment.seq': 0 },
        traceId: sdk.traceId,
        spanId: sdk.spanId,
      });
      assert.equal(typed?.severityNumber, 9);
      assert.equal(typed?.severityText, 'INFO');
      assert.equal(typed?.body, 'hello');
      assert.deepEqual(typed?.attributes, ALL_TYPES_DECODED);
      assert.equal(typed?.traceId, '');
      assert.deepEqual(mapBody?.body, { nested: { list: [1, 'two'] } });
      assert.equal(mapBody?.severityNumber, 17);
      assert.equal(noBody?.body, undefined);
      assert.deepEqual(noBody?.attributes, { n: 1 });
      assert.deepEqual(arrayBody?.body, ['a', 1]);
    });
  }

  it('gives the same view for both encodings', () => {
    assert.deepEqual(decodeLogs(body(sdk, 'json'), 'json').resources, decodeLogs(body(sdk, 'protobuf'), 'protobuf').resources);
  });
});

describe('subset', () => {
  for (const encoding of ENCODINGS) {
    it(`keeps exactly the chosen records and re-decodes to the same values (${encoding})`, () => {
      const decoded = decodeLogs(body(sdk, encoding), encoding);
      const all = decoded.resources[0]!;
      const kept = decoded.subset((p) => (p[1] === 0 && p[2] === 1) || (p[1] === 1 && p[2] === 1));
      assert.ok(kept);
      const again = decodeLogs(Buffer.from(kept), encoding);
      assert.equal(again.recordCount, 2);
      assert.deepEqual(again.resources, [
        {
          resource: all.resource,
          scopes: [
            { scope: all.scopes[0]!.scope, records: [all.scopes[0]!.records[1]!] },
            { scope: all.scopes[1]!.scope, records: [all.scopes[1]!.records[1]!] },
          ],
        },
      ]);
    });

    it(`drops scopes left empty and returns null when nothing is kept (${encoding})`, () => {
      const decoded = decodeLogs(body(sdk, encoding), encoding);
      const kept = decoded.subset((p) => p[1] === 1);
      assert.ok(kept);
      const again = decodeLogs(Buffer.from(kept), encoding);
      assert.deepEqual(again.resources[0]?.scopes.map((s) => s.scope.name), ['other']);
      assert.equal(again.recordCount, 2);
      assert.equal(decoded.subset(() => false), null);
    });

    it(`passes every path exactly once, in order (${encoding})`, () => {
      const seen: string[] = [];
      decodeLogs(body(sdk, encoding), encoding).subset((p) => {
        seen.push(p.join('.'));
        return true;
      });
      assert.deepEqual(seen, ['0.0.0', '0.0.1', '0.0.2', '0.1.0', '0.1.1']);
    });
  }

  it('keeping everything reproduces the protobuf request byte for byte', () => {
    const original = body(sdk, 'protobuf');
    const kept = decodeLogs(original, 'protobuf').subset(() => true);
    assert.ok(kept);
    assert.deepEqual(Buffer.from(kept), original);
  });

  it('keeps unknown protobuf fields and exact encodings of kept records, scopes and resources', () => {
    const W = () => protobuf.Writer.create();
    const field = (number: number, inner: Uint8Array) => W().uint32((number << 3) | 2).bytes(inner).finish();
    const unknownVarint = (number: number, value: number) => W().uint32(number << 3).uint32(value).finish();
    const record = (text: string) => LogRecord.encode(LogRecord.fromObject({ severityText: text, attributes: [{ key: 'k', value: { stringValue: text } }] })).finish();
    // Record 1 carries field 99 (unknown to the schema) after its known fields.
    const withUnknown = Buffer.concat([record('second'), unknownVarint(99, 42), field(100, Buffer.from('opaque'))]);
    const scope = (records: Uint8Array[]) => Buffer.concat([unknownVarint(50, 7), ...records.map((r) => field(2, r))]);
    const resource = (scopeBytes: Uint8Array) => Buffer.concat([field(2, scopeBytes), field(60, Buffer.from('resource-extra'))]);
    const request = (resourceBytes: Uint8Array) => Buffer.concat([field(1, resourceBytes), unknownVarint(70, 1)]);

    const full = request(resource(scope([record('first'), withUnknown, record('third')])));
    const decoded = decodeLogs(full, 'protobuf');
    assert.deepEqual(records(decoded).map((r) => r.severityText), ['first', 'second', 'third']);

    const kept = decoded.subset((p) => p[2] === 1);
    assert.ok(kept);
    assert.deepEqual(Buffer.from(kept), request(resource(scope([withUnknown]))));
    // The schema still reads the kept request, unknown fields and all.
    const again = ExportLogsServiceRequest.decode(kept) as unknown as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ severityText: string }> }> }> };
    assert.equal(again.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.severityText, 'second');
  });

  it('keeps unknown JSON fields and integers a double cannot hold', () => {
    const request = JSON.parse(new TextDecoder().decode(sdk.json)) as {
      resourceLogs: Array<Record<string, unknown> & { scopeLogs: Array<Record<string, unknown> & { logRecords: Array<Record<string, unknown>> }> }>;
    } & Record<string, unknown>;
    request['futureTopLevel'] = { a: [1, 'x'] };
    request.resourceLogs[0]!['futureResourceField'] = true;
    request.resourceLogs[0]!.scopeLogs[0]!['futureScopeField'] = 'y';
    const target = request.resourceLogs[0]!.scopeLogs[0]!.logRecords[1]!;
    target['futureRecordField'] = { nested: [null, 2.5] };
    // A client may send 64-bit integers as JSON numbers; they come back digit for digit, as
    // proto3 JSON's decimal strings (which Loki and Tempo read as the same integers).
    const text = JSON.stringify(request)
      .replace('"futureRecordField"', '"hugeUnknown":123456789012345678901234567890,"futureRecordField"')
      .replace('"timeUnixNano":"1700000000123456789","observedTimeUnixNano":"1700000000123456789","severityNumber":9', '"timeUnixNano":1700000000123456789,"observedTimeUnixNano":"1700000000123456789","severityNumber":9');
    assert.match(text, /"timeUnixNano":1700000000123456789,/);

    const decoded = decodeLogs(Buffer.from(text), 'json');
    assert.equal(records(decoded)[1]?.timeUnixNano, 1700000000123456789n);
    const kept = decoded.subset((p) => p[1] === 0 && p[2] === 1);
    assert.ok(kept);
    const keptText = new TextDecoder().decode(kept);
    assert.match(keptText, /"hugeUnknown":"123456789012345678901234567890",/);
    assert.match(keptText, /"timeUnixNano":"1700000000123456789",/);
    const keptJson = JSON.parse(keptText) as typeof request;
    assert.deepEqual(keptJson['futureTopLevel'], { a: [1, 'x'] });
    assert.equal(keptJson.resourceLogs[0]!['futureResourceField'], true);
    assert.equal(keptJson.resourceLogs[0]!.scopeLogs[0]!['futureScopeField'], 'y');
    assert.deepEqual(keptJson.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r['futureRecordField']), [{ nested: [null, 2.5] }]);
    assert.deepEqual(records(decodeLogs(Buffer.from(kept), 'json')), [records(decoded)[1]]);
  });
});

describe('decodeLogs JSON rules', () => {
  it('defaults absent fields and accepts an empty request', () => {
    assert.equal(decodeLogs(json({}), 'json').recordCount, 0);
    assert.equal(decodeLogs(json({ resourceLogs: null }), 'json').recordCount, 0);
    assert.equal(decodeLogs(json({ resourceLogs: [{}] }), 'json').resources[0]?.scopes.length, 0);
    assert.deepEqual(records(decodeLogs(oneRecord({}), 'json')), [
      { timeUnixNano: 0n, observedTimeUnixNano: 0n, severityNumber: 0, severityText: '', eventName: '', body: undefined, attributes: {}, traceId: '', spanId: '' },
    ]);
  });

  it('reads 64-bit integers as strings or numbers, ids in either case, and every AnyValue form', () => {
    const text = oneRecord({
      timeUnixNano: 'TIME_AS_NUMBER',
      observedTimeUnixNano: '18446744073709551615',
      severityNumber: '13',
      traceId: '4BF92F3577B34DA6A3CE929D0E0E4736',
      spanId: '0000000000000000',
      attributes: [
        { key: 'small', value: { intValue: '12' } },
        { key: 'big', value: { intValue: '9223372036854775807' } },
        { key: 'negative', value: { intValue: 'NEGATIVE_AS_NUMBER' } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
        { key: 'exp', value: { doubleValue: 1e300 } },
        { key: 'urlsafe', value: { bytesValue: '-_8' } },
        { key: 'noValue' },
        { key: 'emptyValue', value: {} },
        { key: 'nullMember', value: { stringValue: null, boolValue: true } },
        { key: '__proto__', value: { stringValue: 'own' } },
      ],
    })
      .toString()
      .replace('"TIME_AS_NUMBER"', '1700000000123456789')
      .replace('"NEGATIVE_AS_NUMBER"', '-9007199254740993');
    const [record] = records(decodeLogs(Buffer.from(text), 'json'));
    assert.ok(record);
    assert.equal(record.timeUnixNano, 1700000000123456789n);
    assert.equal(record.observedTimeUnixNano, 2n ** 64n - 1n);
    assert.equal(record.severityNumber, 13);
    assert.equal(record.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(record.spanId, '', 'an all-zero id is the invalid (unset) id');
    const a = record.attributes;
    assert.equal(a['small'], 12);
    assert.equal(a['big'], 2n ** 63n - 1n);
    assert.equal(a['negative'], -9007199254740993n);
    assert.ok(Number.isNaN(a['nan']));
    assert.equal(a['inf'], Number.NEGATIVE_INFINITY);
    assert.equal(a['exp'], 1e300);
    assert.deepEqual(a['urlsafe'], new Uint8Array([0xfb, 0xff]));
    assert.equal(a['noValue'], null);
    assert.equal(a['emptyValue'], null);
    assert.equal(a['nullMember'], true);
    assert.ok(Object.hasOwn(a, '__proto__'));
    assert.equal(Object.getOwnPropertyDescriptor(a, '__proto__')?.value, 'own');
    assert.equal(Object.getPrototypeOf(a), Object.prototype);
  });

  it('accepts AnyValue nesting up to 32 levels and refuses deeper', () => {
    const ok = decodeLogs(oneRecord({ body: nestedJson(32) }), 'json');
    let value: unknown = records(ok)[0]?.body;
    for (let i = 1; i < 32; i++) value = (value as unknown[])[0];
    assert.equal(value, 'leaf');
    assert.throws(() => decodeLogs(oneRecord({ body: nestedJson(33) }), 'json'), rejects400(/logRecords\[0\]\.body(\.arrayValue\.values\[0\])+ nests AnyValue arrays\/maps deeper than 32 levels/));
    assert.throws(
      () => decodeLogs(oneRecord({ attributes: [{ key: 'k', value: nestedJson(40) }] }), 'json'),
      rejects400(/logRecords\[0\]\.attributes\[0\]\.value.* deeper than 32/),
    );
  });

  const malformed: Array<[string, Buffer | string, RegExp]> = [
    ['not JSON', 'resourceLogs: []', /logs request body is not valid JSON/],
    ['empty body', '', /not valid JSON/],
    ['an array', '[]', /request body is not a JSON object/],
    ['resourceLogs an object', '{"resourceLogs":{}}', /^resourceLogs is not an array \(got an object\)/],
    ['a null resource', '{"resourceLogs":[null]}', /^resourceLogs\[0\] is not a ResourceLogs object \(got null\)/],
    ['scopeLogs a string', '{"resourceLogs":[{"scopeLogs":"x"}]}', /^resourceLogs\[0\]\.scopeLogs is not an array \(got "x"\)/],
    ['resource not an object', '{"resourceLogs":[{"resource":[]}]}', /^resourceLogs\[0\]\.resource is not a Resource object/],
    ['scope not an object', '{"resourceLogs":[{"scopeLogs":[{"scope":1}]}]}', /^resourceLogs\[0\]\.scopeLogs\[0\]\.scope is not an InstrumentationScope object/],
    ['scope name a number', '{"resourceLogs":[{"scopeLogs":[{"scope":{"name":1}}]}]}', /^resourceLogs\[0\]\.scopeLogs\[0\]\.scope\.name is not a string/],
    ['record a number', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[7]}]}]}', /logRecords\[0\] is not a LogRecord object \(got 7\)/],
    ['snake_case resource_logs', '{"resource_logs":[{"scope_logs":[]}]}', /^resource_logs is not an OTLP\/JSON key; keys are lowerCamelCase \(resourceLogs\)/],
    ['snake_case log_records', '{"resourceLogs":[{"scopeLogs":[{"log_records":[{}]}]}]}', /^resourceLogs\[0\]\.scopeLogs\[0\]\.log_records is not an OTLP\/JSON key/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
    ['unknown field nested 300 deep', `{"x":${'['.repeat(300)}${']'.repeat(300)}}`, /nests JSON objects or arrays deeper than 256 levels/],
  ];
  for (const [name, input, pattern] of malformed) {
    it(`refuses ${name} with 400`, () => {
      assert.throws(() => decodeLogs(Buffer.from(input), 'json'), rejects400(pattern));
    });
  }

  it('says where a bad field is', () => {
    const logRecords = [{}, {}, {}, { timeUnixNano: 'soon' }];
    const text = json({ resourceLogs: [{ scopeLogs: [{}, { logRecords }] }] });
    assert.throws(() => decodeLogs(text, 'json'), rejects400(/^resourceLogs\[0\]\.scopeLogs\[1\]\.logRecords\[3\]\.timeUnixNano is not an integer \(got "soon"\)$/));
  });

  const badRecords: Array<[string, Record<string, unknown>, RegExp]> = [
    ['fractional timestamp', { timeUnixNano: 1.5 }, /timeUnixNano is not an integer/],
    ['negative timestamp', { timeUnixNano: '-1' }, /timeUnixNano is out of range for uint64/],
    ['timestamp over uint64', { observedTimeUnixNano: '18446744073709551616' }, /observedTimeUnixNano is out of range for uint64/],
    ['enum name for severity', { severityNumber: 'SEVERITY_NUMBER_INFO' }, /severityNumber is not an integer/],
    ['short trace id', { traceId: 'abc' }, /traceId must be 32 hex characters \(a 16-byte id\), got "abc"/],
    ['base64 trace id', { traceId: 'S/kvNXezTaajzpKdDg5HNg==' }, /traceId must be 32 hex characters/],
    ['trace-length span id', { spanId: '4bf92f3577b34da6a3ce929d0e0e4736' }, /spanId must be 16 hex characters/],
    ['non-hex span id', { spanId: 'zzzzzzzzzzzzzzzz' }, /spanId must be 16 hex characters/],
    ['numeric event name', { eventName: 5 }, /eventName is not a string/],
    ['body not an object', { body: 'text' }, /body is not an AnyValue object \(got "text"\)/],
    ['two AnyValue members', { body: { stringValue: 'a', intValue: 1 } }, /body sets both stringValue and intValue/],
    ['stringValue a number', { body: { stringValue: 1 } }, /body\.stringValue is not a string/],
    ['boolValue a string', { body: { boolValue: 'true' } }, /body\.boolValue is not a boolean/],
    ['intValue over int64', { body: { intValue: '9223372036854775808' } }, /body\.intValue is out of range for int64/],
    ['intValue with a fraction', { body: { intValue: 1.25 } }, /body\.intValue is not an integer/],
    ['doubleValue text', { body: { doubleValue: 'lots' } }, /body\.doubleValue is not a number/],
    ['bytesValue not base64', { body: { bytesValue: '!!!' } }, /body\.bytesValue is not base64/],
    ['arrayValue values not a list', { body: { arrayValue: { values: {} } } }, /body\.arrayValue\.values is not an array/],
    ['kvlistValue entry not an object', { body: { kvlistValue: { values: [1] } } }, /body\.kvlistValue\.values\[0\] is not a KeyValue object/],
    ['attributes an object', { attributes: { a: 1 } }, /logRecords\[0\]\.attributes is not an array/],
    ['attribute key a number', { attributes: [{ key: 1 }] }, /attributes\[0\]\.key is not a string/],
    ['flags negative', { flags: -1 }, /flags is out of range for uint32/],
  ];
  for (const [name, record, pattern] of badRecords) {
    it(`refuses a record with ${name} with 400`, () => {
      assert.throws(() => decodeLogs(oneRecord(record), 'json'), rejects400(pattern));
    });
  }
});

describe('decodeLogs protobuf rules', () => {
  const W = () => protobuf.Writer.create();
  const field = (number: number, inner: Uint8Array) => W().uint32((number << 3) | 2).bytes(inner).finish();
  const requestOf = (record: Uint8Array) => field(1, field(2, field(2, record)));
  const recordOf = (value: Record<string, unknown>) => LogRecord.encode(LogRecord.fromObject(value)).finish();

  function nestedAnyValue(depth: number): Uint8Array {
    let value: Uint8Array = W().uint32((1 << 3) | 2).string('leaf').finish();
    for (let i = 1; i < depth; i++) value = field(5, field(1, value));
    return value;
  }

  it('accepts an empty request', () => {
    assert.equal(decodeLogs(Buffer.alloc(0), 'protobuf').recordCount, 0);
  });

  it('refuses garbage and truncated requests with 400', () => {
    assert.throws(() => decodeLogs(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'protobuf'), rejects400(/not a valid ExportLogsServiceRequest protobuf message/));
    const sdkBody = body(sdk, 'protobuf');
    assert.throws(() => decodeLogs(sdkBody.subarray(0, sdkBody.length - 3), 'protobuf'), rejects400(/not a valid ExportLogsServiceRequest protobuf message: .*index out of range/));
    assert.throws(() => decodeLogs(Buffer.from('{"resourceLogs":[]}'), 'protobuf'), rejects400(/not a valid ExportLogsServiceRequest/));
  });

  it('refuses strings that are not UTF-8', () => {
    const record = Buffer.concat([W().uint32((3 << 3) | 2).bytes(Buffer.from([0x61, 0xff, 0xfe])).finish()]);
    assert.throws(() => decodeLogs(requestOf(record), 'protobuf'), rejects400(/utf-8/i));
  });

  it('refuses ids of the wrong length, saying where', () => {
    assert.throws(() => decodeLogs(requestOf(recordOf({ traceId: Buffer.alloc(5, 1) })), 'protobuf'), rejects400(/^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.traceId has 5 bytes; an id of this kind has 16$/));
    assert.throws(() => decodeLogs(requestOf(recordOf({ spanId: Buffer.alloc(16, 1) })), 'protobuf'), rejects400(/logRecords\[0\]\.spanId has 16 bytes; an id of this kind has 8/));
    const [record] = records(decodeLogs(requestOf(recordOf({ traceId: Buffer.alloc(16, 0), spanId: Buffer.alloc(8, 0xab) })), 'protobuf'));
    assert.equal(record?.traceId, '');
    assert.equal(record?.spanId, 'abababababababab');
  });

  it('accepts AnyValue nesting up to 32 levels and refuses deeper, even past the decoder limit', () => {
    const ok = records(decodeLogs(requestOf(field(5, nestedAnyValue(32))), 'protobuf'))[0]?.body;
    assert.ok(Array.isArray(ok));
    assert.throws(() => decodeLogs(requestOf(field(5, nestedAnyValue(33))), 'protobuf'), rejects400(/logRecords\[0\]\.body(\.arrayValue\.values\[0\])+ nests AnyValue arrays\/maps deeper than 32 levels/));
    assert.throws(() => decodeLogs(requestOf(field(5, nestedAnyValue(5000))), 'protobuf'), rejects400(/max depth exceeded/));
  });

  it('reads a negative int64 and the last of two oneof members, as protobuf merges', () => {
    const anyValue = Buffer.concat([W().uint32(3 << 3).int64(-5).finish(), W().uint32((1 << 3) | 2).string('later').finish()]);
    const kv = Buffer.concat([W().uint32((1 << 3) | 2).string('k').finish(), field(2, anyValue)]);
    const negative = Buffer.concat([W().uint32((1 << 3) | 2).string('n').finish(), field(2, W().uint32(3 << 3).int64(-5).finish())]);
    const [record] = records(decodeLogs(requestOf(Buffer.concat([field(6, kv), field(6, negative)])), 'protobuf'));
    assert.deepEqual(record?.attributes, { k: 'later', n: -5 });
  });
});
