// The replay instrumentation, used like an OpenTelemetry instrumentation: give it the
// session provider, the replay options and a LoggerProvider, call start(). This module is
// the small eager part; rrweb, fflate and the recording engine are imported dynamically
// once the page has rendered, so bundlers put them in a separate, lazily loaded chunk.

import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api';
import { PROTOCOL_VERSION, SEGMENT_EVENT_NAME, SegmentLimits, segmentAttributes } from '@otel-replay/protocol';
import type { ReplayOptions } from '../config.ts';
import type { SessionProvider } from '../session/session.ts';
import { sharedCompressor } from './compress.ts';
import type { ReplayEngine } from './engine.ts';

export interface ReplayInstrumentationConfig {
  session: SessionProvider;
  options: ReplayOptions;
  /** Segments are emitted as OTLP log records through it (event name `otel_replay.segment`). */
  loggerProvider: LoggerProvider;
}

export const REPLAY_SCOPE_NAME = '@otel-replay/sdk/replay';
export const REPLAY_SCOPE_VERSION = '0.1.0';

/**
 * Resolves once the first render is done: the document has loaded and the browser had an
 * idle moment. Starting earlier records the app's first render as one huge mutation batch,
 * which rrweb is known to drop nodes from (grafana/grafana#117917).
 */
export function afterFirstRender(): Promise<void> {
  if (typeof document === 'undefined') return Promise.resolve();
  const loaded = document.readyState === 'complete'
    ? Promise.resolve()
    : new Promise<void>((resolve) => window.addEventListener('load', () => resolve(), { once: true }));
  return loaded.then(() => new Promise<void>((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 1000 });
    else setTimeout(resolve, 50);
  }));
}

export class ReplayInstrumentation {
  readonly #config: ReplayInstrumentationConfig;
  #engine: ReplayEngine | null = null;
  #starting: Promise<void> | null = null;
  #wanted = false;
  #errorPending = false;
  #queued: { tag: string; payload: unknown }[] = [];

  constructor(config: ReplayInstrumentationConfig) {
    this.#config = config;
  }

  /** Loads the recorder (once) after the first render and starts recording if the session is sampled. */
  start(): Promise<void> {
    this.#wanted = true;
    if (!this.#config.options.enabled) return Promise.resolve();
    if (this.#engine) {
      this.#engine.start();
      return Promise.resolve();
    }
    this.#starting ??= (async () => {
      await afterFirstRender();
      const { ReplayEngine } = await import('./engine.ts');
      const provider = this.#config.loggerProvider as LoggerProvider & { forceFlush?: () => Promise<void> };
      const logger = provider.getLogger(REPLAY_SCOPE_NAME, REPLAY_SCOPE_VERSION);
      this.#engine = new ReplayEngine({
        session: this.#config.session,
        options: this.#config.options,
        maxBodyBytes: SegmentLimits.maxBodyBytes,
        gzip: (text) => sharedCompressor().gzip(text),
        emitSegment: (meta, body) => logger.emit({
          eventName: SEGMENT_EVENT_NAME,
          timestamp: meta.firstTimestamp,
          observedTimestamp: Date.now(),
          attributes: segmentAttributes({ ...meta, protocolVersion: PROTOCOL_VERSION }),
          body,
          // A segment belongs to no single trace, whatever span is active right now.
          context: ROOT_CONTEXT,
        }),
        forceFlush: () => provider.forceFlush?.(),
      });
      if (!this.#wanted) return;
      this.#engine.start();
      for (const { tag, payload } of this.#queued.splice(0)) this.#engine.addCustomEvent(tag, payload);
      if (this.#errorPending) this.#engine.notifyError();
    })();
    return this.#starting;
  }

  stop(): void {
    this.#wanted = false;
    this.#engine?.stop();
  }

  flush(opts: { pageHide?: boolean } = {}): Promise<void> {
    return this.#engine ? this.#engine.flush(opts.pageHide ?? false) : Promise.resolve();
  }

  /** Buffer mode: an error happened, so the buffered recording is sent and recording continues. */
  notifyError(): void {
    if (this.#engine) this.#engine.notifyError();
    else this.#errorPending = true;
  }

  /** An rrweb custom event in the recording (identify, custom events of the app). */
  addCustomEvent(tag: string, payload: unknown): void {
    if (this.#engine) this.#engine.addCustomEvent(tag, payload);
    else if (this.#queued.length < 50) this.#queued.push({ tag, payload });
  }

  isRecording(): boolean {
    return this.#engine?.isRecording() ?? false;
  }
}
