// Keeps docs/protocol.md honest: its worked example must pass the protocol's own checks,
// and every name the code defines must appear in it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Attr, EventName } from './events.ts';
import { OBJECT_MAGIC } from './framing.ts';
import { LEGACY_SESSION_ATTRIBUTES, LEGACY_INSTANCE_ATTRIBUTES, LEGACY_WINDOW_ID, LegacyAttr } from './legacy.ts';
import { startsWithFullSnapshot } from './rrweb.ts';
import { SEGMENT_EVENT_NAME, SegmentAttr, readSegmentAttributes, segmentBodyBytes } from './segment.ts';
import type { AttributeValue, Attributes } from './segment.ts';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

interface OtlpJsonValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; bytesValue?: string; doubleValue?: number }

function fromOtlpJson(v: OtlpJsonValue): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return new Uint8Array(Buffer.from(v.bytesValue, 'base64'));
  throw new Error(`unsupported value in the example: ${JSON.stringify(v)}`);
}

test('the worked example is a valid segment whose body is the documented events', () => {
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const events = JSON.parse(blocks.find((b) => b.trimStart().startsWith('['))!) as { type: number; timestamp: number }[];
  const request = JSON.parse(blocks.find((b) => b.includes('resourceLogs'))!) as {
    resourceLogs: { scopeLogs: { logRecords: { timeUnixNano: string; eventName: string; body: OtlpJsonValue; attributes: { key: string; value: OtlpJsonValue }[] }[] }[] }[];
  };
  const record = request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(record.eventName, SEGMENT_EVENT_NAME);
  const attrs: Attributes = Object.fromEntries(record.attributes.map((a) => [a.key, fromOtlpJson(a.value)]));
  const meta = readSegmentAttributes(attrs);
  const body = segmentBodyBytes(meta, fromOtlpJson(record.body));
  assert.deepEqual(JSON.parse(gunzipSync(body).toString('utf8')), events);
  assert.equal(meta.eventCount, events.length);
  assert.equal(meta.firstTimestamp, events[0]!.timestamp);
  assert.equal(meta.lastTimestamp, events[events.length - 1]!.timestamp);
  assert.equal(meta.hasFullSnapshot, startsWithFullSnapshot(events));
  assert.equal(BigInt(record.timeUnixNano), BigInt(meta.firstTimestamp) * 1_000_000n);
});

test('every name the code defines appears in the document', () => {
  const names = [
    SEGMENT_EVENT_NAME, OBJECT_MAGIC, LEGACY_WINDOW_ID,
    ...Object.values(SegmentAttr), ...Object.values(EventName), ...Object.values(Attr), ...Object.values(LegacyAttr),
    ...LEGACY_SESSION_ATTRIBUTES.map((s) => s.name), ...LEGACY_INSTANCE_ATTRIBUTES.map((s) => s.name),
  ];
  const missing = names.filter((n) => !doc.includes(`\`${n}\``));
  assert.deepEqual(missing, []);
});
