// A small client-side router on the History API: links marked `data-link` navigate with
// pushState, the back and forward buttons with popstate, and each route renders into the
// view element. The SDK sees every route change as a page view.

export interface Page {
  title: string;
  /** Renders into `view`; may return a cleanup run when the user leaves the page. */
  render(view: HTMLElement): void | (() => void);
}

export class Router {
  readonly #routes: Record<string, Page>;
  readonly #notFound: Page;
  readonly #view: HTMLElement;
  #cleanup: (() => void) | null = null;

  constructor(routes: Record<string, Page>, notFound: Page, view: HTMLElement) {
    this.#routes = routes;
    this.#notFound = notFound;
    this.#view = view;
  }

  start(): void {
    document.addEventListener('click', (event) => {
      const link = event.target instanceof Element ? event.target.closest('a[data-link]') : null;
      if (!(link instanceof HTMLAnchorElement) || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      this.navigate(link.pathname);
    });
    addEventListener('popstate', () => this.#render());
    this.#render();
  }

  navigate(path: string): void {
    if (path === location.pathname) return;
    history.pushState(null, '', path);
    this.#render();
  }

  #render(): void {
    this.#cleanup?.();
    this.#cleanup = null;
    const page = this.#routes[location.pathname] ?? this.#notFound;
    document.title = `${page.title} · Acme Groceries`;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-link]')) link.classList.toggle('active', link.pathname === location.pathname);
    this.#view.replaceChildren();
    this.#cleanup = page.render(this.#view) ?? null;
  }
}
