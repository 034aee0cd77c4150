// Fuzzing the OTLP decoders (JSON and protobuf, logs and traces) as pure functions.
// Whatever arrives, a decoder returns a well-formed view or throws OtlpError 400 (the
// codec's one error type; 413/415 belong to the HTTP framing, never to decoding), in
// bounded time; what it accepts can be re-encoded; a valid request decodes to exactly
// what was meant, whether it is written by our encoder with unknown fields spliced in or
// damaged afterwards. Prototype keys never reach Object.prototype.
// Failures print fast-check's seed and path: rerun with { seed, path } in fc.assert.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeLogs } from '../../src/otlp/decode-logs.ts';
import { decodeTraces } from '../../src/otlp/decode-traces.ts';
import { OtlpError } from '../../src/otlp/errors.ts';
import { MAX_JSON_DEPTH } from '../../src/otlp/json-body.ts';
import type { DecodedLogs, DecodedTraces, OtlpEncoding } from '../../src/otlp/model.ts';
import { MAX_ANY_VALUE_DEPTH } from '../../src/otlp/values.ts';
import { applyPbMutation, fieldSites, jsonMutation, mutateJson, pbMutation } from './mutate.ts';
import {
  assertLogsMatch, assertTracesMatch, assertWellFormedLogs, assertWellFormedTraces, jsonBytes, jsonLogs, jsonTraces, mLogs, mTraces, pbLogs, pbTraces,
} from './otlp-model.ts';
import type { MLogs } from './otlp-model.ts';

/** Per-case budget: generous for a loaded 2-core CI machine, far below a hang or a blow-up. */
const CASE_MS = 1500;

const stats = { accepted: 0, refused: 0 };

function timed<T>(what: string, fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - started;
    assert.ok(ms < CASE_MS, `${what} took ${ms.toFixed(0)} ms (budget ${CASE_MS} ms)`);
  }
}

/** Decodes or returns the OtlpError 400; any other outcome fails. */
function decodeOr400<T>(what: string, decode: () => T): T | OtlpError {
  try {
    const value = timed(what, decode);
    stats.accepted++;
    return value;
  } catch (error) {
    if (!(error instanceof OtlpError)) throw new Error(`${what} threw ${String(error)} instead of an OtlpError`, { cause: error });
    assert.equal(error.status, 400, `${what}: decoding failures are 400s, got ${error.status}: ${error.message}`);
    assert.ok(error.message.length > 10 && error.message.length < 2000, `${what}: unhelpful or huge message: ${error.message.slice(0, 200)}`);
    stats.refused++;
    return error;
  }
}

function assertNoPollution(): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe['polluted'], undefined, 'Object.prototype was polluted');
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}

/** Any accepted logs request: well formed, and subsets re-encode to requests that decode to the kept records. */
function checkLogs(body: Uint8Array, encoding: OtlpEncoding, keepEvery: number): DecodedLogs | OtlpError {
  const logs = decodeOr400(`decodeLogs(${encoding})`, () => decodeLogs(body, encoding));
  assertNoPollution();
  if (logs instanceof OtlpError) return logs;
  assertWellFormedLogs(logs);
  const records = logs.resources.flatMap((rl) => rl.scopes.flatMap((sl) => sl.records));
  let i = 0;
  const kept = logs.subset(() => i++ % keepEvery === 0);
  const expected = records.filter((_r, k) => k % keepEvery === 0);
  if (expected.length === 0) assert.equal(kept, null);
  else {
    const again = timed('decode of a subset', () => decodeLogs(kept!, encoding));
    assert.deepStrictEqual(again.resources.flatMap((rl) => rl.scopes.flatMap((sl) => sl.records)), expected);
  }
  return logs;
}

function checkTraces(body: Uint8Array, encoding: OtlpEncoding): DecodedTraces | OtlpError {
  const traces = decodeOr400(`decodeTraces(${encoding})`, () => decodeTraces(body, encoding));
  assertNoPollution();
  if (!(traces instanceof OtlpError)) assertWellFormedTraces(traces);
  return traces;
}

