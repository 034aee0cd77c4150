// The exporting processors of init(): one queue that hands items to an OTel exporter at
// once (`delayMs: 0`) or in batches every `delayMs` (replay segments once per replay
// flush interval, events and spans every 2 s), flushing the batch when the page is hidden
// as the OTel browser Batch*Processors do. Exports run with tracing suppressed so our
// uploads never become spans. Small stand-ins for sdk-logs' Simple/BatchLogRecordProcessor
// and sdk-trace's BatchSpanProcessor; any exporter of those SDKs plugs in.

import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { LogRecordExporter, LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

export interface ExportQueueConfig<E> {
  exporter: E;
  /** 0 exports every item as it comes; otherwise items wait up to this long for a batch. */
  delayMs: number;
  /** Items beyond this many waiting are dropped (default 2048). */
  maxQueueSize?: number;
  /** Items per export call (default 512). */
  maxBatchSize?: number;
}

type Exporter<T> = { export(items: T[], done: (result: unknown) => void): void; shutdown(): Promise<void> };

class ExportQueue<T> {
  readonly #config: ExportQueueConfig<Exporter<T>>;
  #queue: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #pending = new Set<Promise<void>>();
  stopped = false;
  readonly #onHide = (): void => {
    if (document.visibilityState === 'hidden') void this.flush();
  };

  constructor(config: ExportQueueConfig<Exporter<T>>) {
    this.#config = config;
    if (config.delayMs > 0 && typeof document !== 'undefined') document.addEventListener('visibilitychange', this.#onHide);
  }

  add(item: T): void {
    if (this.stopped) return;
    if (!this.#config.delayMs) return this.#export([item]);
    if (this.#queue.length >= (this.#config.maxQueueSize ?? 2048)) return;
    this.#queue.push(item);
    if (this.#queue.length >= (this.#config.maxBatchSize ?? 512)) this.#drain();
    else this.#timer ??= setTimeout(() => this.#drain(), this.#config.delayMs);
  }

  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length) this.#export(this.#queue.splice(0, this.#config.maxBatchSize ?? 512));
  }

  #export(items: T[]): void {
    const done = new Promise<void>((resolve) => {
      try {
        context.with(suppressTracing(context.active()), () => this.#config.exporter.export(items, () => resolve()));
      } catch {
        resolve();
      }
    });
    // Only batches are awaited by flush, as in the OTel Simple/Batch processors.
    if (!this.#config.delayMs) return;
    this.#pending.add(done);
    void done.then(() => this.#pending.delete(done));
  }

  async flush(): Promise<void> {
    this.#drain();
    await Promise.all([...this.#pending]);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flush();
    this.stopped = true;
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.#onHide);
    await this.#config.exporter.shutdown();
  }
}

/** Exports log records at once (`delayMs: 0`) or in batches. */
export class ExportLogRecordProcessor implements LogRecordProcessor {
  readonly #queue: ExportQueue<ReadWriteLogRecord>;

  constructor(config: ExportQueueConfig<LogRecordExporter>) {
    this.#queue = new ExportQueue(config as ExportQueueConfig<Exporter<ReadWriteLogRecord>>);
  }

  onEmit(logRecord: ReadWriteLogRecord): void {
    this.#queue.add(logRecord);
  }

  forceFlush(): Promise<void> {
    return this.#queue.flush();
  }

  shutdown(): Promise<void> {
    return this.#queue.shutdown();
  }
}

/** Exports sampled spans in batches when they end. */
export class ExportSpanProcessor implements SpanProcessor {
  readonly #queue: ExportQueue<ReadableSpan>;

  constructor(config: ExportQueueConfig<SpanExporter>) {
    this.#queue = new ExportQueue(config as ExportQueueConfig<Exporter<ReadableSpan>>);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & 1) this.#queue.add(span);
  }

  forceFlush(): Promise<void> {
    return this.#queue.flush();
  }

  shutdown(): Promise<void> {
    return this.#queue.shutdown();
  }
}
