// Home: a slow API call (the weekly report takes ~1.5 s on the server) and a button that
// throws, so a session has a long span and an unhandled error to find.

import { api } from '../api.ts';
import { h } from '../dom.ts';
import type { Page } from '../router.ts';

interface Report {
  items: number;
  longestName: string;
  generatedAt: string;
}

export const homePage: Page = {
  title: 'Home',
  render(view) {
    const reportButton = h('button', { id: 'load-report', class: 'primary' }, 'Load weekly report');
    const report = h('div', { id: 'report', class: 'status' });
    const throwButton = h('button', { id: 'throw-error' }, 'Throw an error');
    const thrown = h('p', { id: 'error-status', class: 'status' });

    reportButton.addEventListener('click', async () => {
      reportButton.disabled = true;
      report.className = 'status';
      report.textContent = 'Crunching numbers…';
      try {
        const r = await api<Report>('GET', '/report');
        report.replaceChildren(h('strong', {}, `${r.items} items on the list`), `, the longest is "${r.longestName}".`);
      } catch (err) {
        report.className = 'status error';
        report.textContent = (err as Error).message;
      } finally {
        reportButton.disabled = false;
      }
    });

    throwButton.addEventListener('click', () => {
      thrown.className = 'status error';
      thrown.textContent = 'An error was thrown: it is in the replay and in the session\'s errors.';
      throw new Error('Demo error: the "Throw an error" button was clicked');
    });

    view.append(
      h('h1', {}, 'Welcome to Acme Groceries'),
      h('p', {}, 'A small shop to click around in. This page is recorded with otel-replay: all text and everything you type is masked before it leaves the browser.'),
      h('section', { class: 'card' }, h('h2', {}, 'Weekly report'), h('p', {}, 'A slow API call: the server takes about 1.5 seconds.'), reportButton, report),
      h('section', { class: 'card' }, h('h2', {}, 'Something broken'), h('p', {}, 'An unhandled exception, reported by the SDK.'), throwButton, thrown),
    );
  },
};
