// The session contract shared by every piece of the SDK: who the current session and
// window (tab) are, and how to hear when they change. The session manager implements
// it; span/log processors, the replay instrumentation and the event collectors only
// read it, so each of them can be used alone with any implementation.

export interface SessionInfo {
  /** semconv `session.id`: shared by every tab of one browser until idle timeout or max duration. */
  id: string;
  /** The previous session's id when this one replaced it (semconv `session.previous_id`). */
  previousId: string | null;
  /** Epoch ms when the session started. */
  startedAt: number;
  /** Whether this session is sampled in for replay (deterministic from the id). */
  sampled: boolean;
}

export type SessionChange = { type: 'start'; session: SessionInfo } | { type: 'end'; session: SessionInfo; reason: 'idle' | 'max-duration' | 'stopped' };

export interface SessionProvider {
  /** The current session, renewed first if it expired (idle or max duration). */
  current(): SessionInfo;
  /** This tab's window id (stable for the tab's lifetime, survives reloads of the tab). */
  windowId(): string;
  /** Marks user activity (extends the idle timeout). */
  touch(): void;
  /** Subscribes to session start/end; returns an unsubscribe function. */
  onChange(listener: (change: SessionChange) => void): () => void;
}
