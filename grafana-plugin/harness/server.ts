// The harness's web server on 127.0.0.1: serves the harness page for every app route
// (/a/<plugin id>/...) and for the dashboard panel (/d/panel?...), the harness bundle, and the built plugin under
// /public/plugins/<plugin id>/ as Grafana does. Optionally it forwards Grafana's plugin proxy
// path (/api/plugin-proxy/<plugin id>/receiver/...) to a receiver, streaming like Grafana's
// proxy does; tests can instead answer those requests with page.route.

import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { distDir } from './build.ts';

export const PLUGIN_ID = 'otel-replay-app';
export const RECEIVER_PROXY_PREFIX = `/api/plugin-proxy/${PLUGIN_ID}/receiver/`;
/** The nested panel's module inside the app's dist/, where Grafana serves it from. */
export const PANEL_MODULE = 'panels/replay/module.js';
/** The harness page that renders the panel alone (query: panel options, var-session). */
export const PANEL_PAGE = '/d/panel';

export interface HarnessServerOptions {
  /** Directory with harness.js and harness.css (buildHarness). */
  bundleDir: string;
  /** The app's jsonData as Grafana would hand it to the plugin. */
  jsonData: Record<string, unknown>;
  /** When set, /api/plugin-proxy/<id>/receiver/* is forwarded here (streamed). */
  receiverUrl?: string;
}

export interface HarnessServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.md': 'text/markdown',
};

function page(jsonData: Record<string, unknown>): string {
  const harnessConfig = {
    pluginId: PLUGIN_ID,
    moduleUrl: `/public/plugins/${PLUGIN_ID}/module.js`,
    panelModuleUrl: `/public/plugins/${PLUGIN_ID}/${PANEL_MODULE}`,
    jsonData,
  };
  // What @grafana/runtime's config reads at import; the rest of Grafana's boot data is not needed.
  const bootData = { settings: { appSubUrl: '', buildInfo: { version: '13.1.1' } }, user: { orgId: 1, theme: 'dark', isSignedIn: true }, navTree: [], assets: { dark: '', light: '' } };
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>otel-replay plugin harness</title>
<link rel="stylesheet" href="/harness/harness.css">
<style>html,body{margin:0;background:#111217;color:#ccccdc;font-family:Inter,Helvetica,Arial,sans-serif}#root{padding:16px}</style>
<script>window.grafanaBootData=${json(bootData)};window.harnessConfig=${json(harnessConfig)};</script>
</head><body><div id="root"></div><script src="/harness/harness.js"></script></body></html>`;
}

function sendFile(res: http.ServerResponse, root: string, rel: string): void {
  const file = path.resolve(root, `.${path.posix.normalize(`/${rel}`)}`);
  if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${rel}`);
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
}

async function forward(req: http.IncomingMessage, res: http.ServerResponse, receiverUrl: string, rest: string): Promise<void> {
  try {
    const upstream = await fetch(new URL(`/${rest}`, receiverUrl), { method: req.method ?? 'GET', headers: { accept: req.headers.accept ?? '*/*' } });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) headers[k] = v;
    });
    res.writeHead(upstream.status, headers);
    if (!upstream.body) {
      res.end();
      return;
    }
    Readable.fromWeb(upstream.body).pipe(res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `the harness could not reach the receiver at ${receiverUrl}: ${(err as Error).message}` }));
  }
}

export async function startHarnessServer(options: HarnessServerOptions): Promise<HarnessServer> {
  const html = page(options.jsonData);
  const bundleDir = path.resolve(options.bundleDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = url.pathname;
    if (p.startsWith('/harness/')) return sendFile(res, bundleDir, p.slice('/harness/'.length));
    if (p.startsWith(`/public/plugins/${PLUGIN_ID}/`)) return sendFile(res, distDir, p.slice(`/public/plugins/${PLUGIN_ID}/`.length));
    if (p.startsWith(RECEIVER_PROXY_PREFIX) && options.receiverUrl) {
      void forward(req, res, options.receiverUrl, `${p.slice(RECEIVER_PROXY_PREFIX.length)}${url.search}`);
      return;
    }
    if (p === '/' || p.startsWith('/a/') || p === PANEL_PAGE) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`the harness serves no ${p}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
