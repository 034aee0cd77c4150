import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { encodeSpansRequest } from '../network/otlp-span-exporter.ts';
import { SessionLogRecordProcessor } from '../processors/session-log-processor.ts';
import { SessionSpanProcessor } from '../processors/session-span-processor.ts';
import { encodeLogsRequest } from '../replay/otlp-json.ts';
import type { SessionProvider } from '../session/session.ts';
import { ExportLogRecordProcessor, ExportSpanProcessor } from './export-processor.ts';
import { SimpleLoggerProvider, toHrTime } from './logger-provider.ts';
import { SimpleTracerProvider, StackContextManager } from './tracer-provider.ts';

const session = { current: () => ({ id: 'sess-1' }) } as unknown as SessionProvider;
const resource = { attributes: { 'service.name': 'shop' } };
/** A whole second of epoch time after this process started (smaller numbers are read as performance.now() values). */
const SEC = Math.ceil(Date.now() / 1000);

function recordingProcessor(): SpanProcessor & { started: Span[]; ended: ReadableSpan[] } {
  const started: Span[] = [];
  const ended: ReadableSpan[] = [];
  return {
    started,
    ended,
    onStart: (span: Span) => void started.push(span),
    onEnd: (span: ReadableSpan) => void ended.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  } as unknown as SpanProcessor & { started: Span[]; ended: ReadableSpan[] };
}

test('toHrTime: epoch ms, timeOrigin-relative ms, Date and HrTime, with the nanosecond carry', () => {
  assert.deepEqual(toHrTime(SEC * 1000 + 123.5), [SEC, 123_500_000]);
  assert.deepEqual(toHrTime(new Date(SEC * 1000 + 1)), [SEC, 1_000_000]);
  assert.deepEqual(toHrTime([5, 6]), [5, 6]);
  const relative = toHrTime(10);
  assert.ok(Math.abs(relative[0] * 1000 + relative[1] / 1e6 - (performance.timeOrigin + 10)) < 1, 'small numbers are performance.now() values');
  const [, nanos] = toHrTime(SEC * 1000 + 999.9999999);
  assert.ok(nanos < 1e9, 'nanoseconds never reach a full second');
  const now = toHrTime(undefined);
  assert.ok(Math.abs(now[0] * 1000 - Date.now()) < 2000);
});

test('tracer: roots are sampled, children follow their parent, suppressed tracing records nothing', () => {
  const p = recordingProcessor();
  const provider = new SimpleTracerProvider({ resource, spanProcessors: [new SessionSpanProcessor(session), p] });
  const tracer = provider.getTracer('test', '1.0');
  assert.equal(provider.getTracer('test', '1.0'), tracer, 'tracers are cached by name and version');

  const root = tracer.startSpan('root', { kind: SpanKind.CLIENT, attributes: { a: 1, skipped: undefined } });
  const rc = root.spanContext();
  assert.match(rc.traceId, /^[0-9a-f]{32}$/);
  assert.match(rc.spanId, /^[0-9a-f]{16}$/);
  assert.equal(rc.traceFlags, 1);
  assert.ok(root.isRecording());

  const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
  assert.equal(child.spanContext().traceId, rc.traceId);
  assert.notEqual(child.spanContext().spanId, rc.spanId);

  const unsampledParent = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 });
  const notSampled = tracer.startSpan('x', {}, trace.setSpan(ROOT_CONTEXT, unsampledParent));
  assert.equal(notSampled.isRecording(), false);
  assert.equal(notSampled.spanContext().traceId, 'a'.repeat(32), 'the trace still propagates');

  const suppressed = tracer.startSpan('upload', {}, suppressTracing(ROOT_CONTEXT));
  assert.equal(suppressed.isRecording(), false);
  assert.equal(suppressed.spanContext().traceFlags, 0, 'no traceparent is sampled for our own uploads');

  const rootByOption = tracer.startSpan('new-root', { root: true }, trace.setSpan(ROOT_CONTEXT, root));
  assert.notEqual(rootByOption.spanContext().traceId, rc.traceId);

  child.end();
  root.end();
  assert.equal(p.started.length, 3, 'only recording spans reach onStart');
  assert.deepEqual(p.ended.map((s) => s.name), ['child', 'root']);
  const endedRoot = p.ended[1]!;
  assert.equal(endedRoot.attributes['session.id'], 'sess-1', 'SessionSpanProcessor stamps spans of this provider');
  assert.equal(endedRoot.attributes.a, 1);
  assert.ok(!('skipped' in endedRoot.attributes));
  assert.equal(p.ended[0]!.parentSpanContext?.spanId, rc.spanId);
  assert.equal(endedRoot.instrumentationScope.name, 'test');
  assert.equal(endedRoot.resource.attributes['service.name'], 'shop');
});

