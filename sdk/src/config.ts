// Every option of the SDK with its default, in one place (the README's option table
// mirrors this file). Privacy defaults are the strict ones: everything masked, media
// blocked, sensitive attributes scrubbed, network headers and bodies not recorded; each
// can be relaxed here.

export type ConsoleLevel = 'debug' | 'log' | 'info' | 'warn' | 'error' | 'assert';

export interface SessionOptions {
  /** A session ends after this long without user activity. */
  idleTimeoutMs: number;
  /** ...or after this long in total, whatever the activity. */
  maxDurationMs: number;
  /** Fraction of sessions recorded (0..1), decided from the session id, the same in every tab. */
  sampleRate: number;
}

export interface ReplayOptions {
  enabled: boolean;
  /**
   * 'always': record and upload continuously. 'buffer': keep the last `bufferSeconds` in
   * memory and upload them (then keep recording) only when an error happens.
   */
  mode: 'always' | 'buffer';
  bufferSeconds: number;
  /** A segment is flushed at least this often while recording. */
  flushIntervalMs: number;
  /** A fresh full snapshot is taken this often, so every stretch is reachable by seeking. */
  fullSnapshotIntervalMs: number;
  /** Recording pauses after this long without user input, and resumes with a full snapshot. */
  idlePauseMs: number;
  maskAllText: boolean;
  maskAllInputs: boolean;
  /** Images, video, audio, picture and object/embed content replaced by placeholders. */
  blockMedia: boolean;
  /** Attributes whose values are scrubbed from the recording (URL query strings are scrubbed too). */
  scrubAttributes: string[];
  scrubUrlQuery: boolean;
  /** CSS selectors: elements left unmasked (opt-in), elements blocked entirely. */
  unmaskSelector: string | null;
  blockSelector: string | null;
  recordCanvas: boolean;
  /**
   * Same-origin iframes are recorded. (Open shadow roots always are, masked like the rest
   * of the page: rrweb has no switch for them. Keep a component's shadow DOM out by
   * putting its host element in `blockSelector`.)
   */
  recordIframes: boolean;
  /** Mutation-storm guard: mutations per node per second, and per batch, before a fresh full snapshot. */
  maxMutationsPerNodePerSecond: number;
  maxMutationsPerBatch: number;
  /** Bytes of unsent segments kept in IndexedDB when the page dies before upload. */
  persistenceMaxBytes: number;
}

export interface NetworkOptions {
  /** Origins/URLs (strings or RegExps) that get a `traceparent` header (CORS must allow it). */
  propagateTraceHeaderCorsUrls: (string | RegExp)[];
  /** Request/response header names recorded on spans (lower-case allowlist). */
  captureHeaders: string[];
  /** Record request/response bodies of these URL patterns (with redaction), none by default. */
  captureBodyUrls: (string | RegExp)[];
  maxCapturedBodyBytes: number;
  /** Header/body field names whose values are replaced by "[REDACTED]" wherever captured. */
  redactKeys: string[];
}

export interface EventOptions {
  console: ConsoleLevel[];
  errors: boolean;
  pageViews: boolean;
  clicks: boolean;
}

export interface OtelReplayOptions {
  /** Base URL of the receiver or Collector: the SDK posts to `${endpoint}/v1/logs` and `/v1/traces`. */
  endpoint: string;
  /** Sent as `Authorization: Bearer <writeKey>`. */
  writeKey: string | null;
  serviceName: string;
  serviceVersion: string | null;
  environment: string | null;
  session: SessionOptions;
  replay: ReplayOptions;
  network: NetworkOptions;
  events: EventOptions;
}

export const DEFAULTS: OtelReplayOptions = {
  endpoint: 'http://127.0.0.1:4318',
  writeKey: null,
  serviceName: 'web',
  serviceVersion: null,
  environment: null,
  session: { idleTimeoutMs: 30 * 60_000, maxDurationMs: 4 * 3600_000, sampleRate: 1 },
  replay: {
    enabled: true,
    mode: 'always',
    bufferSeconds: 30,
    flushIntervalMs: 5000,
    fullSnapshotIntervalMs: 5 * 60_000,
    idlePauseMs: 60_000,
    maskAllText: true,
    maskAllInputs: true,
    blockMedia: true,
    scrubAttributes: ['title', 'placeholder', 'aria-label', 'alt'],
    scrubUrlQuery: true,
    unmaskSelector: null,
    blockSelector: null,
    recordCanvas: false,
    recordIframes: true,
    maxMutationsPerNodePerSecond: 100,
    maxMutationsPerBatch: 5000,
    persistenceMaxBytes: 5 * 1024 * 1024,
  },
  network: {
    propagateTraceHeaderCorsUrls: [],
    captureHeaders: [],
    captureBodyUrls: [],
    maxCapturedBodyBytes: 4096,
    redactKeys: ['authorization', 'cookie', 'set-cookie', 'password', 'token', 'secret', 'api_key', 'apikey'],
  },
  events: { console: ['warn', 'error', 'assert'], errors: true, pageViews: true, clicks: true },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object | null ? DeepPartial<T[K]> : T[K] };

/** Options given by the caller merged over DEFAULTS (arrays replace, objects merge). */
export function resolveOptions(given: DeepPartial<OtelReplayOptions> = {}): OtelReplayOptions {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) continue;
      const b = base[k];
      out[k] = b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RegExp)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
    }
    return out;
  };
  const options = merge(DEFAULTS as unknown as Record<string, unknown>, given as Record<string, unknown>) as unknown as OtelReplayOptions;
  options.endpoint = options.endpoint.replace(/\/+$/, '');
  if (!(options.session.sampleRate >= 0 && options.session.sampleRate <= 1)) throw new Error(`otel-replay: session.sampleRate must be between 0 and 1, got ${options.session.sampleRate}`);
  return options;
}
