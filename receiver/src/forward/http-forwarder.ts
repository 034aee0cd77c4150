// Forwards queued OTLP payloads to Loki (logs) and Tempo (traces), or to any OTLP/HTTP
// upstream. enqueue() only appends to the durable disk queue; one delivery loop per
// signal sends the oldest payload, waits out failures with backoff, and acknowledges it
// once the upstream said 2xx (or refused it for good), so order holds per signal and an
// outage of one upstream does not hold back the other.

import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { ReceiverConfig } from '../config.ts';
import { DiskQueue } from './disk-queue.ts';
import type { QueueLog, QueuedRecord } from './disk-queue.ts';
import type { ForwardPayload, Forwarder, Signal } from './forwarder.ts';
import { classifyStatus, parseRetryAfter, retryDelayMs, SERVER_ERROR_ATTEMPTS } from './retry-policy.ts';

export type ForwardConfig = ReceiverConfig['forward'];
export type ForwardLog = QueueLog;

export interface HttpForwarderTuning {
  /** Passed to the disk queue (tests use small segments). */
  segmentBytes?: number;
  flushDelayMs?: number;
}

const gzip = promisify(gzipCallback);
const SIGNALS: readonly Signal[] = ['logs', 'traces'];
/** Headers the forwarder sets itself or that HTTP/fetch owns; configuring them would break requests. */
const RESERVED_HEADERS = new Set(['content-type', 'content-encoding', 'content-length', 'transfer-encoding', 'connection', 'host', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);
const MAX_LOGGED_BODY = 300;

const silentLog: ForwardLog = { info() {}, warn() {}, error() {} };

interface WirePayload {
  contentType: ForwardPayload['contentType'];
  tenant: string;
  body: Uint8Array;
}

interface SendResult {
  /** null when no HTTP answer came (connection error, timeout, abort). */
  status: number | null;
  retryAfterMs: number | null;
  detail: string;
}

function validHeaders(headers: Record<string, string>): Headers {
  let h: Headers;
  try {
    h = new Headers(headers);
  } catch (err) {
    throw new TypeError(`forward.headers holds an invalid header name or value: ${(err as Error).message}`);
  }
  for (const name of h.keys()) {
    if (RESERVED_HEADERS.has(name)) throw new TypeError(`forward.headers sets ${name}, which the forwarder controls; remove it from the configuration`);
  }
  return h;
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${err.message}: ${code ? `${code} ` : ''}${cause.message}`;
  }
  return err.message;
}

function printable(text: string): string {
  const t = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return t.length > MAX_LOGGED_BODY ? `${t.slice(0, MAX_LOGGED_BODY)}...` : t;
}

export class HttpForwarder implements Forwarder {
  private readonly config: ForwardConfig;
  private readonly queue: DiskQueue;
  private readonly log: ForwardLog;
  private readonly urls: Record<Signal, string | null>;
  private readonly baseHeaders: Headers;
  private readonly stop = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private closing = false;
  private delivered = 0;
  private failedAttempts = 0;
  private dropped = 0;

  /** Opens the disk queue under config.queue.dir and starts delivering. */
  static async open(config: ForwardConfig, log: ForwardLog = silentLog, tuning: HttpForwarderTuning = {}): Promise<HttpForwarder> {
    const urls: Record<Signal, string | null> = { logs: config.logsUrl, traces: config.tracesUrl };
    for (const signal of SIGNALS) {
      const url = urls[signal];
      if (url !== null && !URL.canParse(url)) throw new TypeError(`forward.${signal}Url is not a valid URL: ${JSON.stringify(url)}`);
    }
    validHeaders(config.headers);
    const queue = await DiskQueue.open({ dir: config.queue.dir, maxBytes: config.queue.maxBytes, log, ...tuning });
    return new HttpForwarder(config, queue, log);
  }

  private constructor(config: ForwardConfig, queue: DiskQueue, log: ForwardLog) {
    this.config = config;
    this.queue = queue;
    this.log = log;
    this.urls = { logs: config.logsUrl, traces: config.tracesUrl };
    this.baseHeaders = validHeaders(config.headers);
    for (const signal of SIGNALS) {
      const url = this.urls[signal];
      if (url === null) this.loops.push(this.discard(signal));
      else this.loops.push(this.deliverLoop(signal, url));
    }
  }

  enabled(signal: Signal): boolean {
    return (signal === 'logs' || signal === 'traces') && this.urls[signal] !== null;
  }

  async enqueue(payload: ForwardPayload): Promise<void> {
    if (this.closing) throw new Error('forwarder is closed; cannot queue more payloads');
    const signal = payload?.signal;
    if (signal !== 'logs' && signal !== 'traces') throw new TypeError(`forward payload signal must be logs or traces, got ${JSON.stringify(signal)}`);
    if (!this.enabled(signal)) throw new Error(`no forward target is configured for ${signal} (forward.${signal}Url is null); check enabled() before enqueue()`);
    if (this.config.tenantHeader && (typeof payload.tenant !== 'string' || !/^[\x21-\x7e]{1,150}$/.test(payload.tenant))) {
      throw new TypeError(`forward payload tenant ${JSON.stringify(payload.tenant)} cannot be sent as X-Scope-OrgID (1-150 visible ASCII characters)`);
    }
    await this.queue.append(payload);
  }

  stats(): { queuedPayloads: number; queuedBytes: number; delivered: number; failedAttempts: number; dropped: number } {
    const q = this.queue.stats();
    return { queuedPayloads: q.payloads, queuedBytes: q.bytes, delivered: this.delivered, failedAttempts: this.failedAttempts, dropped: this.dropped };
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.queue.whenEmpty(timeoutMs);
  }

  /** Stops delivery (an in-flight request is aborted and sent again next time) and closes the queue, which stays on disk. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stop.abort();
    await Promise.all(this.loops);
    await this.queue.close();
  }

  /**
   * Records queued for a signal that no longer has a target (the configuration changed
   * since they were queued) can never be sent; keeping them would only eat the cap.
   */
  private async discard(signal: Signal): Promise<void> {
    let n = 0;
    for (let r = this.queue.head(signal); r && !this.closing; r = this.queue.head(signal)) {
      await this.queue.ack(r);
      n++;
    }
    if (n > 0) {
      this.dropped += n;
      this.log.warn(`forward: dropped ${n} queued ${signal} payloads because forward.${signal}Url is no longer set`);
    }
  }

  private async deliverLoop(signal: Signal, url: string): Promise<void> {
    let current: QueuedRecord | undefined;
    let wire: WirePayload | null = null;
    let failures = 0;
    while (!this.closing) {
      const record = this.queue.head(signal);
      if (!record) {
        await this.queue.waitForRecord(signal, this.stop.signal);
        continue;
      }
      if (record !== current) {
        current = record;
        wire = null;
      }
      if (!wire) {
        try {
          wire = await this.prepare(record);
        } catch (err) {
          if (this.closing) return;
          this.log.error(`forward ${signal}: dropping a queued payload that cannot be read: ${(err as Error).message}`);
          this.dropped++;
          await this.queue.ack(record);
          continue;
        }
      }
      const result = await this.send(url, wire);
      const outcome = result.status === null ? 'retry' : classifyStatus(result.status);
      if (outcome === 'delivered') {
        if (failures > 0) this.log.info(`forward ${signal} to ${url}: delivering again after ${failures} failed attempts`);
        failures = 0;
        this.delivered++;
        await this.queue.ack(record);
        continue;
      }
      if (this.closing) return; // aborted by close(): the payload stays queued
      this.failedAttempts++;
      failures++;
      const what = result.status === null ? result.detail : `HTTP ${result.status}${result.detail ? ` ${result.detail}` : ''}`;
      if (outcome === 'permanent' || (outcome === 'retry-limited' && failures >= SERVER_ERROR_ATTEMPTS)) {
        this.dropped++;
        this.log.error(
          `forward ${signal} to ${url}: upstream refused a payload of ${record.bytes} bytes (tenant ${wire.tenant}) with ${what}; dropped it` +
            (outcome === 'permanent' ? ' (not retryable)' : ` after ${failures} attempts`),
        );
        failures = 0;
        await this.queue.ack(record);
        continue;
      }
      const delay = retryDelayMs(failures - 1, this.config.retry, result.retryAfterMs);
      this.log.warn(`forward ${signal} to ${url}: attempt ${failures} failed (${what}); retrying in ${delay} ms, ${this.queue.stats().bySignal[signal].payloads} ${signal} payloads queued`);
      try {
        await sleep(delay, undefined, { signal: this.stop.signal });
      } catch {
        return; // close() during the wait
      }
    }
  }

  private async prepare(record: QueuedRecord): Promise<WirePayload> {
    const payload = await this.queue.read(record);
    // Level 1: forwarding sits on the ingest path of a small box; speed beats ratio here.
    const body = this.config.gzip ? await gzip(payload.body, { level: 1 }) : payload.body;
    return { contentType: payload.contentType, tenant: payload.tenant, body };
  }

  private async send(url: string, wire: WirePayload): Promise<SendResult> {
    const headers = new Headers(this.baseHeaders);
    // Exactly the media type, no parameters: Loki compares Content-Type as a string.
    headers.set('content-type', wire.contentType);
    if (this.config.gzip) headers.set('content-encoding', 'gzip');
    if (this.config.tenantHeader) headers.set('x-scope-orgid', wire.tenant);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: wire.body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeoutMs), this.stop.signal]),
      });
      if (res.ok) {
        // Read the (empty) answer so the connection can be reused; the data is in either way.
        await res.arrayBuffer().catch(() => {});
        return { status: res.status, retryAfterMs: null, detail: '' };
      }
      const text = await res.text().catch(() => '');
      return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')), detail: printable(text) };
    } catch (err) {
      return { status: null, retryAfterMs: null, detail: describeFetchError(err) };
    }
  }
}
