// init(): the one call for a page with no OpenTelemetry yet. It wires the composable
// pieces (session manager, session processors, network instrumentations, event
// collectors, replay instrumentation, segment exporter) into a tracer provider and a
// logger provider and returns a handle. It is idempotent and never throws into the host
// page: a problem becomes a console warning and a handle that does nothing.

import { context, propagation, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { Attr, EventName } from '@otel-replay/protocol';
import { resolveOptions } from './config.ts';
import type { DeepPartial, OtelReplayOptions } from './config.ts';
import { ActivityTracker } from './events/activity.ts';
import { ClickCollector } from './events/click-collector.ts';
import { ConsoleCollector } from './events/console-collector.ts';
import { emitEvent, eventLogger } from './events/emit.ts';
import type { EventCollector } from './events/emit.ts';
import { ErrorCollector } from './events/error-collector.ts';
import { PageViewCollector } from './events/page-view-collector.ts';
import { createNetworkInstrumentations } from './network/network-instrumentations.ts';
import { OtlpJsonSpanExporter } from './network/otlp-span-exporter.ts';
import { ownEndpointPatterns } from './network/url-match.ts';
import { SegmentRoutingLogRecordProcessor } from './processors/routing-log-processor.ts';
import { SessionLogRecordProcessor } from './processors/session-log-processor.ts';
import { SessionSpanProcessor } from './processors/session-span-processor.ts';
import { ReplayInstrumentation } from './replay/replay-instrumentation.ts';
import { SegmentExporter } from './replay/segment-exporter.ts';
import { resourceAttributes } from './resource.ts';
import { SessionManager } from './session/session-manager.ts';
import { ExportLogRecordProcessor, ExportSpanProcessor } from './telemetry/export-processor.ts';
import { SimpleLoggerProvider } from './telemetry/logger-provider.ts';
import { SimpleTracerProvider, StackContextManager } from './telemetry/tracer-provider.ts';
import { UserContext } from './session/user.ts';

/** The Grafana app plugin's id and its session page route (`session/:sessionId`). */
export const GRAFANA_APP_ID = 'otel-replay-app';

export interface OtelReplay {
  /** Starts collecting (init() already did); resolves once the recorder is loaded or not needed. */
  start(): Promise<void>;
  /** Stops collecting and recording and flushes what is pending; start() resumes. */
  stop(): void;
  /** Sets `user.id` on everything that follows, emits an identify event and marks the recording. */
  identify(userId: string, traits?: Record<string, unknown>): void;
  /** A custom event (`otel_replay.custom`, `replay.custom.name` = name) and a marker in the recording. */
  track(name: string, attributes?: Record<string, unknown>): void;
  /** Records a handled error as an `exception` event (and triggers buffer mode). */
  reportError(error: unknown): void;
  getSessionId(): string;
  /** `${grafanaBaseUrl}/a/otel-replay-app/session/<session id>?t=<now ms>`: this moment of this session in Grafana. */
  getSessionUrl(grafanaBaseUrl: string): string;
  /** Sends everything pending now (segments, events, spans). */
  flush(): Promise<void>;
  /** The wired pieces, for apps that want to reach in (null in the no-op handle). */
  readonly parts: OtelReplayParts | null;
}

export interface OtelReplayParts {
  options: OtelReplayOptions;
  session: SessionManager;
  user: UserContext;
  tracerProvider: SimpleTracerProvider;
  loggerProvider: SimpleLoggerProvider;
  replay: ReplayInstrumentation | null;
  instrumentations: Instrumentation[];
}

/** The Grafana URL of a session at a moment, the way the plugin routes it. */
export function sessionUrl(grafanaBaseUrl: string, sessionId: string, atMs: number = Date.now()): string {
  return `${grafanaBaseUrl.replace(/\/+$/, '')}/a/${GRAFANA_APP_ID}/session/${encodeURIComponent(sessionId)}?t=${atMs}`;
}

/** Primitive values only: OTLP attributes cannot hold objects or functions. */
function primitiveAttributes(values: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (!values) return out;
  for (const [k, v] of Object.entries(values)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  return out;
}

function warn(message: string, error?: unknown): void {
  try {
    console.warn(`otel-replay: ${message}`, ...(error === undefined ? [] : [error]));
  } catch {
    // no console at all
  }
}

const NOOP: OtelReplay = {
  start: () => Promise.resolve(),
  stop: () => {},
  identify: () => {},
  track: () => {},
  reportError: () => {},
  getSessionId: () => '',
  getSessionUrl: (base) => base,
  flush: () => Promise.resolve(),
  parts: null,
};

/** Guards every API call: the host page never sees our exceptions. */
function safe<A extends unknown[], R>(what: string, fallback: R, fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    try {
      return fn(...args);
    } catch (error) {
      warn(`${what} failed and was ignored`, error);
      return fallback;
    }
  };
}

function wire(options: OtelReplayOptions): OtelReplay {
  const headers: Record<string, string> = options.writeKey ? { Authorization: `Bearer ${options.writeKey}` } : {};
  const resource = { attributes: resourceAttributes(options) };
  const user = new UserContext();
  const session = new SessionManager({ options: options.session });

  // One exporter for all logs: segments are sent as soon as the replay emits them (it
  // already batches into segments), other events are batched for a second or two.
  const logExporter = new SegmentExporter({ url: `${options.endpoint}/v1/logs`, headers, persistenceMaxBytes: options.replay.persistenceMaxBytes });
  const loggerProvider = new SimpleLoggerProvider({
    resource,
    processors: [
      new SessionLogRecordProcessor(session, user),
      new SegmentRoutingLogRecordProcessor({
        // Segments sealed between two flushes (a busy page fills one every second or
        // so) go out together: each request costs the page's main thread a few ms.
        segments: new ExportLogRecordProcessor({ exporter: logExporter, delayMs: options.replay.flushIntervalMs }),
        others: new ExportLogRecordProcessor({ exporter: logExporter, delayMs: 2000 }),
      }),
    ],
  });
  session.setLoggerProvider(loggerProvider);

  const tracerProvider = new SimpleTracerProvider({
    resource,
    spanProcessors: [
      new SessionSpanProcessor(session, user),
      new ExportSpanProcessor({ exporter: new OtlpJsonSpanExporter({ url: `${options.endpoint}/v1/traces`, headers }), delayMs: 2000 }),
    ],
  });

  const replay = options.replay.enabled ? new ReplayInstrumentation({ session, options: options.replay, loggerProvider }) : null;
  const collectorContext = { loggerProvider, session, replay };
  const errors = options.events.errors ? new ErrorCollector(collectorContext) : null;
  const clicks = options.events.clicks
    ? new ClickCollector(collectorContext, {
      maskAllText: options.replay.maskAllText,
      unmaskSelector: options.replay.unmaskSelector,
      blockSelector: options.replay.blockSelector,
      scrubUrlQuery: options.replay.scrubUrlQuery,
      ignoreUrls: ownEndpointPatterns(options.endpoint),
    })
    : null;
  const pageViews = options.events.pageViews ? new PageViewCollector(collectorContext, { scrubUrlQuery: options.replay.scrubUrlQuery, includeTitle: !options.replay.maskAllText }) : null;
  if (pageViews && clicks) pageViews.onRouteChange(() => clicks.notifyNavigation());
  const collectors: EventCollector[] = [new ActivityTracker(session)];
  if (options.events.console.length) collectors.push(new ConsoleCollector(collectorContext, options.events.console));
  for (const c of [errors, pageViews, clicks]) if (c) collectors.push(c);

  const instrumentations = createNetworkInstrumentations({ network: options.network, endpoint: options.endpoint });
  const logger = eventLogger(loggerProvider);
  let globalsSet = false;
  let running = false;

  const start = async (): Promise<void> => {
    if (!globalsSet) {
      globalsSet = true;
      // On a page with OTel already, these keep the existing globals (the API refuses to
      // replace them) and our instrumentations still use our provider.
      context.setGlobalContextManager(new StackContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(tracerProvider);
    }
    if (!running) {
      running = true;
      // What registerInstrumentations() does for a tracer provider, without its module loader.
      for (const i of instrumentations) {
        i.setTracerProvider(tracerProvider);
        i.enable();
      }
      for (const c of collectors) c.start();
    }
    await replay?.start();
  };

  const flush = async (): Promise<void> => {
    await replay?.flush();
    await Promise.all([loggerProvider.forceFlush(), tracerProvider.forceFlush()]);
  };

  return {
    parts: { options, session, user, tracerProvider, loggerProvider, replay, instrumentations },
    start: () => start().catch((error: unknown) => warn('start failed; the page is not being recorded', error)),
    stop: safe('stop', undefined, () => {
      if (!running) return;
      running = false;
      for (const c of collectors) c.stop();
      for (const i of instrumentations) i.disable();
      replay?.stop();
      void flush().catch(() => {});
    }),
    identify: safe('identify', undefined, (userId: string, traits?: Record<string, unknown>) => {
      if (typeof userId !== 'string' || !userId) throw new TypeError(`identify(userId) needs a non-empty string, got ${typeof userId}`);
      const attributes = user.set(userId, traits);
      emitEvent(logger, EventName.identify, attributes);
      replay?.addCustomEvent('identify', attributes);
    }),
    track: safe('track', undefined, (name: string, attributes?: Record<string, unknown>) => {
      if (typeof name !== 'string' || !name) throw new TypeError(`track(name) needs a non-empty string, got ${typeof name}`);
      const attrs = primitiveAttributes(attributes);
      emitEvent(logger, EventName.custom, { ...attrs, 'replay.custom.name': name });
      replay?.addCustomEvent(name, attrs);
    }),
    reportError: safe('reportError', undefined, (error: unknown) => {
      if (errors) errors.report(error);
      else new ErrorCollector(collectorContext).report(error);
    }),
    getSessionId: safe('getSessionId', '', () => session.current().id),
    getSessionUrl: safe('getSessionUrl', '', (grafanaBaseUrl: string) => sessionUrl(grafanaBaseUrl, session.current().id)),
    flush: () => flush().catch((error: unknown) => warn('flush failed', error)),
  };
}

const GLOBAL_KEY = Symbol.for('otel-replay.instance');

/**
 * Starts otel-replay on this page and returns its handle. Calling it again returns the
 * same handle (also across two copies of the SDK on one page, e.g. script tag + bundle).
 */
export function init(options: DeepPartial<OtelReplayOptions> = {}): OtelReplay {
  const g = globalThis as unknown as Record<symbol, OtelReplay | undefined>;
  const existing = g[GLOBAL_KEY];
  if (existing) return existing;
  try {
    if (typeof window === 'undefined' || typeof document === 'undefined') {
      warn('init() needs a browser page (no window/document here); nothing is recorded');
      return NOOP;
    }
    const handle = wire(resolveOptions(options));
    g[GLOBAL_KEY] = handle;
    void handle.start();
    return handle;
  } catch (error) {
    warn('init() failed; the page is not being recorded', error);
    return NOOP;
  }
}

/** The handle of the running SDK, if init() was called. */
export function getInstance(): OtelReplay | null {
  return (globalThis as unknown as Record<symbol, OtelReplay | undefined>)[GLOBAL_KEY] ?? null;
}
