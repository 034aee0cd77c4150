// The demo's JSON API under /api: a shopping list kept in memory (list, add, remove), a
// slow report (~1.5 s), a checkout that always fails with HTTP 500, and a contact form.
// Handlers know nothing of HTTP plumbing: they take the parsed request and return a
// status and a body; server.ts traces and writes them.

import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Tracer } from '@opentelemetry/api';

export interface Item {
  id: number;
  name: string;
}

export interface ApiRequest {
  method: string;
  /** Path below /api, e.g. "/items/3". */
  path: string;
  /** Parsed JSON body (undefined when there was none). */
  body: unknown;
  /** Trace context of the request's SERVER span, for child spans. */
  context: Context;
}

export interface ApiAnswer {
  status: number;
  body?: unknown;
}

export interface ApiRoute {
  /** Low-cardinality route name for span names, e.g. "/api/items/:id". */
  route: string;
  handle(request: ApiRequest): Promise<ApiAnswer>;
}

export const REPORT_DELAY_MS = 1500;
export const MAX_ITEMS = 50;
export const MAX_NAME = 80;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function field(body: unknown, name: string, max: number): string | ApiAnswer {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string' || value.trim() === '') return { status: 400, body: { error: `"${name}" is required: send a JSON object with a non-empty string "${name}"` } };
  if (value.length > max) return { status: 400, body: { error: `"${name}" is too long: at most ${max} characters` } };
  return value.trim();
}

export class DemoApi {
  readonly #tracer: Tracer;
  #items: Item[] = [];
  #nextId = 1;
  #tickets = 0;

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
    for (const name of ['Apples', 'Bread', 'Coffee beans']) this.#add(name);
  }

  #add(name: string): Item {
    const item = { id: this.#nextId++, name };
    this.#items.push(item);
    return item;
  }

  /** The route for a method and a path below /api, or which error answers it. */
  match(method: string, path: string): { route: ApiRoute } | { error: 404 | 405 } {
    const itemId = /^\/items\/(\d{1,9})$/.exec(path);
    const routes: Record<string, Record<string, ApiRoute> | undefined> = {
      '/items': {
        GET: { route: '/api/items', handle: async () => ({ status: 200, body: { items: this.#items } }) },
        POST: { route: '/api/items', handle: async (r) => this.#create(r) },
      },
      '/report': { GET: { route: '/api/report', handle: async (r) => this.#report(r) } },
      '/checkout': { POST: { route: '/api/checkout', handle: async (r) => this.#checkout(r) } },
      '/contact': { POST: { route: '/api/contact', handle: async (r) => this.#contact(r) } },
    };
    const byMethod = itemId
      ? { DELETE: { route: '/api/items/:id', handle: async () => this.#remove(Number(itemId[1])) } }
      : routes[path];
    if (!byMethod) return { error: 404 };
    const route = byMethod[method];
    return route ? { route } : { error: 405 };
  }

  async #create(request: ApiRequest): Promise<ApiAnswer> {
    const name = field(request.body, 'name', MAX_NAME);
    if (typeof name !== 'string') return name;
    if (this.#items.length >= MAX_ITEMS) return { status: 409, body: { error: `the list is full (${MAX_ITEMS} items): remove one first` } };
    return { status: 201, body: this.#add(name) };
  }

  async #remove(id: number): Promise<ApiAnswer> {
    const before = this.#items.length;
    this.#items = this.#items.filter((item) => item.id !== id);
    return this.#items.length < before ? { status: 204 } : { status: 404, body: { error: `item ${id} does not exist (already removed?)` } };
  }

  /** The slow call: a child span shows where the time went. */
  async #report(request: ApiRequest): Promise<ApiAnswer> {
    const span = this.#tracer.startSpan('report.aggregate', { attributes: { 'demo.items': this.#items.length } }, request.context);
    await sleep(REPORT_DELAY_MS);
    span.end();
    const longest = this.#items.reduce((a, b) => (b.name.length > a.length ? b.name : a), '');
    return { status: 200, body: { items: this.#items.length, longestName: longest, generatedAt: new Date().toISOString() } };
  }

  /** The failing call: the payment provider is always down, recorded as an exception on a child span. */
  async #checkout(request: ApiRequest): Promise<ApiAnswer> {
    const span = this.#tracer.startSpan('payment.authorize', { attributes: { 'demo.items': this.#items.length } }, request.context);
    await sleep(50);
    const error = new Error('payment provider unavailable (the demo always fails here)');
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
    trace.getSpan(request.context)?.setAttribute('error.type', 'PaymentUnavailable');
    return { status: 500, body: { error: error.message } };
  }

  async #contact(request: ApiRequest): Promise<ApiAnswer> {
    for (const [name, max] of [['name', 80], ['email', 200], ['message', 2000]] as const) {
      const value = field(request.body, name, max);
      if (typeof value !== 'string') return value;
    }
    this.#tickets += 1;
    return { status: 200, body: { ticket: this.#tickets } };
  }
}
