// Shared harness for the sdk's Chromium tests: builds dist/ (once per process), starts a
// real receiver, a page server that serves the script-tag build and a test app, and two
// "backend" origins (one configured for trace propagation, one not) that record the
// headers they receive. Everything listens on 127.0.0.1 only.

import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page, Request } from 'playwright-core';
import { buildSdk } from '../../build.ts';

const sdkDir = path.resolve(import.meta.dirname, '..', '..');
let built: Promise<unknown> | null = null;

export function buildOnce(): Promise<unknown> {
  built ??= buildSdk();
  return built;
}

export interface Http {
  url: string;
  seen: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('test server has no port');
  return `http://127.0.0.1:${addr.port}`;
}

function closer(server: Server): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export const BACKEND_TRACE = '0af7651916cd43dd8448eb211c80319c';
export const BACKEND_SPAN = 'b7ad6b7169203331';

/** An API origin: CORS for `allowOrigin`, traceparent allowed, Server-Timing exposed. */
export async function startBackend(allowOrigin: () => string): Promise<Http> {
  const seen: Http['seen'] = [];
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', allowOrigin());
    res.setHeader('Access-Control-Allow-Headers', 'traceparent, tracestate, content-type');
    res.setHeader('Access-Control-Expose-Headers', 'Server-Timing');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.setHeader('Server-Timing', `db;dur=3, traceparent;desc="00-${BACKEND_TRACE}-${BACKEND_SPAN}-01"`);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ ok: true }));
  });
  const url = await listen(server);
  return { url, seen, close: closer(server) };
}

export const SECRET_TEXT = 'SECRET-TEXT-4711';
export const SECRET_INPUT = 'typed-secret-0815';

function appHtml(config: unknown): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop ${SECRET_TEXT}</title></head>
<body>
<main id="app">
  <h1>Hello ${SECRET_TEXT}</h1>
  <button id="rage">Pay ${SECRET_TEXT}</button>
  <button id="dead">Nothing happens</button>
  <button id="alive" onclick="document.getElementById('out').textContent = 'clicked ' + Date.now()">Something happens</button>
  <div id="out"></div>
  <input id="name" placeholder="${SECRET_TEXT}">
</main>
<script src="/dist/otel-replay.iife.js"></script>
<script>window.handle = OtelReplay.init(${JSON.stringify(config)});</script>
</body></html>`;
}

/** Serves /dist/* from sdk/dist and /app?cfg=<base64 JSON> as the instrumented test app. */
export async function startPageServer(): Promise<Http> {
  const seen: Http['seen'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, headers: req.headers });
    if (url.pathname.startsWith('/dist/')) {
      const file = path.join(sdkDir, 'dist', path.normalize(url.pathname.slice('/dist/'.length)).replace(/^(\.\.[/\\])+/, ''));
      try {
        res.writeHead(200, { 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'application/json' }).end(readFileSync(file));
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    if (url.pathname.startsWith('/app')) {
      const cfg = JSON.parse(Buffer.from(url.searchParams.get('cfg') ?? 'e30=', 'base64').toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(appHtml(cfg));
      return;
    }
    res.writeHead(404).end();
  });
  const url = await listen(server);
  return { url, seen, close: closer(server) };
}

export function appUrl(pageServer: string, config: unknown, pathAndQuery = '/app'): string {
  const sep = pathAndQuery.includes('?') ? '&' : '?';
  return `${pageServer}${pathAndQuery}${sep}cfg=${Buffer.from(JSON.stringify(config)).toString('base64')}`;
}

// ---- OTLP/JSON decoding of what the page sent ----

export type Attrs = Record<string, unknown>;

function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('bytesValue' in v) return Buffer.from(String(v.bytesValue), 'base64');
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(anyValue);
  return v;
}

function attrs(list: { key: string; value: Record<string, unknown> }[] | undefined): Attrs {
  const out: Attrs = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

export interface LogRec {
  eventName: string;
  attributes: Attrs;
  resource: Attrs;
  body: unknown;
}

export interface SpanRec {
  name: string;
  traceId: string;
  spanId: string;
  attributes: Attrs;
}

export interface Capture {
  logs: LogRec[];
  spans: SpanRec[];
  /** Every request body to the receiver, segment bodies inflated, as text. */
  rawBodies: string[];
  requestUrls: string[];
}

/** Records every OTLP request the page makes to `receiverUrl`, decoded. */
export function captureOtlp(page: Page, receiverUrl: string, capture: Capture = { logs: [], spans: [], rawBodies: [], requestUrls: [] }): Capture {
  page.on('request', (req: Request) => {
    if (!req.url().startsWith(receiverUrl)) return;
    const sent = req.postDataBuffer();
    if (!sent) return;
    // The SDK gzips whole request bodies (Content-Encoding: gzip) except at page hide.
    const buf = req.headers()['content-encoding'] === 'gzip' ? gunzipSync(sent) : sent;
    capture.requestUrls.push(req.url());
    const text = buf.toString('utf8');
    let raw = text;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      capture.rawBodies.push(raw);
      return;
    }
    for (const rl of (json.resourceLogs as Record<string, unknown>[] | undefined) ?? []) {
      const resource = attrs((rl.resource as { attributes?: never })?.attributes);
      for (const sl of (rl.scopeLogs as Record<string, unknown>[]) ?? []) {
        for (const r of (sl.logRecords as Record<string, unknown>[]) ?? []) {
          let body = anyValue(r.body as Record<string, unknown>);
          if (Buffer.isBuffer(body) && body[0] === 0x1f && body[1] === 0x8b) {
            body = gunzipSync(body).toString('utf8');
            raw += `\n${body as string}`;
          }
          capture.logs.push({ eventName: String(r.eventName ?? ''), attributes: attrs(r.attributes as never), resource, body });
        }
      }
    }
    for (const rs of (json.resourceSpans as Record<string, unknown>[] | undefined) ?? []) {
      for (const ss of (rs.scopeSpans as Record<string, unknown>[]) ?? []) {
        for (const s of (ss.spans as Record<string, unknown>[]) ?? []) {
          capture.spans.push({ name: String(s.name), traceId: String(s.traceId), spanId: String(s.spanId), attributes: attrs(s.attributes as never) });
        }
      }
    }
    capture.rawBodies.push(raw);
  });
  return capture;
}

/** Polls `check` until it returns true (bounded), so tests wait for batches without fixed sleeps. */
export async function waitFor(what: string | (() => string), check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
