import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { memoryRequestStore } from './persistence.ts';
import { KEEPALIVE_BUDGET_BYTES, MAX_BATCH_CHARS, SegmentExporter } from './segment-exporter.ts';

function records(n: number, bodyChars = 10): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const lp = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  for (let i = 0; i < n; i++) lp.getLogger('t').emit({ eventName: 'otel_replay.segment', body: 'x'.repeat(bodyChars), attributes: { i } });
  return exporter.getFinishedLogRecords();
}

interface Call { url: string; init: RequestInit; at: number }

function fakeFetch(answers: (Response | Error | (() => Promise<Response>))[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const start = Date.now();
  return {
    calls,
    fetch: (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), init: init ?? {}, at: Date.now() - start });
      const a = answers.shift() ?? new Response('{}', { status: 200 });
      if (a instanceof Error) throw a;
      return typeof a === 'function' ? a() : a;
    }) as typeof fetch,
  };
}

/** The request body as text, gunzipped when the request says Content-Encoding: gzip. */
function bodyText(init: RequestInit): string {
  const gzip = (init.headers as Record<string, string>)['Content-Encoding'] === 'gzip';
  if (!gzip) return String(init.body);
  assert.ok(init.body instanceof Uint8Array, 'a gzipped body is bytes');
  return gunzipSync(init.body).toString('utf8');
}

function exportOnce(exporter: SegmentExporter, logs: ReadableLogRecord[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(logs, resolve));
}

const fast = { initialDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 2000 };

test('posts OTLP/JSON with the headers, keepalive when small, and reports success', async () => {
  const f = fakeFetch([]);
  const exporter = new SegmentExporter({ url: 'http://127.0.0.1:1/v1/logs', headers: { Authorization: 'Bearer k' }, persistenceMaxBytes: 1000, fetch: f.fetch, store: memoryRequestStore(1000), resendOnStart: false });
  const result = await exportOnce(exporter, records(2));
  assert.equal(result.code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 1);
  const call = f.calls[0]!;
  assert.equal(call.url, 'http://127.0.0.1:1/v1/logs');
  assert.equal(call.init.method, 'POST');
  assert.equal(call.init.keepalive, true);
  assert.deepEqual(call.init.headers, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: 'Bearer k' });
  const body = JSON.parse(bodyText(call.init)) as { resourceLogs: { scopeLogs: { logRecords: unknown[] }[] }[] };
  assert.equal(body.resourceLogs[0]!.scopeLogs[0]!.logRecords.length, 2);
});

test('503 with Retry-After is retried after the delay; the body is kept meanwhile and removed once sent', async () => {
  const store = memoryRequestStore(1e6);
  let storedDuringRetry = -1;
  const f = fakeFetch([
    new Response('busy', { status: 503, headers: { 'Retry-After': '0.3' } }),
    async () => {
      storedDuringRetry = store.entries.length;
      return new Response('{}', { status: 200 });
    },
  ]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e6, fetch: f.fetch, store, backoff: fast, resendOnStart: false, isPageHidden: () => false });
  const result = await exportOnce(exporter, records(1));
  assert.equal(result.code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 2);
  assert.ok(f.calls[1]!.at - f.calls[0]!.at >= 280, `waited ${f.calls[1]!.at - f.calls[0]!.at} ms`);
  assert.equal(storedDuringRetry, 1, 'kept in the store while waiting');
  assert.equal(store.entries.length, 0, 'removed after success');
});

test('429, 502, 504 and network errors are retried with backoff; 400 and 413 are not', async () => {
  const f = fakeFetch([new Response('', { status: 429 }), new TypeError('Failed to fetch'), new Response('', { status: 502 }), new Response('', { status: 504 }), new Response('{}', { status: 200 })]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e6, fetch: f.fetch, store: memoryRequestStore(1e6), backoff: fast, resendOnStart: false, isPageHidden: () => false });
  assert.equal((await exportOnce(exporter, records(1))).code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 5);
  for (const status of [400, 413, 401, 500]) {
    const store = memoryRequestStore(1e6);
    const g = fakeFetch([new Response('bad', { status })]);
    const e = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e6, fetch: g.fetch, store, backoff: fast, resendOnStart: false });
    const r = await exportOnce(e, records(1));
    assert.equal(r.code, ExportResultCode.FAILED, String(status));
    assert.match(String(r.error?.message), /failed \(rejected\)/);
    assert.equal(g.calls.length, 1, `${status} is not retried`);
    assert.equal(store.entries.length, 0, `${status}: nothing kept`);
  }
});

test('after the last attempt the body stays persisted and the next page load sends it', async () => {
  const store = memoryRequestStore(1e6);
  const down = fakeFetch(Array.from({ length: 3 }, () => new TypeError('Failed to fetch')));
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e6, fetch: down.fetch, store, backoff: fast, maxAttempts: 3, resendOnStart: false, isPageHidden: () => false });
  const result = await exportOnce(exporter, records(1));
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.match(String(result.error?.message), /persisted/);
  assert.equal(down.calls.length, 3);
  assert.equal(store.entries.length, 1);
  const sentBody = bodyText(down.calls[0]!.init);
  // "next page load": a new exporter over the same store
  const up = fakeFetch([]);
  const next = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e6, fetch: up.fetch, store, resendOnStart: false });
  assert.equal(await next.resendPersisted(), 1);
  assert.equal(bodyText(up.calls[0]!.init), sentBody, 'the same request, so the receiver deduplicates');
  assert.equal(store.entries.length, 0);
});

