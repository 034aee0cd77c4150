// The real OpenTelemetry JS exporters (JSON and protobuf variants) against a running
// receiver: replay segments are stored and come back byte-identical through the query
// API; other logs and spans reach the OTLP sink standing in for Loki and Tempo with every
// attribute intact, and the session index learns from all of them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { EventName, SEGMENT_EVENT_NAME, segmentAttributes } from '@otel-replay/protocol';
import { decodeLogs } from '../src/otlp/decode-logs.ts';
import { decodeTraces } from '../src/otlp/decode-traces.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';
import { LOGS_PATH, TRACES_PATH, startOtlpSink } from './peers/otlp-sink.ts';
import type { OtlpSink } from './peers/otlp-sink.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

for (const variant of ['http-json', 'proto'] as const) {
  describe(`OpenTelemetry JS exporters (${variant}) → receiver`, () => {
    let sink: OtlpSink;
    let rx: RunningReceiver;
    const sessionId = `sess-${variant}-0001`;

    before(async () => {
      sink = await startOtlpSink();
      rx = await startReceiver({ forward: { logsUrl: `${sink.url}/otlp/v1/logs`, tracesUrl: `${sink.url}/v1/traces`, retry: { initialDelayMs: 20, maxDelayMs: 200 } } });
    });
    after(async () => {
      await rx?.stop();
      await sink?.stop();
    });

    const resource = () => resourceFromAttributes({ 'service.name': 'shop-web', 'user_agent.original': UA, 'deployment.environment.name': 'test' });

    test('segments are stored and come back byte-identical; other logs reach Loki with every attribute', async () => {
      const exporter = variant === 'proto' ? new ProtoLogExporter({ url: `${rx.url}/v1/logs` }) : new JsonLogExporter({ url: `${rx.url}/v1/logs` });
      const provider = new LoggerProvider({ resource: resource(), processors: [new SimpleLogRecordProcessor({ exporter })] });
      const logger = provider.getLogger('otel-replay-test', '1.0.0');
      const start = Date.now() - 60_000;
      const sent = [0, 1, 2].map((seq) => makeSegment({ sessionId, seq, start: start + seq * 5000, count: 20, full: seq !== 1, encoding: seq === 2 ? 'json' : 'gzip-json' }));
      for (const { segment } of sent) {
        logger.emit({
          eventName: SEGMENT_EVENT_NAME,
          timestamp: segment.meta.firstTimestamp,
          body: segment.meta.encoding === 'gzip-json' ? segment.body : new TextDecoder().decode(segment.body),
          attributes: segmentAttributes(segment.meta),
        });
      }
      // Ordinary events and logs of the same session: they go to Loki untouched.
      logger.emit({ eventName: EventName.pageView, timestamp: start, attributes: { 'session.id': sessionId, 'url.full': 'http://127.0.0.1/cart?x=1', 'replay.page.title': 'Cart' } });
      logger.emit({ eventName: EventName.click, timestamp: start + 100, attributes: { 'session.id': sessionId, 'replay.click.selector': 'button#buy' } });
      logger.emit({ eventName: EventName.exception, timestamp: start + 200, attributes: { 'session.id': sessionId, 'exception.type': 'TypeError', 'exception.message': 'x is undefined' } });
      logger.emit({
        eventName: EventName.console,
        severityNumber: 17,
        severityText: 'ERROR',
        timestamp: start + 300,
        body: 'boom',
        attributes: { 'session.id': sessionId, 'replay.console.level': 'error', 'an.int': 42, 'a.double': 1.5, 'a.bool': true, 'a.list': ['a', 'b'], 'a.bytes': new Uint8Array([1, 2, 3]), 'a.map': { nested: 'yes' } } as never,
      });
      await provider.forceFlush();
      await provider.shutdown();

      // Byte-identical replay bodies through the query API.
      for (const { segment, json } of sent) {
        const res = await fetch(`${rx.url}/api/v1/sessions/${sessionId}/segments/${segment.meta.windowId}/${segment.meta.seq}`);
        assert.equal(res.status, 200, `segment ${segment.meta.seq}`);
        assert.equal(res.headers.get('content-encoding'), 'gzip');
        // fetch inflates Content-Encoding: gzip; compare the raw member too.
        const raw = await rawSegment(rx.url, sessionId, segment.meta.windowId, segment.meta.seq);
        if (segment.meta.encoding === 'gzip-json') assert.deepEqual(raw, Buffer.from(segment.body), 'gzip member is the exact bytes the client sent');
        assert.equal(gunzipSync(raw).toString('utf8'), json);
        assert.equal(await res.text(), json);
      }

      // Loki stand-in: one request with exactly the four non-replay records, attributes intact.
      await sink.waitFor((rs) => rs.some((r) => r.path === LOGS_PATH), 10_000);
      const lokiRequests = sink.requests.filter((r) => r.path === LOGS_PATH);
      const received = lokiRequests.flatMap((r) => {
        assert.equal(r.headers['content-type'], variant === 'proto' ? 'application/x-protobuf' : 'application/json');
        assert.equal(r.headers['x-scope-orgid'], 'default');
        return decodeLogs(r.body!, variant === 'proto' ? 'protobuf' : 'json').resources.flatMap((rl) => rl.scopes.flatMap((s) => s.records.map((rec) => ({ rec, resource: rl.resource }))));
      });
      assert.deepEqual(received.map((r) => r.rec.eventName).sort(), [EventName.console, EventName.click, EventName.pageView, EventName.exception].sort());
      assert.ok(received.every((r) => r.rec.eventName !== SEGMENT_EVENT_NAME), 'no replay segment is forwarded to Loki');
      const consoleRec = received.find((r) => r.rec.eventName === EventName.console)!;
      assert.equal(consoleRec.rec.body, 'boom');
      assert.equal(consoleRec.rec.severityNumber, 17);
      assert.equal(consoleRec.rec.attributes['an.int'], 42);
      assert.equal(consoleRec.rec.attributes['a.double'], 1.5);
      assert.equal(consoleRec.rec.attributes['a.bool'], true);
      assert.deepEqual(consoleRec.rec.attributes['a.list'], ['a', 'b']);
      assert.deepEqual(Buffer.from(consoleRec.rec.attributes['a.bytes'] as Uint8Array), Buffer.from([1, 2, 3]));
      assert.deepEqual(consoleRec.rec.attributes['a.map'], { nested: 'yes' });
      assert.equal(consoleRec.resource['service.name'], 'shop-web');
      assert.equal(consoleRec.resource['user_agent.original'], UA);

      // The index learned from segments and events.
      const summary = await (await fetch(`${rx.url}/api/v1/sessions/${sessionId}`)).json() as Record<string, unknown>;
      assert.equal(summary.segments, 3);
      assert.equal(summary.pageViews, 1);
      assert.equal(summary.clicks, 1);
      assert.equal(summary.errors, 1);
      assert.equal(summary.consoleErrors, 1);
      assert.equal(summary.service, 'shop-web');
      assert.equal(summary.entryUrl, 'http://127.0.0.1/cart?x=1');
      assert.match(String(summary.browser), /^Chrome/);
      assert.equal(summary.hasReplay, true);
    });

    test('spans reach Tempo with session.id and every attribute, and feed the index', async () => {
      const exporter = variant === 'proto' ? new ProtoTraceExporter({ url: `${rx.url}/v1/traces` }) : new JsonTraceExporter({ url: `${rx.url}/v1/traces` });
      const provider = new TracerProvider({ resource: resource(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      const tracer = provider.getTracer('otel-replay-test');
      const ok = tracer.startSpan('GET /api/items', { attributes: { 'session.id': sessionId, 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1/api/items', 'http.response.status_code': 200 } });
      ok.end();
      const failed = tracer.startSpan('POST /api/pay', { attributes: { 'session.id': sessionId, 'http.request.method': 'POST', 'url.full': 'http://127.0.0.1/api/pay', 'http.response.status_code': 502 } });
      failed.setStatus({ code: SpanStatusCode.ERROR });
      failed.end();
      await provider.forceFlush();
      await provider.shutdown();

      await sink.waitFor((rs) => rs.filter((r) => r.path === TRACES_PATH).length >= 2, 10_000);
      const tempoRequests = sink.requests.filter((r) => r.path === TRACES_PATH);
      const spans = tempoRequests.flatMap((r) => decodeTraces(r.body!, variant === 'proto' ? 'protobuf' : 'json').resources.flatMap((rs) => rs.scopes.flatMap((s) => s.spans)));
      assert.deepEqual(spans.map((s) => s.name).sort(), ['GET /api/items', 'POST /api/pay']);
      for (const s of spans) assert.equal(s.attributes['session.id'], sessionId);
      assert.equal(spans.find((s) => s.name === 'POST /api/pay')!.statusCode, 2);
      assert.equal(spans.find((s) => s.name === 'GET /api/items')!.traceId, ok.spanContext().traceId);

      const summary = await (await fetch(`${rx.url}/api/v1/sessions/${sessionId}`)).json() as Record<string, unknown>;
      assert.equal(summary.spans, 2);
      assert.equal(summary.networkFailures, 1);
    });
  });
}

/** The stored gzip member as bytes on the wire (no automatic inflation). */
async function rawSegment(base: string, sessionId: string, windowId: string, seq: number): Promise<Buffer> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/sessions/${sessionId}/segments/${windowId}/${seq}`, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
