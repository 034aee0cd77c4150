// A small OTLP/JSON SpanExporter for the browser: spans grouped by resource and scope,
// POSTed with fetch (keepalive while the body fits the browser's keepalive budget),
// retried on 429/502/503/504 honouring Retry-After, and never traced itself. It replaces
// @opentelemetry/exporter-trace-otlp-http in init() because that exporter and its
// transformer are a third of the eager bundle; any standard SpanExporter works in its
// place when you compose the pieces yourself.

import { context } from '@opentelemetry/api';
import type { Attributes, Link } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { encodeAnyValue, hrTimeToNanos } from '../replay/otlp-json.ts';
import { isRetryableStatus, retryDelay } from '../replay/retry.ts';

const KEEPALIVE_MAX_BYTES = 56 * 1024;

export interface OtlpSpanExporterConfig {
  /** Full URL, e.g. `https://replay.example.com/v1/traces`. */
  url: string;
  headers?: Record<string, string>;
  /** Attempts per batch (default 4). */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

function keyValues(attributes: Attributes): { key: string; value: unknown }[] {
  const out: { key: string; value: unknown }[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out.push({ key, value: encodeAnyValue(value) });
  }
  return out;
}

function encodeLink(link: Link): Record<string, unknown> {
  return { traceId: link.context.traceId, spanId: link.context.spanId, attributes: keyValues(link.attributes ?? {}) };
}

function encodeSpan(span: ReadableSpan): Record<string, unknown> {
  const ctx = span.spanContext();
  const out: Record<string, unknown> = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    // API SpanKind starts at INTERNAL = 0; OTLP reserves 0 for UNSPECIFIED.
    kind: span.kind + 1,
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: keyValues(span.attributes),
    events: span.events.map((e) => ({ timeUnixNano: hrTimeToNanos(e.time), name: e.name, attributes: keyValues(e.attributes ?? {}) })),
    links: span.links.map(encodeLink),
    status: span.status.message ? { code: span.status.code, message: span.status.message } : { code: span.status.code },
    flags: ctx.traceFlags,
  };
  if (ctx.traceState) out.traceState = ctx.traceState.serialize();
  if (span.parentSpanContext?.spanId) out.parentSpanId = span.parentSpanContext.spanId;
  if (span.droppedAttributesCount) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.droppedEventsCount) out.droppedEventsCount = span.droppedEventsCount;
  if (span.droppedLinksCount) out.droppedLinksCount = span.droppedLinksCount;
  return out;
}

/** ExportTraceServiceRequest JSON for `spans`. */
export function encodeSpansRequest(spans: readonly ReadableSpan[]): string {
  const byResource = new Map<unknown, Map<string, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (!scopes) byResource.set(span.resource, (scopes = new Map()));
    const s = span.instrumentationScope;
    const key = `${s.name}\u0000${s.version ?? ''}`;
    let list = scopes.get(key);
    if (!list) scopes.set(key, (list = []));
    list.push(span);
  }
  const resourceSpans = [...byResource.values()].map((scopes) => ({
    resource: { attributes: keyValues([...scopes.values()][0]![0]!.resource.attributes) },
    scopeSpans: [...scopes.values()].map((list) => {
      const s = list[0]!.instrumentationScope;
      return { scope: s.version ? { name: s.name, version: s.version } : { name: s.name }, spans: list.map(encodeSpan) };
    }),
  }));
  return JSON.stringify({ resourceSpans });
}

export class OtlpJsonSpanExporter implements SpanExporter {
  readonly #config: OtlpSpanExporterConfig;
  readonly #pending = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(config: OtlpSpanExporterConfig) {
    this.#config = config;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('otel-replay: the span exporter is shut down; spans were not sent') });
      return;
    }
    const p = this.#send(encodeSpansRequest(spans)).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) => resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #send(body: string): Promise<void> {
    const doFetch = this.#config.fetch ?? globalThis.fetch.bind(globalThis);
    const maxAttempts = this.#config.maxAttempts ?? 4;
    const keepalive = new TextEncoder().encode(body).length <= KEEPALIVE_MAX_BYTES;
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let retryAfter: string | null = null;
      try {
        // suppressTracing: an instrumented fetch must not trace the upload of spans.
        const response = await context.with(suppressTracing(context.active()), () =>
          doFetch(this.#config.url, { method: 'POST', body, keepalive, headers: { 'Content-Type': 'application/json', ...this.#config.headers } }));
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        if (response.ok) return;
      } catch {
        status = 0; // dropped connection: retryable
      }
      if ((status !== 0 && !isRetryableStatus(status)) || attempt + 1 >= maxAttempts || this.#stopped) {
        throw new Error(`otel-replay: sending spans to ${this.#config.url} failed with ${status === 0 ? 'a network error' : `HTTP ${status}`} after ${attempt + 1} attempt(s)`);
      }
      await new Promise((r) => setTimeout(r, retryDelay(attempt, retryAfter, Date.now())));
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.#stopped = true;
  }
}
