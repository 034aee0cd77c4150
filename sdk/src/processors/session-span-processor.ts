// A SpanProcessor that stamps `session.id` (and `user.id` once known) on every span when
// it starts, so Tempo can be searched by session and the receiver's index can count the
// session's network failures. Add it to any TracerProvider, before the exporting one.

import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { Attr } from '@otel-replay/protocol';
import type { SessionProvider } from '../session/session.ts';
import type { UserContext } from '../session/user.ts';

export class SessionSpanProcessor implements SpanProcessor {
  readonly #session: SessionProvider;
  readonly #user: UserContext | undefined;

  constructor(session: SessionProvider, user?: UserContext) {
    this.#session = session;
    this.#user = user;
  }

  onStart(span: Span, _parentContext: Context): void {
    span.setAttribute(Attr.sessionId, this.#session.current().id);
    const userId = this.#user?.id;
    if (userId) span.setAttribute(Attr.userId, userId);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