const ENCODINGS: OtlpEncoding[] = ['json', 'protobuf'];
const encodeLogs = (m: MLogs, encoding: OtlpEncoding): Uint8Array => (encoding === 'json' ? jsonBytes(jsonLogs(m)) : pbLogs(m));

describe('OTLP decoders under fuzzing', () => {
  it('valid requests with unknown fields and hostile keys round-trip (logs and traces, both encodings)', () => {
    fc.assert(
      fc.property(mLogs, fc.integer({ min: 1, max: 3 }), (m, keepEvery) => {
        for (const encoding of ENCODINGS) {
          const body = encodeLogs(m, encoding);
          const logs = checkLogs(body, encoding, keepEvery);
          assert.ok(!(logs instanceof OtlpError), `a valid ${encoding} request was refused: ${(logs as OtlpError).message}`);
          assertLogsMatch(logs, m);
          // Keeping everything copies the request: protobuf byte for byte (unknown fields
          // included) whenever no resource or scope is empty.
          const whole = logs.subset(() => true);
          const noEmpty = m.resources.every((rl) => rl.scopes.length > 0 && rl.scopes.every((sl) => sl.records.length > 0));
          if (encoding === 'protobuf' && noEmpty && logs.recordCount > 0 ) assert.deepEqual(Buffer.from(whole!), Buffer.from(body));
        }
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(mTraces, (m) => {
        for (const encoding of ENCODINGS) {
          const body = encoding === 'json' ? jsonBytes(jsonTraces(m)) : pbTraces(m);
          const traces = checkTraces(body, encoding);
          assert.ok(!(traces instanceof OtlpError), `a valid ${encoding} traces request was refused: ${(traces as OtlpError).message}`);
          assertTracesMatch(traces, m);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes and arbitrary JSON values: a view or a 400', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // Bytes from JSON's own alphabet reach deeper than uniform noise.
      fc.array(fc.constantFrom(...'{}[]":,0123456789.-eE truenfalsresourceLogsscopeSpans\\u'.split('')), { maxLength: 120 }).map((cs) => Buffer.from(cs.join(''))),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        for (const encoding of ENCODINGS) {
          checkLogs(b, encoding, 2);
          checkTraces(b, encoding);
        }
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        const b = jsonBytes(v);
        checkLogs(b, 'json', 1);
        checkTraces(b, 'json');
      }),
      { numRuns: 500 },
    );
  });

  it('structurally valid OTLP/JSON with hostile values at any field: a view or a 400, never pollution', () => {
    fc.assert(
      fc.property(mLogs, mTraces, fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), (logs, traces, mutations) => {
        const logsDoc = mutateJson(JSON.stringify(jsonLogs(logs)), mutations);
        checkLogs(jsonBytes(logsDoc), 'json', 2);
        const tracesDoc = mutateJson(JSON.stringify(jsonTraces(traces)), mutations);
        checkTraces(jsonBytes(tracesDoc), 'json');
      }),
      { numRuns: 1000 },
    );
  });

  it('non-UTF-8 bytes anywhere in an OTLP/JSON body: always a 400', () => {
    const invalid = fc.constantFrom(Uint8Array.of(0xff), Uint8Array.of(0xc0, 0xaf), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xe2, 0x82), Uint8Array.of(0x80), Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80));
    fc.assert(
      fc.property(mLogs, invalid, fc.nat(), (m, bad, at) => {
        const body = jsonBytes(jsonLogs(m));
        const i = at % (body.length + 1);
        const damaged = Buffer.concat([body.subarray(0, i), bad, body.subarray(i)]);
        const logs = checkLogs(damaged, 'json', 1);
        assert.ok(logs instanceof OtlpError && /UTF-8/.test(logs.message), 'invalid UTF-8 must be refused as such');
      }),
      { numRuns: 300 },
    );
  });

  it('nesting past the caps is refused with a 400 naming the cap; just below is accepted', () => {
    const record = (body: unknown) => jsonBytes({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body }] }] }] });
    const nest = (depth: number) => {
      let v: unknown = { stringValue: 'leaf' };
      for (let i = 1; i < depth; i++) v = { arrayValue: { values: [v] } };
      return v;
    };
    assert.ok(!(checkLogs(record(nest(MAX_ANY_VALUE_DEPTH)), 'json', 1) instanceof OtlpError));
    const deep = checkLogs(record(nest(MAX_ANY_VALUE_DEPTH + 1)), 'json', 1);
    assert.ok(deep instanceof OtlpError && deep.message.includes(String(MAX_ANY_VALUE_DEPTH)), String(deep));
    const brackets = Buffer.from(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`);
    const tooDeep = checkLogs(brackets, 'json', 1);
    assert.ok(tooDeep instanceof OtlpError && tooDeep.message.includes(String(MAX_JSON_DEPTH)));
    // 100k levels: refused by the bracket scan before JSON.parse could overflow the stack.
    assert.ok(checkLogs(Buffer.from('['.repeat(100_000)), 'json', 1) instanceof OtlpError);
    // The same in protobuf: AnyValue nested 10k deep is a 400 (protobufjs' recursion limit or ours).
    let pb: Uint8Array = Uint8Array.of(0x0a, 0x01, 0x78);
    for (let i = 0; i < 10_000; i++) pb = Buffer.concat([Uint8Array.of(0x2a), varintOf(pb.length + 2 + varintOf(pb.length).length), Uint8Array.of(0x0a), varintOf(pb.length), pb]);
    const record12 = Buffer.concat([Uint8Array.of(0x2a), varintOf(pb.length), pb]);
    const wrap = (field: number, inner: Uint8Array) => Buffer.concat([Uint8Array.of((field << 3) | 2), varintOf(inner.length), inner]);
    assert.ok(checkLogs(wrap(1, wrap(2, wrap(2, record12))), 'protobuf', 1) instanceof OtlpError);
  });

  it('huge strings and many records decode in bounded time', () => {
    const big = 'é'.repeat(1024 * 1024);
    const m: MLogs = {
      resources: [{ attributes: [['k', { k: 'str', v: big }]], scopes: [{ scope: { name: big, version: '', attributes: [] }, records: [], extra: { pb: [], json: [] } }], extra: { pb: [], json: [] } }],
      extra: { pb: [], json: [] },
    };
    for (const encoding of ENCODINGS) {
      const logs = checkLogs(encodeLogs(m, encoding), encoding, 1);
      assert.ok(!(logs instanceof OtlpError));
      assert.equal(logs.resources[0]!.resource['k'], big);
    }
    const many = jsonBytes({ resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 20_000 }, () => ({ attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] })) }] }] });
    const logs = checkLogs(many, 'json', 2);
    assert.ok(!(logs instanceof OtlpError));
    assert.equal(logs.recordCount, 20_000);
  });

  it('damaged protobuf requests (bit flips, cuts, length lies, wrong wire types, unknown fields, event_name): a view or a 400', () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(mLogs, mTraces, fc.array(pbMutation, { minLength: 1, maxLength: 3 }), (logsModel, tracesModel, mutations) => {
        let logsBody = pbLogs(logsModel);
        let tracesBody = pbTraces(tracesModel);
        for (const m of mutations) {
          logsBody = applyPbMutation(logsBody, m, fieldSites(logsBody));
          tracesBody = applyPbMutation(tracesBody, m, fieldSites(tracesBody));
        }
        const logs = checkLogs(logsBody, 'protobuf', 2);
        if (logs instanceof OtlpError) refused++;
        else accepted++;
        checkTraces(tracesBody, 'protobuf');
      }),
      { numRuns: 1500 },
    );
    // The mutations must exercise both sides: inner checks (accepted) and refusals.
    assert.ok(accepted > 200 && refused > 200, `accepted ${accepted}, refused ${refused}`);
  });
});

function varintOf(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}
