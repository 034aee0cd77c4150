// Fuzzing the storage object framing: objects framed from random valid members read back
// exactly (every manifest range is a whole gzip member holding that segment's JSON), and
// objects damaged any way (cut, footer lies, manifest not JSON or not a manifest, entries
// out of range, overlapping, with bad metadata, garbage appended) are refused with a
// ProtocolError or read back as a manifest whose ranges all lie inside the members,
// never overlap, and carry valid segment metadata, so nothing downstream reads out of range.
// Failures print fast-check's seed and path: rerun with { seed, path } in fc.assert.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FOOTER_BYTES, OBJECT_MAGIC, frameObject, readFooter, readManifest } from './framing.ts';
import type { ObjectManifest } from './framing.ts';
import { ProtocolError, SegmentLimits, readSegmentAttributes, segmentAttributes } from './segment.ts';
import type { SegmentMeta } from './segment.ts';

const safeId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/).filter((s) => !s.includes('..'));

const meta: fc.Arbitrary<SegmentMeta> = fc
  .record({
    sessionId: safeId,
    windowId: safeId,
    seq: fc.nat({ max: SegmentLimits.maxSeq }),
    firstTimestamp: fc.nat({ max: 253402300799999 }),
    span: fc.nat({ max: 10_000_000 }),
    eventCount: fc.integer({ min: 1, max: SegmentLimits.maxEventCount }),
    hasFullSnapshot: fc.boolean(),
    encoding: fc.constantFrom('gzip-json' as const, 'json' as const),
  })
  .map(({ span, ...m }) => ({ ...m, lastTimestamp: Math.min(253402300799999, m.firstTimestamp + span), protocolVersion: 1 }));

const events = fc.array(fc.record({ type: fc.integer({ min: 0, max: 6 }), timestamp: fc.nat(), data: fc.jsonValue({ maxDepth: 2 }) }), { minLength: 1, maxLength: 4 });

const members = fc.array(fc.tuple(meta, events).map(([m, e]) => {
  const json = JSON.stringify(e);
  return { meta: m, gzip: new Uint8Array(gzipSync(json, { level: 1 })), json };
}), { maxLength: 6 });

const tenant = safeId;
const createdAt = fc.nat({ max: 253402300799999 });

/** The object with `manifestText` in place of its manifest and a truthful footer. */
function withManifest(memberBytes: Uint8Array, manifestText: Uint8Array): Uint8Array {
  const out = new Uint8Array(memberBytes.length + manifestText.length + FOOTER_BYTES);
  out.set(memberBytes);
  out.set(manifestText, memberBytes.length);
  const footer = new DataView(out.buffer, memberBytes.length + manifestText.length, FOOTER_BYTES);
  for (let i = 0; i < 8; i++) footer.setUint8(i, OBJECT_MAGIC.charCodeAt(i));
  footer.setUint32(8, memberBytes.length);
  footer.setUint32(12, manifestText.length);
  return out;
}

/** Whatever readManifest returns must be safe to act on. */
function assertSafeManifest(object: Uint8Array, manifest: ObjectManifest): void {
  const { manifestOffset } = readFooter(object);
  const ranges = manifest.segments.map((s) => [s.offset, s.offset + s.length] as const).sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [from, to] of ranges) {
    assert.ok(Number.isInteger(from) && Number.isInteger(to) && from >= end && to > from && to <= manifestOffset, `range ${from}..${to} is out of the members or overlaps`);
    end = to;
  }
  for (const s of manifest.segments) {
    const { offset: _o, length: _l, ...m } = s;
    assert.deepEqual(readSegmentAttributes(segmentAttributes(m)), m);
  }
}

/** readManifest's answer: a safe manifest or a ProtocolError; anything else fails. */
function readOrRefuse(object: Uint8Array): ObjectManifest | ProtocolError {
  const started = performance.now();
  try {
    const manifest = readManifest(object);
    assertSafeManifest(object, manifest);
    return manifest;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    assert.ok(err.message.length > 10 && err.message.length < 1000, err.message);
    return err;
  } finally {
    assert.ok(performance.now() - started < 1000, 'readManifest took over a second');
  }
}

