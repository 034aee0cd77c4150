// The demo app's entry: starts the otel-replay SDK with the settings the server wrote into
// the page, then the router. The footer shows this session's id and where to watch it.

import { h } from './dom.ts';
import { contactPage } from './pages/contact.ts';
import { homePage } from './pages/home.ts';
import { itemsPage } from './pages/items.ts';
import { Router } from './router.ts';
import type { Page } from './router.ts';
import { otelReplay } from './sdk.ts';
import { reload, subscribe } from './store.ts';

interface Settings {
  endpoint: string;
  writeKey: string | null;
  serviceName: string;
  grafanaUrl: string | null;
}

const settings = JSON.parse(document.getElementById('demo-settings')?.textContent ?? '{}') as Settings;

// Same-origin requests (our /api) always get `traceparent`; no other origin is listed.
const replay = otelReplay()?.init({
  endpoint: settings.endpoint,
  writeKey: settings.writeKey,
  serviceName: settings.serviceName,
  serviceVersion: '0.1.0',
  environment: 'demo',
});
if (!replay) console.warn('otel-replay demo: the SDK script (/sdk/otel-replay.iife.js) did not load; the page is not recorded');

const notFound: Page = {
  title: 'Not found',
  render(view) {
    view.append(h('h1', {}, 'Page not found'), h('p', {}, 'Pick a page above.'));
  },
};

const view = document.getElementById('view')!;
new Router({ '/': homePage, '/items': itemsPage, '/contact': contactPage }, notFound, view).start();

// The count in the navigation follows every change of the list, on every page.
const count = document.getElementById('item-count')!;
subscribe((items) => { count.textContent = String(items.length); });
reload().catch((err: Error) => console.warn('could not load the shopping list:', err.message));

const footer = document.getElementById('session')!;
if (replay) {
  const id = replay.getSessionId();
  const exportUrl = `${settings.endpoint}/api/v1/sessions/${encodeURIComponent(id)}/export.html`;
  const watch = h('a', { href: exportUrl, target: '_blank', rel: 'noopener', id: 'watch-export' }, 'download its replay (HTML)');
  // Send what is pending first, so the replay includes the last few seconds.
  watch.addEventListener('click', (event) => {
    event.preventDefault();
    void replay.flush().finally(() => open(exportUrl, '_blank', 'noopener'));
  });
  footer.append(`Session ${id} · `, watch);
  if (settings.grafanaUrl) footer.append(' · ', h('a', { href: replay.getSessionUrl(settings.grafanaUrl), target: '_blank', rel: 'noopener' }, 'watch in Grafana'));
}