test('span: events, links, status, limits, end time and immutability after end; encodes as OTLP/JSON', () => {
  const p = recordingProcessor();
  const tracer = new SimpleTracerProvider({ resource, spanProcessors: [p] }).getTracer('t');
  const span = tracer.startSpan('s', { startTime: [100, 500] });
  span.addEvent('open');
  span.addEvent('fetchStart', [100, 900]);
  span.addEvent('with-attrs', { k: 'v' }, [101, 0]);
  span.addLink({ context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 } });
  for (let i = 0; i < 200; i++) span.setAttribute(`k${i}`, i);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  span.recordException(new TypeError('bad'));
  span.end([100, 400]);
  span.setAttribute('late', true);
  span.end([200, 0]);
  const s = p.ended[0]!;
  assert.equal(p.ended.length, 1, 'end() twice reports once');
  assert.deepEqual(s.endTime, [100, 500], 'an end before the start becomes a zero duration');
  assert.deepEqual(s.duration, [0, 0]);
  assert.equal(Object.keys(s.attributes).length, 128);
  assert.equal(s.droppedAttributesCount, 72);
  assert.ok(!('late' in s.attributes));
  assert.deepEqual(s.events.map((e) => e.name), ['open', 'fetchStart', 'with-attrs', 'exception']);
  assert.deepEqual(s.events[1]!.time, [100, 900]);
  assert.equal(s.events[2]!.attributes?.k, 'v');
  assert.equal(s.events[3]!.attributes?.['exception.type'], 'TypeError');
  assert.deepEqual(s.status, { code: SpanStatusCode.ERROR, message: 'boom' });
  const json = JSON.parse(encodeSpansRequest([s])) as { resourceSpans: { scopeSpans: { spans: { startTimeUnixNano: string; links: unknown[] }[] }[] }[] };
  const encoded = json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(encoded.startTimeUnixNano, '100000000500');
  assert.equal(encoded.links.length, 1);

  const ok = tracer.startSpan('ok');
  ok.setStatus({ code: SpanStatusCode.OK, message: 'ignored' });
  ok.setStatus({ code: SpanStatusCode.ERROR });
  ok.end();
  assert.deepEqual(p.ended[1]!.status, { code: SpanStatusCode.OK }, 'OK is final and carries no message');
  const d = p.ended[1]!.duration;
  assert.ok(d[0] >= 0 && d[1] >= 0 && d[1] < 1e9);
});

test('startActiveSpan runs the callback with the span active; StackContextManager restores on throw', () => {
  const manager = new StackContextManager().enable();
  const tracer = new SimpleTracerProvider({ resource, spanProcessors: [] }).getTracer('t');
  const key = Symbol('k');
  const ctx = ROOT_CONTEXT.setValue(key, 1);
  assert.equal(manager.with(ctx, () => manager.active().getValue(key)), 1);
  assert.throws(() => manager.with(ctx, () => {
    throw new Error('x');
  }));
  assert.equal(manager.active(), ROOT_CONTEXT, 'the previous context is back after a throw');
  const bound = manager.bind(ctx, () => manager.active().getValue(key));
  assert.equal(bound(), 1);
  const result = tracer.startActiveSpan('active', (span: Span) => {
    span.end();
    return span.spanContext().spanId;
  });
  assert.match(result, /^[0-9a-f]{16}$/);
});

