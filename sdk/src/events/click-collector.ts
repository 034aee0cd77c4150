// Clicks, rage clicks and dead clicks as `browser.click`, `browser.rage_click` and
// `browser.dead_click` events with a CSS selector path. Element text is sent only when
// the element's text is not masked in the recording (maskAllText off, or inside
// unmaskSelector, and never inside blockSelector), so an event never leaks what the
// replay hides.

import type { Logger } from '@opentelemetry/api';
import { Attr, EventName } from '@otel-replay/protocol';
import { emitEvent, eventLogger } from './emit.ts';
import type { CollectorContext, EventCollector } from './emit.ts';
import { RageClickDetector } from './rage.ts';
import type { RageClickOptions } from './rage.ts';
import { selectorPath } from './selector.ts';
import { pageUrl } from './url.ts';
import { matchesUrl } from '../network/url-match.ts';

export const CLICK_TEXT = 'replay.click.text';
const MAX_TEXT = 100;

/** Elements a user expects to do something when clicked (form controls change state without DOM mutations, so they are left out). */
const ACTIONABLE = 'a[href],button,[role="button"],[role="link"],[role="menuitem"],[role="tab"],[onclick],summary,input[type="submit"],input[type="button"]';

export interface ClickOptions {
  maskAllText: boolean;
  unmaskSelector: string | null;
  blockSelector: string | null;
  scrubUrlQuery: boolean;
  rage?: Partial<RageClickOptions>;
  /** How long after a click on an actionable element the page must react (DOM, navigation, network). */
  deadClickMs?: number;
  /** Requests that do not count as a reaction: the SDK's own uploads (see ownEndpointPatterns). */
  ignoreUrls?: (string | RegExp)[];
}

interface ClickInfo {
  attributes: Record<string, string>;
}

export class ClickCollector implements EventCollector {
  readonly #logger: Logger;
  readonly #options: ClickOptions;
  readonly #rage: RageClickDetector<ClickInfo>;
  readonly #deadClickMs: number;
  #rageTimer: ReturnType<typeof setTimeout> | null = null;
  #listening = false;
  /** Pending dead-click checks: each resolves as "reacted" on the first sign of life. */
  readonly #pending = new Set<{ at: number; reacted: boolean }>();
  #observer: MutationObserver | null = null;
  #perfObserver: PerformanceObserver | null = null;

  constructor(context: CollectorContext, options: ClickOptions) {
    this.#logger = eventLogger(context.loggerProvider);
    this.#options = options;
    this.#rage = new RageClickDetector<ClickInfo>(options.rage);
    this.#deadClickMs = options.deadClickMs ?? 1000;
  }

  start(): void {
    if (this.#listening || typeof document === 'undefined') return;
    this.#listening = true;
    document.addEventListener('click', this.#onClick, { capture: true, passive: true });
    addEventListener('pagehide', this.#onNavigation);
    addEventListener('beforeunload', this.#onNavigation);
  }

  stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    document.removeEventListener('click', this.#onClick, { capture: true });
    removeEventListener('pagehide', this.#onNavigation);
    removeEventListener('beforeunload', this.#onNavigation);
    this.#emitRage(this.#rage.flush());
    if (this.#rageTimer) clearTimeout(this.#rageTimer);
    this.#pending.clear();
    this.#unwatch();
  }

  /** A route change counts as the page reacting to a click (wired by init()). */
  notifyNavigation(): void {
    this.#onNavigation();
  }

  readonly #onNavigation = (): void => {
    for (const p of this.#pending) p.reacted = true;
  };

  readonly #onClick = (e: MouseEvent): void => {
    try {
      const target = e.target instanceof Element ? e.target : e.target instanceof Node ? e.target.parentElement : null;
      if (!target) return;
      const actionable = target.closest(ACTIONABLE);
      const element = actionable ?? target;
      const attributes: Record<string, string> = {
        [Attr.clickSelector]: selectorPath(element),
        [Attr.urlFull]: pageUrl(location.href, this.#options.scrubUrlQuery),
      };
      const text = this.#visibleText(element);
      if (text) attributes[CLICK_TEXT] = text;
      emitEvent(this.#logger, EventName.click, attributes);
      const now = Date.now();
      this.#emitRage(this.#rage.add(e.clientX, e.clientY, now, { attributes }));
      if (this.#rageTimer) clearTimeout(this.#rageTimer);
      this.#rageTimer = setTimeout(() => this.#emitRage(this.#rage.flush(Date.now())), (this.#options.rage?.windowMs ?? 1000) + 50);
      if (actionable && !(actionable instanceof HTMLAnchorElement && (actionable.target === '_blank' || actionable.hasAttribute('download')))) this.#watchDeadClick(attributes);
    } catch {
      // A click must never fail because of us.
    }
  };

  #visibleText(element: Element): string | null {
    const o = this.#options;
    if (o.blockSelector && element.closest(o.blockSelector)) return null;
    if (o.maskAllText && !(o.unmaskSelector && element.closest(o.unmaskSelector))) return null;
    if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return null;
    const text = (element.textContent ?? '').replace(/\s+/g, ' ').trim();
    return text ? text.slice(0, MAX_TEXT) : null;
  }

  #emitRage(burst: { count: number; last: ClickInfo } | null): void {
    if (!burst) return;
    emitEvent(this.#logger, EventName.rageClick, { ...burst.last.attributes, [Attr.clickCount]: burst.count });
  }

  #watchDeadClick(attributes: Record<string, string>): void {
    const pending = { at: performance.now(), reacted: false };
    this.#pending.add(pending);
    this.#watch();
    setTimeout(() => {
      if (!this.#pending.delete(pending)) return;
      if (!pending.reacted) emitEvent(this.#logger, EventName.deadClick, attributes);
      if (this.#pending.size === 0) this.#unwatch();
    }, this.#deadClickMs);
  }

  /** Observers run only while a dead-click check is pending, so idle pages pay nothing. */
  #watch(): void {
    if (!this.#observer && typeof MutationObserver !== 'undefined') {
      this.#observer = new MutationObserver(() => this.#onNavigation());
      this.#observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    }
    if (!this.#perfObserver && typeof PerformanceObserver !== 'undefined') {
      try {
        this.#perfObserver = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) {
            if (matchesUrl(entry.name, this.#options.ignoreUrls ?? [])) continue;
            for (const p of this.#pending) if (entry.startTime >= p.at) p.reacted = true;
          }
        });
        this.#perfObserver.observe({ type: 'resource', buffered: false });
      } catch {
        this.#perfObserver = null;
      }
    }
  }

  #unwatch(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    this.#perfObserver?.disconnect();
    this.#perfObserver = null;
  }
}
