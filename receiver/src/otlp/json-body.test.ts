import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OtlpError } from './errors.ts';
import { isRawJson, MAX_JSON_DEPTH, parseJsonBody } from './json-body.ts';

const parse = (text: string | Uint8Array) => parseJsonBody(typeof text === 'string' ? Buffer.from(text) : text, 'test body');

function rejects400(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof OtlpError && error.status === 400, `expected OtlpError 400, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('parseJsonBody', () => {
  it('parses plain documents as JSON.parse does', () => {
    assert.deepEqual(parse('{"a":[1,2.5,"x",null,true]}'), { a: [1, 2.5, 'x', null, true] });
  });

  it('keeps integers a double cannot hold as their source text, and re-serializes them unchanged', () => {
    const text = '{"t":1700000000123456789,"s":"1700000000123456789","small":12,"f":1.0000000000000002,"neg":-99999999999999999999}';
    const doc = parse(text) as Record<string, unknown>;
    assert.ok(isRawJson(doc['t']));
    assert.ok(isRawJson(doc['neg']));
    assert.equal(doc['s'], '1700000000123456789');
    assert.equal(doc['small'], 12);
    assert.equal(doc['f'], 1.0000000000000002);
    assert.equal(JSON.stringify(doc), text);
  });

  it('refuses bodies that are not UTF-8 or not JSON', () => {
    assert.throws(() => parse(Buffer.from([0x22, 0xc3, 0x28, 0x22])), rejects400(/test body is not valid UTF-8/));
    assert.throws(() => parse('{"a":'), rejects400(/test body is not valid JSON: /));
    assert.throws(() => parse('{"a":1234567890123456789,}'), rejects400(/not valid JSON/));
  });

  it('refuses nesting deeper than the cap, ignoring brackets inside strings', () => {
    const atCap = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    assert.ok(Array.isArray(parse(atCap)));
    assert.throws(() => parse(`[${atCap}]`), rejects400(/nests JSON objects or arrays deeper than 256 levels/));
    const bracketsInStrings = JSON.stringify({ s: '['.repeat(1000), e: '\\"[[[[', q: `"${'{'.repeat(600)}` });
    assert.deepEqual(parse(bracketsInStrings), JSON.parse(bracketsInStrings));
    const longString = JSON.stringify({ s: `${'x'.repeat(100_000)}\\"${'['.repeat(300)}` });
    assert.deepEqual(parse(longString), JSON.parse(longString));
  });
});
