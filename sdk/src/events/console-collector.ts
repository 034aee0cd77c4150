// Console calls at the configured levels as `browser.console` events (body = message,
// `replay.console.level`). The original console method always runs first and unchanged.

import type { Logger } from '@opentelemetry/api';
import { Attr, EventName } from '@otel-replay/protocol';
import type { ConsoleLevel } from '../config.ts';
import { emitEvent, eventLogger, SeverityNumber } from './emit.ts';
import type { Severity } from './emit.ts';
import type { CollectorContext, EventCollector } from './emit.ts';
import { formatConsoleArgs } from './format.ts';

const SEVERITY: Record<ConsoleLevel, Severity> = {
  debug: SeverityNumber.DEBUG,
  log: SeverityNumber.INFO,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  assert: SeverityNumber.ERROR,
};

export class ConsoleCollector implements EventCollector {
  readonly #logger: Logger;
  readonly #levels: ConsoleLevel[];
  readonly #originals = new Map<ConsoleLevel, (...args: unknown[]) => void>();
  #inside = false;

  constructor(context: CollectorContext, levels: ConsoleLevel[]) {
    this.#logger = eventLogger(context.loggerProvider);
    this.#levels = levels;
  }

  start(): void {
    if (this.#originals.size || typeof console === 'undefined') return;
    const target = console as unknown as Record<ConsoleLevel, (...args: unknown[]) => void>;
    for (const level of this.#levels) {
      const original = target[level];
      if (typeof original !== 'function') continue;
      this.#originals.set(level, original);
      const self = this;
      target[level] = function patchedConsole(this: unknown, ...args: unknown[]) {
        original.apply(this, args);
        // An exporter that logs its own failure must not produce another event.
        if (self.#inside) return;
        self.#inside = true;
        try {
          if (level === 'assert') {
            if (args[0]) return;
            self.#record(level, ['Assertion failed', ...args.slice(1)]);
          } else {
            self.#record(level, args);
          }
        } finally {
          self.#inside = false;
        }
      };
    }
  }

  stop(): void {
    const target = console as unknown as Record<ConsoleLevel, (...args: unknown[]) => void>;
    for (const [level, original] of this.#originals) target[level] = original;
    this.#originals.clear();
  }

  #record(level: ConsoleLevel, args: unknown[]): void {
    emitEvent(this.#logger, EventName.console, { [Attr.consoleLevel]: level }, formatConsoleArgs(args), SEVERITY[level]);
  }
}
