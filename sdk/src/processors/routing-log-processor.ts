// Sends replay segments and all other log records down different processors: segments
// to the SegmentExporter (retries, IndexedDB persistence, page-hide budget), everything
// else to a standard OTLP log exporter. One LoggerProvider, two paths.

import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { SEGMENT_EVENT_NAME } from '@otel-replay/protocol';

export class SegmentRoutingLogRecordProcessor implements LogRecordProcessor {
  readonly #segments: LogRecordProcessor;
  readonly #others: LogRecordProcessor;

  constructor(config: { segments: LogRecordProcessor; others: LogRecordProcessor }) {
    this.#segments = config.segments;
    this.#others = config.others;
  }

  onEmit(logRecord: ReadWriteLogRecord, context?: Context): void {
    (logRecord.eventName === SEGMENT_EVENT_NAME ? this.#segments : this.#others).onEmit(logRecord, context);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([this.#segments.forceFlush(), this.#others.forceFlush()]);
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.#segments.shutdown(), this.#others.shutdown()]);
  }
}