test('valid objects round-trip: manifest as framed, every range a whole gzip member of its segment', () => {
  fc.assert(
    fc.property(tenant, createdAt, members, (t, at, ms) => {
      const { bytes, placements } = frameObject(t, at, ms);
      const manifest = readOrRefuse(bytes);
      assert.ok(!(manifest instanceof ProtocolError), String(manifest));
      assert.deepEqual(manifest, { format: 'otel-replay-object', version: 1, tenant: t, createdAt: at, segments: ms.map((m, i) => ({ ...m.meta, ...placements[i]! })) });
      manifest.segments.forEach((s, i) => {
        assert.equal(gunzipSync(bytes.subarray(s.offset, s.offset + s.length)).toString('utf8'), ms[i]!.json);
      });
      // The footer read from the last 16 bytes alone (what a ranged GET of the tail sees).
      assert.equal(readFooter(bytes.subarray(bytes.length - FOOTER_BYTES)).manifestOffset, placements.reduce((n, p) => n + p.length, 0));
    }),
    { numRuns: 800 },
  );
});

type Damage =
  | { kind: 'cut-end' | 'cut-start'; n: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'footer-offset' | 'footer-length'; value: number; relative: boolean }
  | { kind: 'bytes'; edits: [number, number][] }
  | { kind: 'manifest-text'; text: Uint8Array }
  | { kind: 'manifest-json'; value: unknown }
  | { kind: 'entry-field'; entry: number; field: string; value: unknown }
  | { kind: 'overlap'; entry: number; other: number; shift: number }
  | { kind: 'duplicate-entry'; entry: number };

const hostileValue = fc.oneof(
  fc.constantFrom(null, -1, 0, 1, 0.5, 2 ** 32, 2 ** 53, Number.MAX_VALUE, '0', '12', '', '../x', 'a/b', true, [], {}, 'x'.repeat(300)),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constantFrom('cut-end' as const, 'cut-start' as const), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 20 }) }),
  fc.record({ kind: fc.constantFrom('footer-offset' as const, 'footer-length' as const), value: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.nat({ max: 0xffffffff })), relative: fc.boolean() }),
  fc.record({ kind: fc.constant('bytes' as const), edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('manifest-text' as const), text: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(Uint8Array.of(0xff, 0xfe), new TextEncoder().encode('{"format":'), new TextEncoder().encode('[]'))) }),
  fc.record({ kind: fc.constant('manifest-json' as const), value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ format: fc.constant('otel-replay-object'), version: fc.constantFrom(1, 2, '1'), tenant: fc.oneof(safeId, hostileValue), createdAt: fc.oneof(createdAt, hostileValue), segments: fc.oneof(fc.constant([]), hostileValue, fc.array(hostileValue, { maxLength: 3 })) })) }),
  fc.record({
    kind: fc.constant('entry-field' as const),
    entry: fc.nat(),
    field: fc.constantFrom('offset', 'length', 'sessionId', 'windowId', 'seq', 'firstTimestamp', 'lastTimestamp', 'eventCount', 'hasFullSnapshot', 'encoding', 'protocolVersion', '__proto__'),
    value: hostileValue,
  }),
  fc.record({ kind: fc.constant('overlap' as const), entry: fc.nat(), other: fc.nat(), shift: fc.integer({ min: -8, max: 8 }) }),
  fc.record({ kind: fc.constant('duplicate-entry' as const), entry: fc.nat() }),
);

function damaged(bytes: Uint8Array, d: Damage): Uint8Array {
  const { manifestOffset, manifestLength } = readFooter(bytes);
  const memberBytes = bytes.subarray(0, manifestOffset);
  // After earlier damage the manifest may not parse or hold entries; entry damage is then a no-op.
  let manifest: { segments: Record<string, unknown>[] } = { segments: [] };
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(manifestOffset, manifestOffset + manifestLength))) as typeof manifest;
    if (Array.isArray(parsed?.segments) && parsed.segments.every((e) => typeof e === 'object' && e !== null)) manifest = parsed;
  } catch {
    // left empty
  }
  const reframe = (m: unknown) => withManifest(memberBytes, new TextEncoder().encode(JSON.stringify(m)));
  switch (d.kind) {
    case 'cut-end': return bytes.subarray(0, Math.max(0, bytes.length - d.n));
    case 'cut-start': return bytes.subarray(Math.min(bytes.length, d.n));
    case 'append': return Buffer.concat([bytes, d.bytes]);
    case 'footer-offset':
    case 'footer-length': {
      const copy = Uint8Array.from(bytes);
      const view = new DataView(copy.buffer, copy.length - FOOTER_BYTES + (d.kind === 'footer-offset' ? 8 : 12), 4);
      const current = view.getUint32(0);
      view.setUint32(0, (d.relative ? current + d.value : d.value) >>> 0);
      return copy;
    }
    case 'bytes': {
      const copy = Uint8Array.from(bytes);
      for (const [at, v] of d.edits) copy[at % copy.length] = v;
      return copy;
    }
    case 'manifest-text': return withManifest(memberBytes, d.text);
    case 'manifest-json': return reframe(d.value);
    case 'entry-field': {
      const entry = manifest.segments[d.entry % Math.max(1, manifest.segments.length)];
      if (entry) Object.defineProperty(entry, d.field, { value: d.value, enumerable: true, writable: true, configurable: true });
      return reframe(manifest);
    }
    case 'overlap': {
      const n = manifest.segments.length;
      if (n === 0) return bytes;
      const a = manifest.segments[d.entry % n]!;
      const b = manifest.segments[d.other % n]!;
      a['offset'] = Math.max(0, (b['offset'] as number) + d.shift);
      return reframe(manifest);
    }
    case 'duplicate-entry': {
      const n = manifest.segments.length;
      if (n === 0) return bytes;
      manifest.segments.push({ ...manifest.segments[d.entry % n]! });
      return reframe(manifest);
    }
  }
}

