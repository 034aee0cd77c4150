// A local HTTP server for the browser benchmarks, on 127.0.0.1 only: serves the test pages
// and scripts from memory and, on the same origin (so no CORS preflights), a do-nothing
// OTLP endpoint — POST /v1/logs, /v1/traces and /sink answer 200 `{}` and record each
// request body's size as it arrived on the wire (and the body itself when asked to).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  /** Body bytes as sent (after any Content-Encoding the page applied). */
  bytes: number;
  contentEncoding: string | null;
  body: Buffer | null;
}

export interface PageServer {
  url: string;
  /** Every POST to /v1/logs, /v1/traces or /sink since the last `reset()`. */
  received: ReceivedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export interface Asset {
  type: 'text/html; charset=utf-8' | 'text/javascript; charset=utf-8';
  body: string;
}

const SINKS = new Set(['/v1/logs', '/v1/traces', '/sink']);
/** A request body bigger than this is refused (413): nothing the benchmarks send comes close. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startPageServer(assets: Record<string, Asset>, options: { keepBodies: boolean }): Promise<PageServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'POST' && SINKS.has(pathname)) {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on('end', () => {
        if (size > MAX_BODY_BYTES) {
          res.writeHead(413, { 'Content-Type': 'application/json' }).end(`{"error":"body of ${size} bytes is over the benchmark sink's ${MAX_BODY_BYTES}"}`);
          return;
        }
        const encoding = req.headers['content-encoding'];
        received.push({ path: pathname, bytes: size, contentEncoding: typeof encoding === 'string' ? encoding : null, body: options.keepBodies ? Buffer.concat(chunks) : null });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
      req.on('error', () => res.destroy());
      return;
    }
    const asset = req.method === 'GET' ? assets[pathname] : undefined;
    if (!asset) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no ${req.method} ${pathname} on the benchmark page server\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-store' }).end(asset.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    reset: () => {
      received.length = 0;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
