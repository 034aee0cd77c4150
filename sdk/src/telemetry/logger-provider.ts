// The LoggerProvider init() uses: the @opentelemetry/api logs interfaces over the
// processors of this SDK, in a few hundred bytes instead of @opentelemetry/sdk-logs
// (~14 KB minified, most of it limits, self-metrics and configuration init() never
// uses). Records it hands to processors have the sdk-logs ReadWriteLogRecord shape, so
// any sdk-logs LogRecordProcessor works here and ours work in an sdk-logs provider.

import { context as contextApi, isSpanContextValid, trace } from '@opentelemetry/api';
import type { AnyValue, Attributes, Context, HrTime, Logger, LogRecord, LoggerProvider, SeverityNumber, SpanContext, TimeInput } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ScopedProvider } from './scoped-provider.ts';

/** What a record needs of a resource: the attributes exporters send. */
export interface LogResource {
  attributes: Attributes;
}

export interface SimpleLoggerProviderConfig {
  resource: LogResource;
  processors: LogRecordProcessor[];
  /** Attributes beyond this many per record are dropped and counted (sdk-logs' default is 128 too). */
  attributeCountLimit?: number;
}

/** Milliseconds (epoch, or since timeOrigin when smaller), Date or HrTime → HrTime, as the OTel SDKs read them. */
export function toHrTime(time: TimeInput | undefined): HrTime {
  if (Array.isArray(time)) return time as HrTime;
  let ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.now();
  if (ms < performance.timeOrigin) ms += performance.timeOrigin;
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

class Record {
  readonly hrTime: HrTime;
  readonly hrTimeObserved: HrTime;
  readonly spanContext?: SpanContext;
  readonly resource: LogResource;
  readonly instrumentationScope: { name: string; version?: string; schemaUrl?: string };
  readonly attributes: Attributes = {};
  droppedAttributesCount = 0;
  eventName?: string;
  severityNumber?: SeverityNumber;
  severityText?: string;
  body?: AnyValue;
  readonly #limit: number;

  constructor(logger: SimpleLogger, record: LogRecord, ctx: Context) {
    this.resource = logger.provider.resource;
    this.instrumentationScope = logger.scope;
    this.#limit = logger.provider.attributeCountLimit;
    this.hrTime = toHrTime(record.timestamp);
    this.hrTimeObserved = toHrTime(record.observedTimestamp);
    const span = trace.getSpanContext(ctx);
    if (span && isSpanContextValid(span)) this.spanContext = span;
    this.eventName = record.eventName;
    this.severityNumber = record.severityNumber;
    this.severityText = record.severityText;
    this.body = record.body;
    if (record.attributes) this.setAttributes(record.attributes);
  }

  setAttribute(key: string, value?: AnyValue): this {
    if (!key || value == null) return this;
    if (!(key in this.attributes) && Object.keys(this.attributes).length >= this.#limit) this.droppedAttributesCount++;
    else this.attributes[key] = value as Attributes[string];
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v);
    return this;
  }

  setBody(body: AnyValue): this {
    this.body = body;
    return this;
  }

  setEventName(eventName: string): this {
    this.eventName = eventName;
    return this;
  }

  setSeverityNumber(severityNumber: SeverityNumber): this {
    this.severityNumber = severityNumber;
    return this;
  }

  setSeverityText(severityText: string): this {
    this.severityText = severityText;
    return this;
  }
}

class SimpleLogger implements Logger {
  readonly provider: SimpleLoggerProvider;
  readonly scope: { name: string; version?: string; schemaUrl?: string };

  constructor(provider: SimpleLoggerProvider, scope: { name: string; version?: string; schemaUrl?: string }) {
    this.provider = provider;
    this.scope = scope;
  }

  emit(record: LogRecord): void {
    if (this.provider.isShutdown) return;
    const ctx = record.context ?? contextApi.active();
    const rec = new Record(this, record, ctx) as unknown as ReadWriteLogRecord;
    for (const p of this.provider.processors) p.onEmit(rec, ctx);
  }

  enabled(): boolean {
    return !this.provider.isShutdown;
  }
}

export class SimpleLoggerProvider extends ScopedProvider<LogRecordProcessor, SimpleLogger> implements LoggerProvider {
  readonly attributeCountLimit: number;

  constructor(config: SimpleLoggerProviderConfig) {
    super(config.resource, config.processors);
    this.attributeCountLimit = config.attributeCountLimit ?? 128;
  }

  getLogger(name: string, version?: string, options?: { schemaUrl?: string }): Logger {
    return this.scoped(name, version, options, (scope) => new SimpleLogger(this, scope));
  }
}
