// The TracerProvider init() uses: the @opentelemetry/api trace interfaces (always-on,
// parent-based sampling; attribute/event/link count limits of 128 as in sdk-trace) over
// sdk-trace-shaped SpanProcessors, in a few KB instead of @opentelemetry/sdk-trace and
// @opentelemetry/resources. Ended spans have the sdk-trace ReadableSpan shape, so any
// sdk-trace SpanProcessor/SpanExporter works here and ours work in an sdk-trace provider.
// Also the stack context manager the OTel web setups use when there is no zone.js.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as contextApi, isSpanContextValid, trace } from '@opentelemetry/api';
import type {
  Attributes, AttributeValue, Context, ContextManager, Exception, HrTime, Link, SpanAttributes, SpanContext, SpanOptions,
  SpanStatus, TimeInput, Tracer, TracerProvider, Span as ApiSpan,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { toHrTime } from './logger-provider.ts';
import { ScopedProvider } from './scoped-provider.ts';
import type { LogResource } from './logger-provider.ts';

const LIMIT = 128;

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  // An all-zero id is invalid; practically never drawn, cheap to rule out.
  return /^0+$/.test(s) ? randomHex(bytes) : s;
}

/** Now, with sub-millisecond precision, as epoch HrTime. */
const now = (): HrTime => toHrTime(performance.timeOrigin + performance.now());

interface TimedEvent {
  name: string;
  time: HrTime;
  attributes?: Attributes;
  droppedAttributesCount: number;
}

class RecordingSpan implements ApiSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext?: SpanContext;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  readonly resource: LogResource;
  readonly instrumentationScope: { name: string; version?: string; schemaUrl?: string };
  readonly #context: SpanContext;
  readonly #provider: SimpleTracerProvider;

  constructor(tracer: SimpleTracer, name: string, spanContext: SpanContext, options: SpanOptions, parent: SpanContext | undefined) {
    this.#provider = tracer.provider;
    this.resource = tracer.provider.resource;
    this.instrumentationScope = tracer.scope;
    this.#context = spanContext;
    this.name = name;
    this.kind = options.kind ?? SpanKind.INTERNAL;
    this.parentSpanContext = parent;
    this.startTime = options.startTime === undefined ? now() : toHrTime(options.startTime);
    if (options.attributes) this.setAttributes(options.attributes);
    if (options.links) this.addLinks(options.links);
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (this.ended || !key || value == null) return this;
    if (!(key in this.attributes) && Object.keys(this.attributes).length >= LIMIT) this.droppedAttributesCount++;
    else this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    if (this.events.length >= LIMIT) {
      this.droppedEventsCount++;
      return this;
    }
    const isTime = typeof attributesOrTime === 'number' || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date;
    this.events.push({
      name,
      time: toHrTime(isTime ? (attributesOrTime as TimeInput) : (time ?? now())),
      attributes: isTime ? {} : (attributesOrTime as Attributes | undefined) ?? {},
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= LIMIT) this.droppedLinksCount++;
    else this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || this.status.code === SpanStatusCode.OK) return this;
    // As in sdk-trace: OK is final, a message only goes with ERROR.
    this.status = status.code === SpanStatusCode.ERROR ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    this.endTime = endTime === undefined ? now() : toHrTime(endTime);
    let s = this.endTime[0] - this.startTime[0];
    let n = this.endTime[1] - this.startTime[1];
    if (n < 0) {
      s--;
      n += 1e9;
    }
    // An end before the start (clock adjustments, bad input) becomes a zero duration, as in sdk-trace.
    if (s < 0) {
      this.endTime = this.startTime;
      s = n = 0;
    }
    this.duration = [s, n];
    for (const p of this.#provider.processors) p.onEnd(this as unknown as ReadableSpan);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      const type = exception.code?.toString() ?? exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }
}

class SimpleTracer implements Tracer {
  readonly provider: SimpleTracerProvider;
  readonly scope: { name: string; version?: string; schemaUrl?: string };

  constructor(provider: SimpleTracerProvider, scope: { name: string; version?: string; schemaUrl?: string }) {
    this.provider = provider;
    this.scope = scope;
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): ApiSpan {
    if (options.root) ctx = trace.deleteSpan(ctx);
    const parent = trace.getSpanContext(ctx);
    const valid = !!parent && isSpanContextValid(parent);
    const spanContext: SpanContext = {
      traceId: valid ? parent.traceId : randomHex(16),
      spanId: randomHex(8),
      // Parent-based, always on: a root is sampled, a child follows its parent.
      traceFlags: valid ? parent.traceFlags & 1 : 1,
      traceState: valid ? parent.traceState : undefined,
    };
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext({ ...spanContext, traceFlags: 0 });
    if (!spanContext.traceFlags || this.provider.isShutdown) return trace.wrapSpanContext(spanContext);
    const span = new RecordingSpan(this, name, spanContext, options, valid ? parent : undefined);
    for (const p of this.provider.processors) p.onStart(span as unknown as SdkSpan, ctx);
    return span;
  }

  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args.pop() as F;
    const [options, ctx = contextApi.active()] = args as [SpanOptions | undefined, Context | undefined];
    const span = this.startSpan(name, options, ctx);
    return contextApi.with(trace.setSpan(ctx, span), fn as (span: ApiSpan) => ReturnType<F>, undefined, span);
  }
}

export interface SimpleTracerProviderConfig {
  resource: LogResource;
  spanProcessors: SpanProcessor[];
}

export class SimpleTracerProvider extends ScopedProvider<SpanProcessor, SimpleTracer> implements TracerProvider {
  constructor(config: SimpleTracerProviderConfig) {
    super(config.resource, config.spanProcessors);
  }

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    return this.scoped(name, version, options, (scope) => new SimpleTracer(this, scope));
  }
}

/** The context manager of OTel web without zone.js: the active context follows synchronous calls. */
export class StackContextManager implements ContextManager {
  #current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.#current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context | null, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.#current;
    this.#current = ctx ?? ROOT_CONTEXT;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#current = previous;
    }
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    };
    Object.defineProperty(bound, 'length', { value: target.length });
    return bound as T;
  }

  enable(): this {
    this.#current = ROOT_CONTEXT;
    return this;
  }

  disable(): this {
    return this.enable();
  }
}
