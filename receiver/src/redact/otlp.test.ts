// Redaction of whole OTLP requests: protobuf is rewritten byte-exactly outside the strings a
// rule changed (unknown fields survive), JSON keeps integers a double cannot hold, and
// replay segment records pass through untouched.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SEGMENT_EVENT_NAME } from '@otel-replay/protocol';
import { decodeLogs } from '../otlp/decode-logs.ts';
import { ExportLogsServiceRequest, LogRecord } from '../otlp/schema.ts';
import { Assembly } from '../otlp/wire.ts';
import { redactLogsRequest } from './otlp.ts';
import { RedactionRules } from './rules.ts';

const rules = new RedactionRules({ rules: [{ name: 'emails', pattern: '[\\w.+-]+@[\\w-]+\\.\\w+', replacement: '[email]', applyTo: ['log.body', 'log.attributes'] }], maxValueLength: 65536 });
const s = (v: string) => ({ stringValue: v });

describe('redactLogsRequest (protobuf)', () => {
  it('rewrites the matching strings and copies every other byte, unknown fields included', () => {
    const recordBytes = (rec: object) => {
      const a = new Assembly();
      a.append(LogRecord.encode(LogRecord.fromObject(rec)).finish());
      a.append(Uint8Array.from([0x98, 0x06, 0x2a])); // unknown field 99 = 42
      return a;
    };
    const scope = new Assembly();
    scope.appendMessage(2, recordBytes({ body: s('mail from a@b.co'), attributes: [{ key: 'user', value: s('c@d.io') }, { key: 'n', value: { intValue: 5 } }] }));
    scope.appendMessage(2, recordBytes({ eventName: SEGMENT_EVENT_NAME, body: s('a@b.co stays'), attributes: [{ key: 'session.id', value: s('s1') }] }));
    const resource = new Assembly();
    resource.appendMessage(2, scope);
    const request = new Assembly();
    request.appendMessage(1, resource);
    request.append(Uint8Array.from([0x98, 0x06, 0x07])); // unknown top-level field
    const body = request.bytes();

    const out = redactLogsRequest(rules, body, 'protobuf');
    const decoded = decodeLogs(out, 'protobuf');
    const [first, segment] = decoded.resources[0]!.scopes[0]!.records;
    assert.equal(first!.body, 'mail from [email]');
    assert.equal(first!.attributes['user'], '[email]');
    assert.equal(first!.attributes['n'], 5);
    assert.equal(segment!.body, 'a@b.co stays', 'segment records are not log records to redact');
    const hex = Buffer.from(out).toString('hex');
    assert.equal(hex.split('98062a').length - 1, 2, 'both records keep their unknown field');
    assert.ok(hex.endsWith('980607'), 'the request keeps its unknown field');
    assert.equal(ExportLogsServiceRequest.decode(out).toJSON()['resourceLogs'].length, 1);
  });

  it('returns the very same bytes when no rule matches', () => {
    const body = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: s('nothing here') }] }] }] })).finish();
    assert.equal(redactLogsRequest(rules, body, 'protobuf'), body);
  });
});

describe('redactLogsRequest (JSON)', () => {
  it('rewrites strings and keeps 64-bit integers exactly', () => {
    const text = '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1700000000123456789,"body":{"stringValue":"to a@b.co"},"attributes":[{"key":"big","value":{"intValue":9007199254740993}}]}]}]}]}';
    const out = redactLogsRequest(rules, Buffer.from(text), 'json');
    const record = decodeLogs(out, 'json').resources[0]!.scopes[0]!.records[0]!;
    assert.equal(record.timeUnixNano, 1700000000123456789n, 'a nanosecond timestamp a double cannot hold survives');
    assert.equal(record.attributes['big'], 9007199254740993n);
    assert.equal(record.body, 'to [email]');
  });
});
