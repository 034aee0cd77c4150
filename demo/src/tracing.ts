// The demo backend's own OpenTelemetry tracing: one SERVER span per API request, continued
// from the browser's `traceparent` (so the browser's fetch span is its parent and both sit
// in one trace), exported over OTLP/HTTP JSON to the receiver, which forwards it to Tempo.
// The span's own trace context goes back to the browser in `Server-Timing`, which the SDK
// reads to link its span to the backend trace even where `traceparent` could not be sent.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface BackendTracing {
  tracer: Tracer;
  /** Starts the SERVER span of a request, as a child of the caller's `traceparent` when there is one. */
  startRequestSpan(req: IncomingMessage, route: string): { span: Span; context: Context };
  /** Ends the request span with the response's status and writes `Server-Timing: traceparent`. */
  finishRequestSpan(span: Span, res: ServerResponse, status: number): void;
  /** Exports every ended span now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createBackendTracing(options: { tracesUrl: string; serviceName: string; writeKey: string | null }): BackendTracing {
  const exporter = new OTLPTraceExporter({
    url: options.tracesUrl,
    headers: options.writeKey ? { Authorization: `Bearer ${options.writeKey}` } : {},
  });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'deployment.environment.name': 'demo' }),
    // A short delay so a demo user finds the backend spans next to the browser's within a second or two.
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 })],
  });
  const tracer = provider.getTracer('otel-replay-demo-api', '0.1.0');
  const propagator = new W3CTraceContextPropagator();

  return {
    tracer,
    startRequestSpan(req, route) {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0]!;
      const span = tracer.startSpan(`${method} ${route}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'http.route': route,
          'url.path': path,
          'url.scheme': 'http',
          'server.address': req.headers.host?.replace(/:\d+$/, '') ?? '',
          'user_agent.original': req.headers['user-agent'] ?? '',
        },
      }, parent);
      return { span, context: trace.setSpan(parent, span) };
    },
    finishRequestSpan(span, res, status) {
      const { traceId, spanId, traceFlags } = span.spanContext();
      res.setHeader('Server-Timing', `traceparent;desc="00-${traceId}-${spanId}-0${traceFlags & 1}"`);
      span.setAttribute('http.response.status_code', status);
      // Server spans are errors on 5xx only: a 4xx is the client's mistake (semconv).
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
