// A stand-in for Loki's and Tempo's OTLP/HTTP ingest in tests: POST /otlp/v1/logs answers
// 204 (as Loki does), POST /v1/traces answers 200 with an empty OTLP response (as Tempo
// does). Every request is recorded with its raw and gunzipped body; nothing is decoded.
// It can be told to fail, be slow, stop and start again on the same port.

import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface SinkRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Bytes as received. */
  raw: Buffer;
  /** Gunzipped when Content-Encoding is gzip, else the raw bytes; null when gunzip failed. */
  body: Buffer | null;
  /** The status the sink answered with. */
  status: number;
  receivedAt: number;
}

export interface FailOptions {
  /** Sent as Retry-After (seconds, or an HTTP-date string). */
  retryAfter?: number | string;
  /** Fail only this many requests, then answer normally again. */
  times?: number;
  /** Fail only requests to this path. */
  path?: string;
}

export const LOGS_PATH = '/otlp/v1/logs';
export const TRACES_PATH = '/v1/traces';

export class OtlpSink {
  /** Every request answered, failures included, in arrival order. */
  readonly requests: SinkRequest[] = [];
  private server: Server | null = null;
  private portNumber = 0;
  private failure: (FailOptions & { status: number }) | null = null;
  private delayMs = 0;
  private waiters: (() => void)[] = [];

  /** Starts listening on 127.0.0.1: a free port the first time, the same port afterwards. */
  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts open connections, like a crashed upstream. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get logsUrl(): string {
    return `${this.url}${LOGS_PATH}`;
  }

  get tracesUrl(): string {
    return `${this.url}${TRACES_PATH}`;
  }

  /** Answers `status` (with Retry-After if given) until recover(), or for `times` requests. */
  failWith(status: number, options: FailOptions = {}): void {
    this.failure = { status, ...options };
  }

  recover(): void {
    this.failure = null;
  }

  /** Holds every answer this long (timeouts). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Requests that got a 2xx. */
  accepted(path?: string): SinkRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300 && (path === undefined || r.path === path));
  }

  /** Resolves once `predicate(requests)` holds; rejects after `timeoutMs` with what was seen. */
  waitFor(predicate: (requests: SinkRequest[]) => boolean, timeoutMs: number): Promise<void> {
    if (predicate(this.requests)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.requests)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`otlp sink: condition not met within ${timeoutMs} ms; saw ${this.requests.length} requests (${this.accepted().length} accepted)`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const respond = (): void => this.respond(req, res, Buffer.concat(chunks));
      if (this.delayMs > 0) setTimeout(respond, this.delayMs);
      else respond();
    });
  }

  private respond(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    // The client gave up (timeout) or stop() cut the line: it never sees an answer, so none is recorded.
    if (res.destroyed || req.socket.destroyed) return;
    const path = (req.url ?? '/').split('?')[0]!;
    let body: Buffer | null = raw;
    if (req.headers['content-encoding'] === 'gzip') {
      try {
        body = gunzipSync(raw);
      } catch {
        body = null;
      }
    }
    let status: number;
    const headers: Record<string, string> = {};
    let responseBody: string | Buffer = '';
    const f = this.failure;
    if (f && (f.path === undefined || f.path === path)) {
      status = f.status;
      if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
      headers['content-type'] = 'text/plain';
      responseBody = `sink told to fail with ${status}`;
      if (f.times !== undefined && --f.times <= 0) this.failure = null;
    } else if (req.method !== 'POST') {
      status = 405;
    } else if (path === LOGS_PATH) {
      status = 204;
    } else if (path === TRACES_PATH) {
      status = 200;
      const ct = req.headers['content-type'] ?? '';
      headers['content-type'] = ct === 'application/json' ? 'application/json' : 'application/x-protobuf';
      responseBody = ct === 'application/json' ? '{}' : Buffer.alloc(0);
    } else {
      status = 404;
    }
    // Recorded before answering, so a client that saw the answer finds its request here.
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, raw, body, status, receivedAt: Date.now() });
    for (const w of [...this.waiters]) w();
    res.writeHead(status, headers);
    res.end(responseBody);
  }
}

/** Starts a sink on a free 127.0.0.1 port. */
export async function startOtlpSink(): Promise<OtlpSink> {
  return new OtlpSink().start();
}
