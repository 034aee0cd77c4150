// The harness page's script (bundled by harness/build.ts, never by the plugin's webpack):
// it plays Grafana's part for the built plugin. It provides the shared modules Grafana
// gives plugins (React, react-router, @grafana/{ui,data,runtime}, @emotion/css, rxjs) as AMD
// modules so dist/module.js loads unchanged, backs @grafana/runtime's backend service with
// plain fetch (so the only stub is at the network boundary), and renders the app plugin's
// root inside a router the way Grafana mounts an app at /a/<plugin id>/*, or, on /d/panel,
// the nested dashboard panel alone with the options and variables of the page's query.
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import type { AppPlugin, AppPluginMeta, KeyValue, PanelPlugin, PanelProps } from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as reactRouter from 'react-router';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import * as rxjs from 'rxjs';

interface HarnessConfig {
  pluginId: string;
  /** URL of the built plugin's module.js; its directory is the plugin's public path. */
  moduleUrl: string;
  /** URL of the nested panel's module.js (dist/panels/replay/module.js). */
  panelModuleUrl: string;
  jsonData: KeyValue;
}

declare global {
  interface Window {
    harnessConfig: HarnessConfig;
    /** Set when the app has been rendered, or why it could not be. */
    harnessState?: { mounted: boolean; error?: string };
    define?: AmdDefine;
  }
}

type AmdDefine = ((deps: string[], factory: (...mods: unknown[]) => unknown) => void) & { amd: object };

const config = window.harnessConfig;

const shared: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  react: React,
  'react-dom': ReactDOM,
  'react-router': reactRouter,
  rxjs,
};

/** Grafana's BackendSrv reduced to what plugins call: real HTTP requests, same origin. */
function backendSrv(): BackendSrv {
  const fetchObservable = <T,>(options: BackendSrvRequest) =>
    rxjs.defer(async (): Promise<FetchResponse<T>> => {
      const url = new URL(options.url, window.location.origin);
      for (const [k, v] of Object.entries(options.params ?? {})) {
        url.searchParams.set(k, String(v));
      }
      const res = await fetch(url, {
        method: options.method ?? 'GET',
        headers: options.headers,
        body: options.data === undefined ? undefined : JSON.stringify(options.data),
      });
      const text = await res.text();
      let data: unknown = text;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: callers get the text, as Grafana's BackendSrv does.
      }
      const response = {
        data: data as T,
        status: res.status,
        statusText: res.statusText,
        ok: res.ok,
        headers: res.headers,
        redirected: res.redirected,
        type: res.type,
        url: res.url,
        config: options,
      };
      if (!res.ok) {
        throw response;
      }
      return response;
    });
  const request = <T,>(options: BackendSrvRequest) => rxjs.lastValueFrom(fetchObservable<T>(options)).then((r) => r.data);
  const srv = {
    fetch: fetchObservable,
    datasourceRequest: <T,>(options: BackendSrvRequest) => rxjs.lastValueFrom(fetchObservable<T>(options)),
    request,
    get: (url: string, params?: Record<string, unknown>) => request({ url, params, method: 'GET' }),
    delete: (url: string) => request({ url, method: 'DELETE' }),
    post: (url: string, data?: unknown) => request({ url, data, method: 'POST' }),
    patch: (url: string, data?: unknown) => request({ url, data, method: 'PATCH' }),
    put: (url: string, data?: unknown) => request({ url, data, method: 'PUT' }),
    resolveCancelerIfExists: () => {},
  };
  return srv as unknown as BackendSrv;
}

/** A minimal AMD `define` for the one module Grafana's SystemJS would load. */
function loadPluginModule(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const define = ((deps: string[], factory: (...mods: unknown[]) => unknown) => {
      try {
        const mods = deps.map((d) => {
          if (d === 'module') {
            return { uri: url };
          }
          if (!(d in shared)) {
            throw new Error(`the plugin asks for module ${d}, which the harness does not provide; add it to harness/entry.tsx`);
          }
          return shared[d];
        });
        resolve(factory(...mods) as Record<string, unknown>);
      } catch (err) {
        reject(err);
      }
    }) as AmdDefine;
    define.amd = {};
    window.define = define;
    const script = document.createElement('script');
    script.src = url;
    script.onerror = () => reject(new Error(`could not load the plugin module ${url}; is dist/ built?`));
    document.head.appendChild(script);
  });
}

/**
 * The panel as a dashboard renders it: options from the query (`mode`, `sessionId`,
 * `limit`, `errorsOnly`), dashboard variables from `var-<name>`, the last 24 hours.
 */
async function mountPanel() {
  const exports = await loadPluginModule(config.panelModuleUrl);
  const plugin = exports.plugin as PanelPlugin | undefined;
  if (!plugin?.panel) {
    throw new Error(`${config.panelModuleUrl} exports no panel plugin`);
  }
  const Panel = plugin.panel;
  const q = new URLSearchParams(window.location.search);
  const options = {
    mode: q.get('mode') ?? 'recent',
    sessionId: q.get('sessionId') ?? '$session',
    limit: Number(q.get('limit') ?? 10),
    errorsOnly: q.get('errorsOnly') === 'true',
  };
  const replaceVariables = (s: string) => s.replace(/\$(\w+)/g, (m, name: string) => q.get(`var-${name}`) ?? m);
  const now = Date.now();
  const timeRange = {
    from: grafanaData.dateTime(now - 24 * 3600_000),
    to: grafanaData.dateTime(now),
    raw: { from: 'now-24h', to: 'now' },
  };
  const props = { id: 1, options, timeRange, width: 900, height: 560, replaceVariables } as unknown as PanelProps;
  const root = createRoot(document.getElementById('root')!);
  root.render(
    <grafanaUi.ThemeContext.Provider value={grafanaRuntime.config.theme2}>
      <BrowserRouter>
        <Panel {...props} />
      </BrowserRouter>
    </grafanaUi.ThemeContext.Provider>
  );
  window.harnessState = { mounted: true };
}

async function main() {
  grafanaRuntime.setBackendSrv(backendSrv());
  if (window.location.pathname === '/d/panel') {
    return mountPanel();
  }
  const exports = await loadPluginModule(config.moduleUrl);
  const plugin = exports.plugin as AppPlugin | undefined;
  if (!plugin?.root) {
    throw new Error(`${config.moduleUrl} exports no app plugin with a root page`);
  }
  const Root = plugin.root;
  const base = `/a/${config.pluginId}`;
  const meta = {
    id: config.pluginId,
    name: config.pluginId,
    type: grafanaData.PluginType.app,
    enabled: true,
    jsonData: config.jsonData,
    info: { logos: { small: '', large: '' } },
    module: config.moduleUrl,
    baseUrl: config.moduleUrl.slice(0, config.moduleUrl.lastIndexOf('/')),
  } as unknown as AppPluginMeta;
  plugin.meta = meta;
  const root = createRoot(document.getElementById('root')!);
  root.render(
    <grafanaUi.ThemeContext.Provider value={grafanaRuntime.config.theme2}>
      <BrowserRouter>
        <Routes>
          <Route
            path={`${base}/*`}
            element={<Root meta={meta} basename={base} path={base} query={{}} onNavChanged={() => {}} />}
          />
        </Routes>
      </BrowserRouter>
    </grafanaUi.ThemeContext.Provider>
  );
  window.harnessState = { mounted: true };
}

main().catch((err: Error) => {
  window.harnessState = { mounted: false, error: err.message };
  console.error(err);
});
