// The demo's HTTP server (plain node:http): the app's pages (one HTML shell for every
// client-side route, with the SDK settings written into it), its script and stylesheet,
// the SDK's script-tag build, and the JSON API under /api, each API request traced as a
// SERVER span in the browser's trace.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoApi } from './api.ts';
import type { ApiAnswer } from './api.ts';
import { loadAssets } from './assets.ts';
import type { DemoAssets } from './assets.ts';
import type { DemoConfig } from './config.ts';
import { createBackendTracing } from './tracing.ts';
import type { BackendTracing } from './tracing.ts';

/** Client-side routes (web/router.ts has the same list): each serves the app shell. */
export const PAGE_ROUTES = ['/', '/items', '/contact'];
export const MAX_BODY_BYTES = 16 * 1024;

export interface RunningDemo {
  url: string;
  config: DemoConfig;
  /** Exports the backend's pending spans now. */
  flushTelemetry(): Promise<void>;
  close(): Promise<void>;
}

/** What the page's init() call gets (web/main.ts reads it from the shell). */
export function pageSettings(config: DemoConfig): Record<string, unknown> {
  return {
    endpoint: config.browserEndpoint,
    writeKey: config.writeKey,
    serviceName: config.serviceName,
    grafanaUrl: config.grafanaUrl,
  };
}

function shell(assets: DemoAssets, config: DemoConfig): string {
  // JSON inside <script> must not be able to close the tag.
  const json = JSON.stringify(pageSettings(config)).replace(/</g, '\\u003c');
  return assets.indexHtml.replace('__DEMO_SETTINGS__', json);
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/json') throw new HttpError(415, `request body must be application/json, got ${JSON.stringify(type || 'no content type')}`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

async function handleApi(api: DemoApi, tracing: BackendTracing, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  const matched = api.match(method, path.slice('/api'.length));
  const route = 'route' in matched ? matched.route.route : '/api/*';
  const { span, context } = tracing.startRequestSpan(req, route);
  let answer: ApiAnswer;
  try {
    if ('error' in matched) {
      answer = matched.error === 404
        ? { status: 404, body: { error: `no API route ${path}` } }
        : { status: 405, body: { error: `${method} is not allowed on ${path}` } };
    } else {
      answer = await matched.route.handle({ method, path: path.slice('/api'.length), body: await readJson(req), context });
    }
  } catch (err) {
    if (err instanceof HttpError) answer = { status: err.status, body: { error: err.message } };
    else {
      span.recordException(err as Error);
      answer = { status: 500, body: { error: 'internal error' } };
    }
  }
  tracing.finishRequestSpan(span, res, answer.status);
  if (answer.body === undefined) {
    res.writeHead(answer.status, { 'Cache-Control': 'no-store' }).end();
    return;
  }
  send(res, answer.status, 'application/json', JSON.stringify(answer.body));
}

export async function startDemo(config: DemoConfig, log: (line: string) => void = () => {}): Promise<RunningDemo> {
  const assets = await loadAssets(log);
  const tracing = createBackendTracing({ tracesUrl: config.tracesUrl, serviceName: config.backendServiceName, writeKey: config.writeKey });
  const api = new DemoApi(tracing.tracer);
  const page = shell(assets, config);

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    if (path.startsWith('/api/')) {
      handleApi(api, tracing, req, res, path).catch(() => res.destroy());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET here; the API is under /api\n');
    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', assets.appScript);
    if (path === '/style.css') return send(res, 200, 'text/css; charset=utf-8', assets.stylesheet);
    if (path === '/sdk/otel-replay.iife.js') return send(res, 200, 'text/javascript; charset=utf-8', assets.sdkScript);
    // Unknown paths get the shell too, so the app's own "not found" page shows, but with a 404.
    send(res, PAGE_ROUTES.includes(path) ? 200 : 404, 'text/html; charset=utf-8', page);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    config,
    flushTelemetry: () => tracing.flush(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await tracing.shutdown();
    },
  };
}
