// The LogRecordExporter that uploads replay segments (and any other log record given to
// it) as OTLP/JSON with fetch. Browsers allow 64 KiB of keepalive bodies in flight, so
// keepalive is used while the pending ones stay within ~60 KiB and 9 requests (the OTel
// JS exporters' budget); 429/502/503/504 and dropped connections are retried honouring
// Retry-After; a body that could not be delivered is kept in IndexedDB and sent on the
// next page load. Our own uploads are never traced (suppressTracing), or every segment
// upload would produce a fetch span that is itself exported.
// Request bodies are gzipped whole with the browser's native CompressionStream (no
// library, so no bundle cost), in the page's compression worker (compress.ts), and sent
// with `Content-Encoding: gzip`: the segment gzip is base64 inside OTLP/JSON and the
// resource/scope wrapper repeats on every request, so the whole-body gzip is what brings
// the wire size near the segment gzip. Compression is async; at page hide there is no
// time to wait for it, so bodies then go out uncompressed.

import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { sharedCompressor } from './compress.ts';
import { encodeLogsRequest } from './otlp-json.ts';
import { indexedDbRequestStore, memoryRequestStore } from './persistence.ts';
import type { RequestStore } from './persistence.ts';
import { DEFAULT_BACKOFF, isRetryableStatus, retryDelay } from './retry.ts';
import type { BackoffOptions } from './retry.ts';

/** Browsers cap keepalive bodies in flight at 64 KiB; leave room for other requests. */
export const KEEPALIVE_BUDGET_BYTES = 60 * 1024;
export const KEEPALIVE_MAX_IN_FLIGHT = 9;
/** Largest batch sent as one gzipped request (about 30 segments; far below the receiver's body cap). */
export const MAX_BATCH_CHARS = 1024 * 1024;

export interface SegmentExporterConfig {
  /** Full URL of the OTLP logs endpoint, e.g. `https://replay.example.com/v1/logs`. */
  url: string;
  headers: Record<string, string>;
  /** Bytes of unsent request bodies kept in IndexedDB. 0 disables persistence. */
  persistenceMaxBytes: number;
  /** Persisted bodies older than this are dropped instead of sent (default 24 h). */
  maxPersistedAgeMs?: number;
  /** Delivery attempts per request before it is left to the next page load (default 6). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Send bodies persisted by earlier page loads, shortly after construction (default true in browsers). */
  resendOnStart?: boolean;
  /** For tests and other runtimes. */
  store?: RequestStore;
  fetch?: typeof fetch;
  isPageHidden?: () => boolean;
  /** Gzip request bodies (default: when the runtime has CompressionStream). */
  compress?: boolean;
}

export type SendOutcome = 'sent' | 'rejected' | 'persisted' | 'lost';

/**
 * The transport behind SegmentExporter and OtlpJsonSpanExporter: `encode` turns a batch
 * into OTLP/JSON; sending, keepalive budget, retries and persistence are the same.
 */
export class OtlpJsonExporter<T> {
  readonly #encodeBatch: (items: T[]) => string;
  readonly #config: SegmentExporterConfig;
  readonly #store: RequestStore;
  readonly #maxAttempts: number;
  readonly #inFlight = new Set<Promise<SendOutcome>>();
  #keepaliveBytes = 0;
  #keepaliveCount = 0;
  #stopped = false;
  readonly #compress: boolean;
  /** Set from the start of pagehide (which fires while visibilityState is still 'visible') until pageshow. */
  #leaving = false;

