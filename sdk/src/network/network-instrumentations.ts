// Fetch and XMLHttpRequest spans from the OpenTelemetry instrumentations, configured
// the otel-replay way: `traceparent` only to the configured origins, our own OTLP
// endpoints never traced, the backend trace read from `Server-Timing`, and header/body
// capture only for what the options allowlist, redacted. `networkSpanHooks` gives the
// same hooks to apps that configure their own instrumentations.

import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import type { NetworkOptions } from '../config.ts';
import { captureHeaders, redactBody } from './redact.ts';
import { parseServerTimingTraceparent } from './server-timing.ts';
import { matchesUrl, ownEndpointPatterns, prefixPattern } from './url-match.ts';

export const LINK_TRACE_ID = 'link.traceId';
export const LINK_SPAN_ID = 'link.spanId';

type FetchResult = Response | { status?: number; message: string };

function linkServerTrace(span: Span, serverTiming: string | null): void {
  const linked = parseServerTimingTraceparent(serverTiming);
  if (!linked) return;
  span.setAttribute(LINK_TRACE_ID, linked.traceId);
  span.setAttribute(LINK_SPAN_ID, linked.spanId);
  // A real span link too, where the API allows adding one after start.
  span.addLink?.({ context: { traceId: linked.traceId, spanId: linked.spanId, traceFlags: 1, isRemote: true } });
}

function setHeaderAttributes(span: Span, kind: 'request' | 'response', headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) span.setAttribute(`http.${kind}.header.${name}`, [value]);
}

function headerEntries(init: HeadersInit | undefined): [string, string][] {
  if (!init) return [];
  if (typeof Headers !== 'undefined' && init instanceof Headers) return [...init.entries()];
  if (Array.isArray(init)) return init.filter((e): e is [string, string] => e.length === 2).map(([k, v]) => [k, v]);
  return Object.entries(init as Record<string, string>);
}

function bodyText(body: unknown): string | null {
  if (typeof body === 'string') return body;
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return body.toString();
  return null;
}

export interface NetworkSpanHooks {
  fetchRequestHook(span: Span, request: Request | RequestInit): void;
  fetchAttributes(span: Span, request: Request | RequestInit, result: FetchResult): void;
  xhrAttributes(span: Span, xhr: XMLHttpRequest): void;
}

/** The span hooks behind `createNetworkInstrumentations`, for instrumentations you configure yourself. */
export function networkSpanHooks(options: NetworkOptions): NetworkSpanHooks {
  const wantHeaders = options.captureHeaders.length > 0;
  const bodyUrl = (url: string): boolean => options.captureBodyUrls.length > 0 && matchesUrl(url, options.captureBodyUrls);
  const body = (text: string): string => redactBody(text, options.redactKeys, options.maxCapturedBodyBytes);
  const pendingBodies = new WeakMap<Span, string>();
  return {
    fetchRequestHook(span, request) {
      const url = typeof Request !== 'undefined' && request instanceof Request ? request.url : null;
      if (wantHeaders) {
        const headers = url !== null ? [...(request as Request).headers.entries()] : headerEntries((request as RequestInit).headers);
        setHeaderAttributes(span, 'request', captureHeaders(headers, options.captureHeaders, options.redactKeys));
      }
      if (options.captureBodyUrls.length) {
        const text = url === null ? bodyText((request as RequestInit).body) : null;
        if (text !== null) pendingBodies.set(span, text);
      }
    },
    fetchAttributes(span, _request, result) {
      if (!(typeof Response !== 'undefined' && result instanceof Response)) return;
      linkServerTrace(span, result.headers.get('server-timing'));
      if (wantHeaders) setHeaderAttributes(span, 'response', captureHeaders(result.headers.entries(), options.captureHeaders, options.redactKeys));
      if (bodyUrl(result.url)) {
        const requestBody = pendingBodies.get(span);
        if (requestBody !== undefined) span.setAttribute('http.request.body', body(requestBody));
        // The span ends a few hundred ms after this hook, which is when the text usually
        // has arrived; a body the page already consumed cannot be cloned and is skipped.
        try {
          result.clone().text().then((text) => span.setAttribute('http.response.body', body(text)), () => {});
        } catch {
          // body already used
        }
      }
      pendingBodies.delete(span);
    },
    xhrAttributes(span, xhr) {
      linkServerTrace(span, xhr.getResponseHeader('server-timing'));
      if (wantHeaders) {
        const raw = xhr.getAllResponseHeaders().trim();
        const entries = raw ? raw.split(/\r?\n/).map((line): [string, string] => {
          const i = line.indexOf(':');
          return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        }) : [];
        setHeaderAttributes(span, 'response', captureHeaders(entries, options.captureHeaders, options.redactKeys));
      }
      if (bodyUrl(xhr.responseURL) && (xhr.responseType === '' || xhr.responseType === 'text')) {
        span.setAttribute('http.response.body', body(xhr.responseText));
      }
    },
  };
}

export interface NetworkInstrumentationConfig {
  network: NetworkOptions;
  /** Base URL of the OTLP endpoint the SDK uploads to: its /v1/* URLs are never traced. */
  endpoint: string;
  /** More URLs never traced (other telemetry endpoints, health checks). */
  ignoreUrls?: (string | RegExp)[];
}

/**
 * Fetch and XHR instrumentations, created disabled (no global is patched until they are
 * registered): pass them to `registerInstrumentations({ instrumentations, tracerProvider })`,
 * or let init() do it.
 */
export function createNetworkInstrumentations(config: NetworkInstrumentationConfig): Instrumentation[] {
  const hooks = networkSpanHooks(config.network);
  const ignoreUrls = [...ownEndpointPatterns(config.endpoint), ...(config.ignoreUrls ?? [])];
  // The instrumentations match strings exactly; our option treats them as prefixes
  // (an origin covers all of its paths), as the README says.
  const propagateTraceHeaderCorsUrls = config.network.propagateTraceHeaderCorsUrls.map((p) => (typeof p === 'string' ? prefixPattern(p) : p));
  return [
    new FetchInstrumentation({
      enabled: false,
      ignoreUrls,
      propagateTraceHeaderCorsUrls,
      requestHook: hooks.fetchRequestHook,
      applyCustomAttributesOnSpan: hooks.fetchAttributes,
    }) as unknown as Instrumentation,
    new XMLHttpRequestInstrumentation({
      enabled: false,
      ignoreUrls,
      propagateTraceHeaderCorsUrls,
      applyCustomAttributesOnSpan: hooks.xhrAttributes,
    }) as unknown as Instrumentation,
  ];
}
