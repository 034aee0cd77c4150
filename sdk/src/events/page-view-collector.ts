// Page views: the document load and every SPA route change (history.pushState and
// replaceState, popstate, hashchange), as `browser.page_view` events with `url.full`
// (query scrubbed by default). A change that leaves the scrubbed URL the same (only a
// query changed, or replaceState with the same URL) is not a new page view.

import type { Logger } from '@opentelemetry/api';
import { Attr, EventName } from '@otel-replay/protocol';
import { emitEvent, eventLogger } from './emit.ts';
import type { CollectorContext, EventCollector } from './emit.ts';
import { pageUrl } from './url.ts';

export interface PageViewOptions {
  scrubUrlQuery: boolean;
  /** document.title is page text: sent only when text is not masked. */
  includeTitle: boolean;
}

type HistoryMethod = (data: unknown, unused: string, url?: string | URL | null) => void;

export class PageViewCollector implements EventCollector {
  readonly #logger: Logger;
  readonly #options: PageViewOptions;
  readonly #listeners = new Set<(url: string) => void>();
  #lastUrl: string | null = null;
  #originals: { push: HistoryMethod; replace: HistoryMethod } | null = null;

  constructor(context: CollectorContext, options: PageViewOptions) {
    this.#logger = eventLogger(context.loggerProvider);
    this.#options = options;
  }

  /** Subscribes to route changes (the dead-click detector counts them as a page reaction). */
  onRouteChange(listener: (url: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#originals || typeof history === 'undefined' || typeof location === 'undefined') return;
    const push = history.pushState;
    const replace = history.replaceState;
    this.#originals = { push, replace };
    const self = this;
    history.pushState = function pushState(this: History, ...args: Parameters<HistoryMethod>) {
      push.apply(this, args);
      self.#check();
    };
    history.replaceState = function replaceState(this: History, ...args: Parameters<HistoryMethod>) {
      replace.apply(this, args);
      self.#check();
    };
    addEventListener('popstate', this.#check);
    addEventListener('hashchange', this.#check);
    this.#check();
  }

  stop(): void {
    if (!this.#originals) return;
    // Only undo our patch if nobody wrapped it after us (unwrapping theirs would break them).
    if (history.pushState.name === 'pushState' && history.pushState !== this.#originals.push) history.pushState = this.#originals.push;
    if (history.replaceState.name === 'replaceState' && history.replaceState !== this.#originals.replace) history.replaceState = this.#originals.replace;
    removeEventListener('popstate', this.#check);
    removeEventListener('hashchange', this.#check);
    this.#originals = null;
  }

  readonly #check = (): void => {
    const url = pageUrl(location.href, this.#options.scrubUrlQuery);
    if (url === this.#lastUrl) return;
    this.#lastUrl = url;
    const attributes: Record<string, string> = { [Attr.urlFull]: url };
    if (this.#options.includeTitle && typeof document !== 'undefined' && document.title) attributes[Attr.pageTitle] = document.title;
    emitEvent(this.#logger, EventName.pageView, attributes);
    for (const listener of this.#listeners) listener(url);
  };
}