test('logger: records carry time, scope, resource, the span of their context and stamped session.id', () => {
  const seen: ReadWriteLogRecord[] = [];
  const sink: LogRecordProcessor = { onEmit: (r) => void seen.push(r), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
  const provider = new SimpleLoggerProvider({ resource, processors: [new SessionLogRecordProcessor(session), sink] });
  const logger = provider.getLogger('events', '2.0');
  const span = trace.wrapSpanContext({ traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceFlags: 1 });
  logger.emit({ eventName: 'browser.click', timestamp: SEC * 1000, attributes: { a: 'b', nothing: undefined }, body: 'hi', severityNumber: 9, severityText: 'INFO', context: trace.setSpan(ROOT_CONTEXT, span) });
  logger.emit({ eventName: 'otel_replay.segment', attributes: { 'session.id': 'kept' }, context: ROOT_CONTEXT });
  assert.equal(seen.length, 2);
  const r = seen[0]!;
  assert.deepEqual(r.hrTime, [SEC, 0]);
  assert.equal(r.eventName, 'browser.click');
  assert.equal(r.attributes['session.id'], 'sess-1');
  assert.equal(r.attributes.a, 'b');
  assert.ok(!('nothing' in r.attributes));
  assert.equal(r.spanContext?.traceId, 'e'.repeat(32));
  assert.equal(r.instrumentationScope.version, '2.0');
  assert.equal(seen[1]!.attributes['session.id'], 'kept', 'a record that has a session keeps it');
  assert.equal(seen[1]!.spanContext, undefined);
  const json = JSON.parse(encodeLogsRequest(seen as unknown as ReadableLogRecord[])) as { resourceLogs: { resource: { attributes: { key: string }[] }; scopeLogs: { logRecords: { traceId?: string; severityNumber?: number }[] }[] }[] };
  assert.equal(json.resourceLogs[0]!.resource.attributes[0]!.key, 'service.name');
  assert.equal(json.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.traceId, 'e'.repeat(32));
  assert.equal(json.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.severityNumber, 9);
});

test('logger: attribute limit counts what it drops; nothing is emitted after shutdown', async () => {
  const seen: ReadWriteLogRecord[] = [];
  let shutdowns = 0;
  const sink: LogRecordProcessor = { onEmit: (r) => void seen.push(r), forceFlush: () => Promise.resolve(), shutdown: async () => void shutdowns++ };
  const provider = new SimpleLoggerProvider({ resource, processors: [sink], attributeCountLimit: 2 });
  const logger = provider.getLogger('x');
  logger.emit({ attributes: { a: 1, b: 2, c: 3 } });
  seen[0]!.setAttribute('a', 10);
  seen[0]!.setAttribute('d', 4);
  assert.deepEqual(seen[0]!.attributes, { a: 10, b: 2 });
  assert.equal(seen[0]!.droppedAttributesCount, 2);
  assert.equal(logger.enabled(), true);
  await provider.shutdown();
  await provider.shutdown();
  assert.equal(shutdowns, 1);
  logger.emit({ body: 'late' });
  assert.equal(seen.length, 1);
  assert.equal(logger.enabled(), false);
});

function fakeExporter(opts: { throws?: boolean } = {}): LogRecordExporter & { batches: unknown[][]; shutdowns: number } {
  const e = {
    batches: [] as unknown[][],
    shutdowns: 0,
    export(items: unknown[], done: (r: { code: number }) => void) {
      if (opts.throws) throw new Error('exporter broke');
      e.batches.push(items);
      setTimeout(() => done({ code: 0 }), 5);
    },
    forceFlush: () => Promise.resolve(),
    async shutdown() {
      e.shutdowns++;
    },
  };
  return e as unknown as LogRecordExporter & { batches: unknown[][]; shutdowns: number };
}

const rec = (n: number): ReadWriteLogRecord => ({ n }) as unknown as ReadWriteLogRecord;

test('export processor: delay 0 exports each record at once; batches go by size, by time and on flush', async () => {
  const now = fakeExporter();
  const immediate = new ExportLogRecordProcessor({ exporter: now, delayMs: 0 });
  immediate.onEmit(rec(1));
  immediate.onEmit(rec(2));
  assert.equal(now.batches.length, 2);

  const batched = fakeExporter();
  const p = new ExportLogRecordProcessor({ exporter: batched, delayMs: 30, maxBatchSize: 3, maxQueueSize: 5 });
  for (let i = 0; i < 3; i++) p.onEmit(rec(i));
  assert.equal(batched.batches.length, 1, 'a full batch goes at once');
  p.onEmit(rec(3));
  assert.equal(batched.batches.length, 1);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(batched.batches.length, 2, 'a partial batch goes after the delay');
  for (let i = 0; i < 2; i++) p.onEmit(rec(10 + i));
  await p.forceFlush();
  assert.deepEqual(batched.batches.map((b) => b.length), [3, 1, 2], 'forceFlush sends what waits');

  const small = fakeExporter();
  const bounded = new ExportLogRecordProcessor({ exporter: small, delayMs: 1000, maxBatchSize: 100, maxQueueSize: 4 });
  for (let i = 0; i < 10; i++) bounded.onEmit(rec(i));
  await bounded.shutdown();
  assert.deepEqual(small.batches.map((b) => b.length), [4], 'records beyond the queue bound are dropped, the rest flushed at shutdown');
  assert.equal(small.shutdowns, 1);
  bounded.onEmit(rec(99));
  await bounded.forceFlush();
  assert.equal(small.batches.length, 1, 'nothing is accepted after shutdown');
});

test('export processors: a throwing exporter never throws into the caller; spans export only when sampled', async () => {
  const broken = new ExportLogRecordProcessor({ exporter: fakeExporter({ throws: true }), delayMs: 0 });
  assert.doesNotThrow(() => broken.onEmit(rec(1)));
  const batchedBroken = new ExportLogRecordProcessor({ exporter: fakeExporter({ throws: true }), delayMs: 10 });
  batchedBroken.onEmit(rec(1));
  await batchedBroken.forceFlush();

  const spans = fakeExporter();
  const sp = new ExportSpanProcessor({ exporter: spans as never, delayMs: 10 });
  const tracer = new SimpleTracerProvider({ resource, spanProcessors: [sp] }).getTracer('t');
  tracer.startSpan('kept').end();
  const unsampled = { spanContext: () => ({ traceFlags: 0 }) } as unknown as ReadableSpan;
  sp.onEnd(unsampled);
  await sp.forceFlush();
  assert.equal(spans.batches.length, 1);
  assert.deepEqual((spans.batches[0] as ReadableSpan[]).map((s) => s.name), ['kept']);
  await sp.shutdown();
  assert.equal(spans.shutdowns, 1);
  const ctx: Context = ROOT_CONTEXT;
  assert.doesNotThrow(() => sp.onStart({} as never, ctx));
});