test('when the page is hidden a failed body is persisted at once instead of waiting to retry', async () => {
  const store = memoryRequestStore(1e6);
  const f = fakeFetch([new Response('', { status: 503, headers: { 'Retry-After': '60' } })]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e6, fetch: f.fetch, store, resendOnStart: false, isPageHidden: () => true });
  const started = Date.now();
  const result = await exportOnce(exporter, records(1));
  assert.ok(Date.now() - started < 1000);
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.equal(store.entries.length, 1);
});

test('keepalive is used only within the 60 KiB / 9 request budget; a large hidden-page body is persisted before it is sent', async () => {
  const store = memoryRequestStore(1e7);
  const releases: (() => void)[] = [];
  const slow = (): Promise<Response> => new Promise((resolve) => releases.push(() => resolve(new Response('{}', { status: 200 }))));
  const f = fakeFetch(Array.from({ length: 12 }, () => slow));
  let hidden = false;
  // Uncompressed, so that body sizes are what the budget sees (compressed: the next test).
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 1e7, fetch: f.fetch, store, resendOnStart: false, isPageHidden: () => hidden, compress: false });
  const pending: Promise<ExportResult>[] = [];
  for (let i = 0; i < 10; i++) pending.push(exportOnce(exporter, records(1, 100)));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(f.calls.map((c) => c.init.keepalive), [true, true, true, true, true, true, true, true, true, false], 'at most 9 keepalive requests in flight');
  hidden = true;
  pending.push(exportOnce(exporter, records(1, KEEPALIVE_BUDGET_BYTES)));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(f.calls[10]!.init.keepalive, false);
  assert.equal(store.entries.length, 1, 'persisted before the non-keepalive request');
  for (const release of releases.splice(0)) release();
  await new Promise((r) => setTimeout(r, 10));
  for (const release of releases.splice(0)) release();
  const results = await Promise.all(pending);
  assert.ok(results.every((r) => r.code === ExportResultCode.SUCCESS));
  assert.equal(store.entries.length, 0, 'removed once delivered');
});

test('at page hide a batch larger than the keepalive budget is split into several requests; while the page is visible it goes gzipped in one', async () => {
  let hidden = true;
  const f = fakeFetch([]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 0, fetch: f.fetch, resendOnStart: false, isPageHidden: () => hidden });
  const result = await exportOnce(exporter, records(4, 30 * 1024));
  assert.equal(result.code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 4);
  for (const c of f.calls) assert.ok(bodyText(c.init).length < KEEPALIVE_BUDGET_BYTES);
  hidden = false;
  assert.equal((await exportOnce(exporter, records(4, 30 * 1024))).code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 5, 'one request for the whole batch');
  const body = JSON.parse(bodyText(f.calls[4]!.init)) as { resourceLogs: { scopeLogs: { logRecords: unknown[] }[] }[] };
  assert.equal(body.resourceLogs[0]!.scopeLogs[0]!.logRecords.length, 4);
  assert.equal(f.calls[4]!.init.keepalive, true, 'gzipped, it fits the keepalive budget');
  // Past MAX_BATCH_CHARS a visible page splits too.
  assert.equal((await exportOnce(exporter, records(3, MAX_BATCH_CHARS / 2))).code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 8, 'three records of half the cap each: one request apiece');
});

test('bodies are gzipped whole and the keepalive budget counts the compressed bytes', async () => {
  const f = fakeFetch([]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 0, fetch: f.fetch, resendOnStart: false, isPageHidden: () => false });
  // 100 KiB of text is over the keepalive budget uncompressed, far under it gzipped.
  const result = await exportOnce(exporter, records(1, 100 * 1024));
  assert.equal(result.code, ExportResultCode.SUCCESS);
  assert.equal(f.calls.length, 1);
  const init = f.calls[0]!.init;
  assert.equal((init.headers as Record<string, string>)['Content-Encoding'], 'gzip');
  assert.ok((init.body as Uint8Array).byteLength < 2048, `${(init.body as Uint8Array).byteLength} bytes sent`);
  assert.equal(init.keepalive, true, 'the compressed size fits the keepalive budget');
  const body = JSON.parse(bodyText(init)) as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[] };
  assert.equal(body.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body.stringValue.length, 100 * 1024);
});

test('at page hide the body is sent uncompressed and the fetch starts before export returns', () => {
  const f = fakeFetch([]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 0, fetch: f.fetch, resendOnStart: false, isPageHidden: () => true });
  exporter.export(records(1), () => {});
  assert.equal(f.calls.length, 1, 'no await before the fetch: the page may be gone after this task');
  assert.deepEqual(f.calls[0]!.init.headers, { 'Content-Type': 'application/json' });
  assert.equal(typeof f.calls[0]!.init.body, 'string');
  assert.equal(f.calls[0]!.init.keepalive, true);
});

test('without CompressionStream bodies go uncompressed', async () => {
  const f = fakeFetch([]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 0, fetch: f.fetch, resendOnStart: false, isPageHidden: () => false, compress: false });
  assert.equal((await exportOnce(exporter, records(1))).code, ExportResultCode.SUCCESS);
  assert.deepEqual(f.calls[0]!.init.headers, { 'Content-Type': 'application/json' });
  assert.equal(JSON.parse(String(f.calls[0]!.init.body)).resourceLogs.length, 1);
});

test('after shutdown nothing is sent and the caller is told', async () => {
  const f = fakeFetch([]);
  const exporter = new SegmentExporter({ url: 'http://x/v1/logs', headers: {}, persistenceMaxBytes: 0, fetch: f.fetch, resendOnStart: false });
  await exporter.shutdown();
  const r = await exportOnce(exporter, records(1));
  assert.equal(r.code, ExportResultCode.FAILED);
  assert.match(String(r.error?.message), /shut down/);
  assert.equal(f.calls.length, 0);
});
