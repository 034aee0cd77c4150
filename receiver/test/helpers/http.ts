// Plain node:http calls for tests that must see bytes exactly as the server sent them
// (fetch would inflate Content-Encoding: gzip), plus a free-port finder for child
// processes that need a fixed port across restarts.

import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received, never decompressed. */
  body: Buffer;
}

/** Statuses used when no HTTP answer came at all (the server is gone or hung). */
export const NO_ANSWER = 0;

export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * POSTs an OTLP/JSON body. A connection error or timeout resolves with status 0 rather
 * than rejecting, because load tests count it like any other unacknowledged answer.
 */
export async function postJson(url: string, body: object | string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<RawResponse & { error?: string }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    return await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(options.headers ?? {}) }, body: text, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  } catch (err) {
    return { status: NO_ANSWER, headers: {}, body: Buffer.alloc(0), error: (err as Error).message };
  }
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T; headers: IncomingHttpHeaders }> {
  const res = await request(url, { headers: { accept: 'application/json' } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new Error(`GET ${url} answered ${res.status} with a body that is not JSON: ${res.body.toString('utf8').slice(0, 200)}`);
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `intervalMs` until it returns true; rejects with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