  constructor(config: SegmentExporterConfig, encode: (items: T[]) => string) {
    this.#encodeBatch = encode;
    this.#config = config;
    this.#compress = config.compress ?? typeof CompressionStream !== 'undefined';
    if (typeof addEventListener === 'function') {
      // Capture, so it runs before the replay engine's own pagehide flush on the same target.
      addEventListener('pagehide', () => { this.#leaving = true; }, { capture: true });
      addEventListener('pageshow', () => { this.#leaving = false; }, { capture: true });
    }
    this.#maxAttempts = config.maxAttempts ?? 6;
    this.#store = config.store ?? (config.persistenceMaxBytes > 0 && typeof indexedDB !== 'undefined'
      ? indexedDbRequestStore('otel-replay', config.persistenceMaxBytes)
      : memoryRequestStore(0));
    const resend = config.resendOnStart ?? typeof window !== 'undefined';
    if (resend) setTimeout(() => void this.resendPersisted(), 1000);
  }

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    if (this.#stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error(`otel-replay: the exporter for ${this.#config.url} is shut down; records were not sent`) });
      return;
    }
    const bodies = this.#encode(items);
    const sends = bodies.map((body) => this.#track(this.#send(body, null)));
    void Promise.all(sends).then((outcomes) => {
      const failed = outcomes.filter((o) => o !== 'sent');
      resultCallback(failed.length === 0
        ? { code: ExportResultCode.SUCCESS }
        : { code: ExportResultCode.FAILED, error: new Error(`otel-replay: ${failed.length} of ${outcomes.length} upload(s) to ${this.#config.url} failed (${failed.join(', ')}); persisted ones are retried on the next page load`) });
    });
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    await this.forceFlush();
  }

  /** Sends the bodies persisted by earlier page loads; resolves to how many were delivered. */
  async resendPersisted(): Promise<number> {
    const maxAge = this.#config.maxPersistedAgeMs ?? 24 * 3600_000;
    const entries = await this.#store.takeAll(maxAge);
    let sent = 0;
    for (const entry of entries) {
      if ((await this.#track(this.#send(entry.body, null))) === 'sent') sent++;
    }
    return sent;
  }

  /**
   * One request per batch while bodies are gzipped (each request costs the page a few
   * milliseconds of main thread), split only past MAX_BATCH_CHARS. A body that goes out
   * uncompressed (page hide) is split to the keepalive budget, so that as many segments
   * as possible still travel with keepalive.
   */
  #encode(items: T[]): string[] {
    const body = this.#encodeBatch(items);
    const limit = this.#compress && !this.#pageHidden() ? MAX_BATCH_CHARS : KEEPALIVE_BUDGET_BYTES;
    if (items.length <= 1 || byteLength(body) <= limit) return [body];
    const half = Math.ceil(items.length / 2);
    return [...this.#encode(items.slice(0, half)), ...this.#encode(items.slice(half))];
  }

  #track(p: Promise<SendOutcome>): Promise<SendOutcome> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
    return p;
  }

  #pageHidden(): boolean {
    if (this.#config.isPageHidden) return this.#config.isPageHidden();
    return this.#leaving || (typeof document !== 'undefined' && document.visibilityState === 'hidden');
  }

  /** The gzipped body, or the body as it is if compression fails. */
  async #gzip(body: string): Promise<{ data: string | Uint8Array<ArrayBuffer>; gzip: boolean }> {
    try {
      return { data: await sharedCompressor().gzip(body), gzip: true };
    } catch {
      return { data: body, gzip: false };
    }
  }

  async #send(body: string, persistedId: number | null): Promise<SendOutcome> {
    // The persisted copy stays the uncompressed text; the keepalive budget counts what is sent.
    // At page hide the fetch must start synchronously (the page may be gone after this
    // task), so no await before it: the body goes as it is.
    const wire = this.#compress && !this.#pageHidden() ? await this.#gzip(body) : { data: body, gzip: false };
    const bytes = typeof wire.data === 'string' ? byteLength(wire.data) : wire.data.byteLength;
    let id = persistedId;
    for (let attempt = 0; ; attempt++) {
      const keepalive = this.#keepaliveCount < KEEPALIVE_MAX_IN_FLIGHT && this.#keepaliveBytes + bytes <= KEEPALIVE_BUDGET_BYTES;
      // Without keepalive a request started while the page goes away is likely cancelled:
      // keep the body first, so the next load can send it.
      if (!keepalive && id === null && this.#pageHidden()) id = await this.#store.put(body);
      let status = 0;
      let retryAfter: string | null = null;
      if (keepalive) {
        this.#keepaliveBytes += bytes;
        this.#keepaliveCount++;
      }
      try {
        const response = await this.#post(wire.data, wire.gzip, keepalive);
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        // Drain the body so the connection is reusable; a partial success needs no action.
        await response.text().catch(() => '');
      } catch {
        status = 0; // network error, CORS failure or aborted: retryable
      } finally {
        if (keepalive) {
          this.#keepaliveBytes -= bytes;
          this.#keepaliveCount--;
        }
      }
      if (status >= 200 && status < 300) {
        if (id !== null) await this.#store.remove(id);
        return 'sent';
      }
      if (status !== 0 && !isRetryableStatus(status)) {
        // 400/401/413/415/500: sending it again would fail again (docs/protocol.md §3).
        if (id !== null) await this.#store.remove(id);
        return 'rejected';
      }
      if (id === null) id = await this.#store.put(body);
      if (this.#stopped || attempt + 1 >= this.#maxAttempts || this.#pageHidden()) return id !== null ? 'persisted' : 'lost';
      await sleep(retryDelay(attempt, retryAfter, Date.now(), this.#config.backoff ?? DEFAULT_BACKOFF));
    }
  }

  #post(body: string | Uint8Array<ArrayBuffer>, gzip: boolean, keepalive: boolean): Promise<Response> {
    const doFetch = this.#config.fetch ?? globalThis.fetch.bind(globalThis);
    const headers: Record<string, string> = gzip ? { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' } : { 'Content-Type': 'application/json' };
    return context.with(suppressTracing(context.active()), () => doFetch(this.#config.url, {
      method: 'POST',
      headers: { ...headers, ...this.#config.headers },
      body,
      keepalive,
      credentials: 'omit',
    }));
  }
}

/** Uploads replay segments (and any other log record given to it); see the top of this file. */
export class SegmentExporter extends OtlpJsonExporter<ReadableLogRecord> implements LogRecordExporter {
  constructor(config: SegmentExporterConfig) {
    super(config, encodeLogsRequest);
  }
}

function byteLength(text: string): number {
  // Bodies are JSON of base64 and ASCII ids: UTF-16 length is a close upper bound cheaply.
  let n = text.length;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) n += 2;
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
