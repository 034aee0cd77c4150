// What every event collector shares: a Logger to emit OTLP log events through (the
// session log processor stamps `session.id` on them) and, optionally, the replay so an
// error can trigger buffer mode. Collectors are small classes with start()/stop().

import type { Attributes, Logger, LoggerProvider, AnyValue, SeverityNumber as ApiSeverityNumber } from '@opentelemetry/api';
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

/**
 * The severities the collectors use, with the values of the API's SeverityNumber enum:
 * importing the enum would ship all 25 of its members.
 */
export const SeverityNumber = { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17 } as const satisfies Record<string, ApiSeverityNumber>;
export type Severity = (typeof SeverityNumber)[keyof typeof SeverityNumber];

export function emitEvent(logger: Logger, eventName: string, attributes: Attributes, body?: AnyValue, severityNumber?: Severity): void {
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

const SEVERITY_TEXT: Record<Severity, string> = { 5: 'DEBUG', 9: 'INFO', 13: 'WARN', 17: 'ERROR' };
