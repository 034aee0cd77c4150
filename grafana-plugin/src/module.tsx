// Entry point Grafana loads for the app, also for extension links (so it stays small):
// registers the pages, the configuration page and the links from Tempo's trace view and
// Loki's log details into the Session page. Everything else is lazy.
import React, { Suspense, lazy } from 'react';
import { AppPlugin, PluginExtensionPoints } from '@grafana/data';
import type { AppRootProps } from '@grafana/data';
import type { AppConfigProps } from './components/AppConfig/AppConfig';
import { Loading } from './components/common/States';
import { PLUGIN_BASE_URL, ROUTES } from './constants';
import { linkFromLogAttributes, linkFromTraceAttributes, linkFromTraceHeader } from './services/links';
import type { LogAttributesContext, TraceAttributesContext, TraceHeaderContext } from './services/links';
import type { AppSettings } from './types';

const LazyApp = lazy(() => import('./components/App/App'));
const LazyAppConfig = lazy(() => import('./components/AppConfig/AppConfig'));

const App = (props: AppRootProps<AppSettings>) => (
  <Suspense fallback={<Loading text="Loading…" />}>
    <LazyApp {...props} />
  </Suspense>
);

const AppConfig = (props: AppConfigProps) => (
  <Suspense fallback={<Loading text="Loading…" />}>
    <LazyAppConfig {...props} />
  </Suspense>
);

const SESSION_BASE = `${PLUGIN_BASE_URL}/${ROUTES.Session}`;

// Titles and targets must match plugin.json's extensions.addedLinks.
export const plugin = new AppPlugin<AppSettings>()
  .setRootPage(App)
  .addConfigPage({ title: 'Configuration', icon: 'cog', body: AppConfig, id: 'configuration' })
  .addLink<TraceAttributesContext>({
    title: 'Replay session',
    description: 'Open the session replay at this span',
    targets: [PluginExtensionPoints.TraceViewResourceAttributes],
    category: 'session.id',
    icon: 'play',
    path: SESSION_BASE,
    configure: linkFromTraceAttributes,
  })
  .addLink<TraceHeaderContext>({
    title: 'Replay session',
    description: 'Open the replay of the browser session this trace belongs to',
    targets: [PluginExtensionPoints.TraceViewHeaderActions],
    icon: 'play',
    path: SESSION_BASE,
    configure: linkFromTraceHeader,
  })
  .addLink<LogAttributesContext>({
    title: 'Replay session',
    description: 'Open the session replay at this log line',
    targets: [PluginExtensionPoints.LogsViewResourceAttributes],
    category: 'session_id',
    icon: 'play',
    path: SESSION_BASE,
    configure: linkFromLogAttributes,
  });
