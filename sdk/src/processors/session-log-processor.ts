// A LogRecordProcessor that stamps `session.id` (and `user.id` once known) on every log
// record and event that does not carry one yet — a replay segment or a `session.end`
// keeps the session it belongs to. Register it before the exporting processor.

import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { Attr } from '@otel-replay/protocol';
import type { SessionProvider } from '../session/session.ts';
import type { UserContext } from '../session/user.ts';

export class SessionLogRecordProcessor implements LogRecordProcessor {
  readonly #session: SessionProvider;
  readonly #user: UserContext | undefined;

  constructor(session: SessionProvider, user?: UserContext) {
    this.#session = session;
    this.#user = user;
  }

  onEmit(logRecord: ReadWriteLogRecord, _context?: Context): void {
    if (logRecord.attributes[Attr.sessionId] === undefined) logRecord.setAttribute(Attr.sessionId, this.#session.current().id);
    const userId = this.#user?.id;
    if (userId && logRecord.attributes[Attr.userId] === undefined) logRecord.setAttribute(Attr.userId, userId);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