test('damaged objects: a ProtocolError or a manifest that is safe to act on; untouched members still read back', () => {
  let refused = 0;
  fc.assert(
    fc.property(tenant, createdAt, members, fc.array(damage, { minLength: 1, maxLength: 2 }), (t, at, ms, damages) => {
      const framed = frameObject(t, at, ms);
      let bytes = framed.bytes;
      for (const d of damages) {
        // Later damage needs a readable footer to aim at; otherwise the object is just bytes.
        try {
          readFooter(bytes);
        } catch {
          break;
        }
        bytes = damaged(bytes, d);
      }
      const manifest = readOrRefuse(bytes);
      if (manifest instanceof ProtocolError) {
        refused++;
        return;
      }
      // Accepted: any range that still names a framed member reads back that member's JSON.
      for (const s of manifest.segments) {
        const i = framed.placements.findIndex((p) => p.offset === s.offset && p.length === s.length);
        const memberIntact = i >= 0 && Buffer.from(bytes.subarray(s.offset, s.offset + s.length)).equals(Buffer.from(framed.bytes.subarray(s.offset, s.offset + s.length)));
        if (memberIntact) assert.equal(gunzipSync(bytes.subarray(s.offset, s.offset + s.length)).toString('utf8'), ms[i]!.json);
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(refused > 1000, `only ${refused} damaged objects were refused`);
});

test('overlapping or duplicated entries and bad entry metadata are refused by name', () => {
  const ms = [0, 1].map((seq) => ({ meta: { sessionId: 's', windowId: 'w', seq, firstTimestamp: 1, lastTimestamp: 2, eventCount: 1, hasFullSnapshot: seq === 0, encoding: 'gzip-json' as const, protocolVersion: 1 }, gzip: new Uint8Array(gzipSync(`[{"type":3,"timestamp":${seq}}]`)) }));
  const { bytes } = frameObject('t', 1, ms);
  assert.throws(() => readManifest(damaged(bytes, { kind: 'overlap', entry: 1, other: 0, shift: 1 })), (e: unknown) => e instanceof ProtocolError && /overlap/.test(e.message));
  assert.throws(() => readManifest(damaged(bytes, { kind: 'duplicate-entry', entry: 0 })), (e: unknown) => e instanceof ProtocolError && /overlap/.test(e.message));
  assert.throws(() => readManifest(damaged(bytes, { kind: 'entry-field', entry: 0, field: 'sessionId', value: '../../etc' })), (e: unknown) => e instanceof ProtocolError && /bad metadata/.test(e.message));
  assert.throws(() => readManifest(damaged(bytes, { kind: 'entry-field', entry: 1, field: 'seq', value: -1 })), (e: unknown) => e instanceof ProtocolError && /bad metadata/.test(e.message));
  assert.throws(() => readManifest(damaged(bytes, { kind: 'manifest-json', value: { format: 'otel-replay-object', version: 1, tenant: 'a/b', createdAt: 1, segments: [] } })), ProtocolError);
  // Unknown fields on an entry do not come back: only segment metadata and the range do.
  const extra = readManifest(damaged(bytes, { kind: 'entry-field', entry: 0, field: '__proto__', value: { polluted: true } }));
  assert.deepEqual(Object.keys(extra.segments[0]!).sort(), [...Object.keys(ms[0]!.meta), 'offset', 'length'].sort());
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});
