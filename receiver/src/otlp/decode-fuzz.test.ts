// Property tests: whatever bytes arrive, the decoders either decode them or refuse them
// with an OtlpError 400; never another exception, a crash or a hang. Successful log
// decodes must also re-encode any subset.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeLogs } from './decode-logs.ts';
import { decodeTraces } from './decode-traces.ts';
import { OtlpError } from './errors.ts';
import type { DecodedLogs, OtlpEncoding } from './model.ts';
import { body, sdkLogs, sdkTraces } from './sdk-fixtures.ts';
import type { SdkLogs, SdkTraces } from './sdk-fixtures.ts';

const RUNS = 400;
const ENCODINGS: OtlpEncoding[] = ['json', 'protobuf'];

let decodedCount = 0;

function decodesOr400(bytes: Uint8Array, encoding: OtlpEncoding): void {
  const input = Buffer.from(bytes);
  let logs: DecodedLogs | undefined;
  try {
    logs = decodeLogs(input, encoding);
    decodedCount++;
  } catch (error) {
    if (!(error instanceof OtlpError) || error.status !== 400) throw error;
  }
  if (logs !== undefined) {
    // What decoded must re-encode: subset never fails on a request decode accepted.
    let flip = false;
    const kept = logs.subset(() => (flip = !flip));
    if (kept !== null) assert.equal(decodeLogs(Buffer.from(kept), encoding).recordCount, Math.ceil(logs.recordCount / 2));
  }
  try {
    decodeTraces(input, encoding);
  } catch (error) {
    if (!(error instanceof OtlpError) || error.status !== 400) throw error;
  }
}

/** `base` with a few bytes overwritten and possibly cut short. */
const mutated = (base: Uint8Array) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      fc.oneof({ weight: 3, arbitrary: fc.constant(base.length) }, { weight: 1, arbitrary: fc.nat(base.length) }),
    )
    .map(([edits, length]) => {
      const copy = Uint8Array.from(base);
      for (const [at, value] of edits) copy[at] = value;
      return copy.subarray(0, length);
    });

let logs: SdkLogs;
let traces: SdkTraces;
before(async () => {
  logs = await sdkLogs();
  traces = await sdkTraces();
});

describe('decoders on hostile input', () => {
  for (const encoding of ENCODINGS) {
    it(`random bytes decode or give 400 (${encoding})`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodesOr400(bytes, encoding)), { numRuns: RUNS });
    });

    it(`mutated SDK requests decode or give 400 (${encoding})`, () => {
      decodedCount = 0;
      fc.assert(fc.property(mutated(body(logs, encoding)), (bytes) => decodesOr400(bytes, encoding)), { numRuns: RUNS });
      // Mutations must reach the decoders' inner checks, not only fail at the first byte.
      assert.ok(decodedCount >= 5, `only ${decodedCount} of ${RUNS} mutated requests decoded`);
      fc.assert(fc.property(mutated(body(traces, encoding)), (bytes) => decodesOr400(bytes, encoding)), { numRuns: RUNS });
    });
  }

  it('random JSON in OTLP positions decodes or gives 400', () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const shaped = fc.oneof(
      anyJson.map((v) => ({ resourceLogs: v, resourceSpans: v })),
      anyJson.map((v) => ({ resourceLogs: [{ scopeLogs: v }], resourceSpans: [{ scopeSpans: v }] })),
      anyJson.map((v) => ({ resourceLogs: [{ resource: v, scopeLogs: [{ scope: v, logRecords: [v] }] }], resourceSpans: [{ scopeSpans: [{ spans: [v] }] }] })),
      fc.dictionary(fc.constantFrom('timeUnixNano', 'body', 'attributes', 'traceId', 'spanId', 'severityNumber', 'eventName', 'kind', 'status', 'links', 'events'), anyJson).map((record) => ({
        resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }],
        resourceSpans: [{ scopeSpans: [{ spans: [record] }] }],
      })),
    );
    fc.assert(fc.property(shaped, (doc) => decodesOr400(Buffer.from(JSON.stringify(doc)), 'json')), { numRuns: RUNS });
  });

  it('finishes a large random body quickly', () => {
    const started = performance.now();
    const random = randomBytes(1 << 20);
    for (const encoding of ENCODINGS) decodesOr400(random, encoding);
    assert.ok(performance.now() - started < 2000);
  });
});
