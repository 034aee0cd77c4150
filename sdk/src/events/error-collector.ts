// Unhandled errors and promise rejections as semconv `exception` events; each one also
// tells the replay, so buffer mode can send the seconds that led up to it.

import type { Logger } from '@opentelemetry/api';
import { Attr, EventName } from '@otel-replay/protocol';
import { emitEvent, eventLogger, SeverityNumber } from './emit.ts';
import type { CollectorContext, EventCollector, ReplayHooks } from './emit.ts';
import { exceptionFields } from './format.ts';

export class ErrorCollector implements EventCollector {
  readonly #logger: Logger;
  readonly #replay: ReplayHooks | null;
  #listening = false;

  constructor(context: CollectorContext) {
    this.#logger = eventLogger(context.loggerProvider);
    this.#replay = context.replay ?? null;
  }

  readonly #onError = (e: ErrorEvent): void => {
    this.report(e.error ?? null, e.message || 'Script error');
  };

  readonly #onRejection = (e: PromiseRejectionEvent): void => {
    this.report(e.reason, 'Unhandled promise rejection');
  };

  start(): void {
    if (this.#listening || typeof addEventListener !== 'function') return;
    this.#listening = true;
    addEventListener('error', this.#onError);
    addEventListener('unhandledrejection', this.#onRejection);
  }

  stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    removeEventListener('error', this.#onError);
    removeEventListener('unhandledrejection', this.#onRejection);
  }

  /** Records an error as an `exception` event (also used by the API's reportError). */
  report(error: unknown, fallbackMessage = ''): void {
    const f = exceptionFields(error, fallbackMessage);
    const attributes: Record<string, string> = { [Attr.exceptionType]: f.type, [Attr.exceptionMessage]: f.message };
    if (f.stacktrace) attributes['exception.stacktrace'] = f.stacktrace;
    emitEvent(this.#logger, EventName.exception, attributes, undefined, SeverityNumber.ERROR);
    try {
      this.#replay?.notifyError();
    } catch {
      // the replay's trouble is not the page's
    }
  }
}
