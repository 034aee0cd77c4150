import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createCompressor, sharedCompressor } from './compress.ts';

test('gzip gives one complete gzip member of the UTF-8 text, from one compressor shared by its callers', async () => {
  const text = JSON.stringify([{ type: 3, data: { texts: [{ id: 1, value: '****** × ünïcödé' }] } }]).repeat(200);
  const bytes = await sharedCompressor().gzip(text);
  assert.ok(bytes instanceof Uint8Array && bytes.length < text.length / 5, `${bytes.length} bytes for ${text.length} chars`);
  assert.equal(gunzipSync(bytes).toString('utf8'), text);
  assert.equal(sharedCompressor(), sharedCompressor(), 'the engine and the exporter share one worker');
});

test('without CompressionStream gzip rejects, so the caller falls back (fflate or an uncompressed body)', async () => {
  const saved = globalThis.CompressionStream;
  // Where a browser lacks CompressionStream the whole API is missing, worker or not.
  delete (globalThis as { CompressionStream?: unknown }).CompressionStream;
  try {
    await assert.rejects(createCompressor().gzip('hello'));
  } finally {
    globalThis.CompressionStream = saved;
  }
  assert.equal(gunzipSync(await createCompressor({ useWorker: false }).gzip('hello')).toString(), 'hello');
});
