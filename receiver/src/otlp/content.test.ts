import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { decodeBody, mediaTypeOf, parseContentType } from './content.ts';
import { OtlpError } from './errors.ts';

const MiB = 1024 * 1024;

function isOtlpError(status: number, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof OtlpError, `expected OtlpError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('parseContentType', () => {
  it('accepts the two OTLP media types, with parameters and in any case', () => {
    assert.equal(parseContentType('application/json'), 'json');
    assert.equal(parseContentType('application/json; charset=utf-8'), 'json');
    assert.equal(parseContentType('Application/JSON;charset=UTF-8'), 'json');
    assert.equal(parseContentType('application/x-protobuf'), 'protobuf');
    assert.equal(parseContentType(' application/x-protobuf ; proto=opentelemetry'), 'protobuf');
  });

  it('refuses anything else with 415, naming the type and the accepted ones', () => {
    for (const header of ['text/plain', 'application/protobuf', 'application/jsonx', 'multipart/form-data; boundary=x']) {
      assert.throws(() => parseContentType(header), isOtlpError(415, new RegExp(`${header.split(';')[0]}.*application/json or application/x-protobuf`)));
    }
    assert.throws(() => parseContentType(undefined), isOtlpError(415, /no Content-Type/));
    assert.throws(() => parseContentType(''), isOtlpError(415, /no Content-Type/));
  });

  it('maps encodings back to response media types', () => {
    assert.equal(mediaTypeOf('json'), 'application/json');
    assert.equal(mediaTypeOf('protobuf'), 'application/x-protobuf');
  });
});

describe('decodeBody', () => {
  const payload = Buffer.from(JSON.stringify({ resourceLogs: Array.from({ length: 200 }, (_, i) => ({ i, text: 'x'.repeat(i) })) }));

  it('returns identity bodies as they are', async () => {
    assert.equal(await decodeBody(payload, undefined, MiB), payload);
    assert.equal(await decodeBody(payload, 'identity', MiB), payload);
    assert.equal(await decodeBody(payload, '', MiB), payload);
  });

  it('inflates gzip, zlib deflate, raw deflate, zstd and brotli', async () => {
    const cases: Array<[string, Buffer]> = [
      ['gzip', zlib.gzipSync(payload)],
      ['GZIP', zlib.gzipSync(payload)],
      ['x-gzip', zlib.gzipSync(payload)],
      ['deflate', zlib.deflateSync(payload)],
      ['deflate', zlib.deflateRawSync(payload)],
      ['zstd', zlib.zstdCompressSync(payload)],
      ['br', zlib.brotliCompressSync(payload)],
      ['gzip, identity', zlib.gzipSync(payload)],
    ];
    for (const [encoding, compressed] of cases) {
      assert.deepEqual(await decodeBody(compressed, encoding, MiB), payload, encoding);
    }
  });

  it('inflates a gzip body made of several members', async () => {
    const twoMembers = Buffer.concat([zlib.gzipSync(payload.subarray(0, 100)), zlib.gzipSync(payload.subarray(100))]);
    assert.deepEqual(await decodeBody(twoMembers, 'gzip', MiB), payload);
  });

  it('refuses unknown and stacked encodings with 415', async () => {
    await assert.rejects(decodeBody(payload, 'snappy', MiB), isOtlpError(415, /"snappy" is not supported; send one of identity, gzip/));
    await assert.rejects(decodeBody(payload, 'gzip, br', MiB), isOtlpError(415, /stacks several codings; only a single one/));
  });

  it('refuses corrupt or truncated compressed data with 400', async () => {
    const gz = zlib.gzipSync(payload);
    await assert.rejects(decodeBody(gz.subarray(0, gz.length - 20), 'gzip', MiB), isOtlpError(400, /not valid gzip data/));
    await assert.rejects(decodeBody(payload, 'gzip', MiB), isOtlpError(400, /not valid gzip data/));
    await assert.rejects(decodeBody(payload, 'deflate', MiB), isOtlpError(400, /not valid deflate data/));
    await assert.rejects(decodeBody(payload, 'zstd', MiB), isOtlpError(400, /not valid zstd data/));
    const corrupt = Buffer.from(gz);
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    await assert.rejects(decodeBody(corrupt, 'gzip', MiB), isOtlpError(400, /not valid gzip data/));
  });

  it('refuses bodies over the cap with 413, compressed or not', async () => {
    await assert.rejects(decodeBody(payload, undefined, payload.length - 1), isOtlpError(413, /larger than \d+ bytes once decompressed/));
    assert.equal((await decodeBody(payload, undefined, payload.length)).length, payload.length);
    await assert.rejects(decodeBody(zlib.gzipSync(payload), 'gzip', payload.length - 1), isOtlpError(413, /larger than/));
    assert.equal((await decodeBody(zlib.gzipSync(payload), 'gzip', payload.length)).length, payload.length);
    await assert.rejects(decodeBody(zlib.zstdCompressSync(payload), 'zstd', 1000), isOtlpError(413, /larger than 1000 bytes/));
  });

  it('stops a 1 GiB gzip bomb early, quickly and without inflating it in memory', async () => {
    // 1024 gzip members of 1 MiB of zeros each: a valid gzip stream of 1 GiB built in
    // milliseconds (compressing 1 GiB once would take seconds).
    const member = zlib.gzipSync(Buffer.alloc(MiB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    assert.ok(bomb.length < 2 * MiB, `bomb is ${bomb.length} bytes`);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await assert.rejects(decodeBody(bomb, 'gzip', 16 * MiB), isOtlpError(413, /larger than 16777216 bytes/));
    const elapsed = performance.now() - started;
    const grown = process.memoryUsage().rss - rssBefore;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.ok(grown < 200 * MiB, `rss grew by ${grown} bytes`);
  });

  it('stops a single-member zstd bomb at the cap', async () => {
    const bomb = zlib.zstdCompressSync(Buffer.alloc(256 * MiB));
    assert.ok(bomb.length < MiB);
    await assert.rejects(decodeBody(bomb, 'zstd', 4 * MiB), isOtlpError(413, /larger than/));
  });
});
