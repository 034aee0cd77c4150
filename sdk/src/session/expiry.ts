// When a stored session stops being valid: the pure rule behind the session manager, so
// it can be tested without a browser or a clock.

export interface StoredSession {
  id: string;
  previousId: string | null;
  /** Epoch ms the session started. */
  startedAt: number;
  /** Epoch ms of the last user activity seen by any tab. */
  lastActivity: number;
}

export interface ExpiryLimits {
  idleTimeoutMs: number;
  maxDurationMs: number;
}

/** Why `session` is over at `now`, or null while it is still valid. */
export function expiryReason(session: StoredSession, now: number, limits: ExpiryLimits): 'idle' | 'max-duration' | null {
  if (now - session.startedAt >= limits.maxDurationMs) return 'max-duration';
  if (now - session.lastActivity >= limits.idleTimeoutMs) return 'idle';
  return null;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Parses what another tab (or an older SDK) left in storage; anything odd reads as "no session". */
export function parseStoredSession(text: string | null): StoredSession | null {
  if (!text) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || !SAFE_ID.test(v.id) || v.id.includes('..')) return null;
  if (typeof v.startedAt !== 'number' || !Number.isFinite(v.startedAt)) return null;
  if (typeof v.lastActivity !== 'number' || !Number.isFinite(v.lastActivity)) return null;
  const previousId = typeof v.previousId === 'string' && SAFE_ID.test(v.previousId) ? v.previousId : null;
  return { id: v.id, previousId, startedAt: v.startedAt, lastActivity: v.lastActivity };
}
