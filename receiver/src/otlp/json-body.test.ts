import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OtlpError } from './errors.ts';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body.ts';

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

  it('keeps integers a double cannot hold exactly, as proto3 JSON decimal strings', () => {
    const text =
      '{"t":1700000000123456789,"s":"1700000000123456789","small":12,"f":1.0000000000000002,"neg":-99999999999999999999,' +
      '"max":9007199254740991,"over":9007199254740992,"exp":12345678901234567e2,"frac":12345678901234567.5,"tiny":-1.00000000000000000002e-6,"long":0.12345678901234567890123,"e":1e12345678901234567,"in":"x 12345678901234567890 y","arr":[18446744073709551615]}';
    const doc = parse(text) as Record<string, unknown>;
    assert.equal(doc['t'], '1700000000123456789');
    assert.equal(doc['neg'], '-99999999999999999999');
    assert.equal(doc['s'], '1700000000123456789');
    assert.equal(doc['small'], 12);
    assert.equal(doc['f'], 1.0000000000000002);
    assert.equal(doc['max'], Number.MAX_SAFE_INTEGER, 'the largest exact integer stays a number');
    assert.equal(doc['over'], '9007199254740992');
    assert.equal(doc['exp'], 12345678901234567e2, 'numbers with an exponent or fraction are doubles anyway');
    assert.equal(doc['frac'], 12345678901234567.5);
    assert.equal(doc['tiny'], -1.00000000000000000002e-6, 'the digits of a fraction are not an integer of their own');
    assert.equal(doc['long'], 0.12345678901234567890123);
    assert.equal(doc['e'], Infinity);
    assert.equal(doc['in'], 'x 12345678901234567890 y', 'digits inside strings are untouched');
    assert.deepEqual(doc['arr'], ['18446744073709551615']);
    // Non-ASCII text before a long integer does not shift where the quotes go.
    assert.deepEqual(parse('{"é€😀":"ü","n":123456789012345678901}'), { 'é€😀': 'ü', n: '123456789012345678901' });
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
