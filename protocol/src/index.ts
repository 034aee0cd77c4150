// @otel-replay/protocol: the wire and storage contract shared by sdk/, receiver/ and
// grafana-plugin/. See docs/protocol.md for the same contract in prose.
export * from './segment.ts';
export * from './events.ts';
export * from './framing.ts';
export * from './index-row.ts';
export * from './rrweb.ts';
export * from './legacy.ts';
export * from './query-api.ts';
export * from './replay-urls.ts';
export * from './replay-css.ts';
export * from './replay-sanitizer.ts';
