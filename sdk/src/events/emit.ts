// What every event collector shares: a Logger to emit OTLP log events through (the
// session log processor stamps `session.id` on them) and, optionally, the replay so an
// error can trigger buffer mode. Collectors are small classes with start()/stop().

import type { Attributes, Logger, LoggerProvider, AnyValue } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api';
import type { SessionProvider } from '../session/session.ts';

export const EVENT_SCOPE = 'otel-replay';

/** The part of ReplayInstrumentation the collectors use (any object with these methods works). */
export interface ReplayHooks {
  notifyError(): void;
  addCustomEvent(tag: string, payload: unknown): void;
}

export interface CollectorContext {
  loggerProvider: LoggerProvider;
  session: SessionProvider;
  replay?: ReplayHooks | null;
}

export interface EventCollector {
  start(): void;
  stop(): void;
}

export function eventLogger(loggerProvider: LoggerProvider): Logger {
  return loggerProvider.getLogger(EVENT_SCOPE);
}

export function emitEvent(logger: Logger, eventName: string, attributes: Attributes, body?: AnyValue, severityNumber?: SeverityNumber): void {
  try {
    logger.emit({
      eventName,
      attributes,
      ...(body !== undefined ? { body } : {}),
      ...(severityNumber !== undefined ? { severityNumber, severityText: SEVERITY_TEXT[severityNumber] } : {}),
    });
  } catch {
    // An event that cannot be emitted is dropped; the host page must never see it fail.
  }
}

const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.DEBUG]: 'DEBUG',
  [SeverityNumber.INFO]: 'INFO',
  [SeverityNumber.WARN]: 'WARN',
  [SeverityNumber.ERROR]: 'ERROR',
};

export { SeverityNumber };
