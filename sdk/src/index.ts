// @otel-replay/sdk: session replay and network tracing over OTLP with one session.id.
// Importing this module has no side effects: call init(), or compose the pieces with an
// existing OpenTelemetry web setup (see README.md).

export { init, getInstance, sessionUrl, GRAFANA_APP_ID } from './api.ts';
export type { OtelReplay, OtelReplayParts } from './api.ts';
export { DEFAULTS, resolveOptions } from './config.ts';
export type { OtelReplayOptions, SessionOptions, ReplayOptions, NetworkOptions, EventOptions, ConsoleLevel, DeepPartial } from './config.ts';

export { SessionManager } from './session/session-manager.ts';
export type { SessionManagerConfig } from './session/session-manager.ts';
export type { SessionProvider, SessionInfo, SessionChange } from './session/session.ts';
export { isSessionSampled } from './session/sampling.ts';
export { UserContext } from './session/user.ts';

export { SessionSpanProcessor } from './processors/session-span-processor.ts';
export { SessionLogRecordProcessor } from './processors/session-log-processor.ts';
export { SegmentRoutingLogRecordProcessor } from './processors/routing-log-processor.ts';

export { createNetworkInstrumentations, networkSpanHooks, LINK_TRACE_ID, LINK_SPAN_ID } from './network/network-instrumentations.ts';
export type { NetworkInstrumentationConfig, NetworkSpanHooks } from './network/network-instrumentations.ts';
export { OtlpJsonSpanExporter, encodeSpansRequest } from './network/otlp-span-exporter.ts';
export type { OtlpSpanExporterConfig } from './network/otlp-span-exporter.ts';
export { parseServerTimingTraceparent } from './network/server-timing.ts';
export { ownEndpointPatterns } from './network/url-match.ts';

export { ConsoleCollector } from './events/console-collector.ts';
export { ErrorCollector } from './events/error-collector.ts';
export { PageViewCollector } from './events/page-view-collector.ts';
export type { PageViewOptions } from './events/page-view-collector.ts';
export { ClickCollector } from './events/click-collector.ts';
export type { ClickOptions } from './events/click-collector.ts';
export { ActivityTracker } from './events/activity.ts';
export type { CollectorContext, EventCollector, ReplayHooks } from './events/emit.ts';

export { ReplayInstrumentation } from './replay/replay-instrumentation.ts';
export type { ReplayInstrumentationConfig } from './replay/replay-instrumentation.ts';
export { SegmentExporter } from './replay/segment-exporter.ts';
export type { SegmentExporterConfig } from './replay/segment-exporter.ts';

// The small providers init() wires (see README "Size"); types only, reachable through `parts`.
export type { SimpleLoggerProvider, SimpleLoggerProviderConfig, LogResource } from './telemetry/logger-provider.ts';
export type { SimpleTracerProvider, SimpleTracerProviderConfig, StackContextManager } from './telemetry/tracer-provider.ts';
export type { ExportLogRecordProcessor, ExportSpanProcessor, ExportQueueConfig } from './telemetry/export-processor.ts';
