// Per-session caps, applied before segments are stored: a session may record for at
// most maxDurationMs (from its first evidence to the end of a segment) and store at most
// maxBytes. The first segment past a cap cuts the session: it and every later segment of
// that session are acknowledged but dropped (a retry would not help), and the index
// records when and why, so the player can say the recording ends there. Segments of a
// deleted session are dropped the same way, without a cut.
//
// Bytes are counted as received (a json segment is gzipped before storing, so this errs
// towards cutting early). Both caps judge the whole recording: when retention removes the
// oldest rows of a session still recording, their bytes still count and the duration is
// still measured from the original start (SessionIndex.sessionStates, index/lifecycle.ts). Several requests of one session in flight on this receiver are
// counted together; on several receivers a cap may be overshot by what is in flight.

import type { Segment, SegmentMeta, SessionTruncatedReason } from '@otel-replay/protocol';
import type { SessionCut, SessionIndex, SessionState } from '../index/session-index.ts';
import { segmentKey } from '../index/session-index.ts';

export interface SessionCapsOptions {
  index: Pick<SessionIndex, 'sessionStates' | 'existingSegments'>;
  /** 0 = no cap. */
  maxDurationMs: number;
  /** 0 = no cap. */
  maxBytes: number;
  now?: () => number;
}

/** Why a segment was acknowledged and not stored. */
export type DropReason = SessionTruncatedReason | 'truncated' | 'deleted';

export interface CapDecision {
  /** Segments to store, in the order given. */
  keep: Segment[];
  dropped: { meta: SegmentMeta; reason: DropReason }[];
  /** Sessions this request cut (the index keeps the first cut of each). */
  cuts: SessionCut[];
  /** Call once the kept segments are stored or have failed: they stop counting as in flight. */
  release(): void;
}

/** A browser clock this far ahead of the receiver's is wrong (the index's rule too). */
const MAX_CLOCK_AHEAD_MS = 86_400_000;

export class SessionCaps {
  readonly #opts: SessionCapsOptions;
  readonly #now: () => number;
  /** Bytes of kept segments not yet settled, per tenant + session. */
  readonly #inFlight = new Map<string, number>();

  constructor(opts: SessionCapsOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#opts.maxDurationMs > 0 || this.#opts.maxBytes > 0;
  }

  /** Splits one request's segments of `tenant` into kept and dropped. */
  async apply(tenant: string, segments: Segment[]): Promise<CapDecision> {
    if (segments.length === 0) return { keep: segments, dropped: [], cuts: [], release: () => {} };
    const states = await this.#opts.index.sessionStates(tenant, [...new Set(segments.map((s) => s.meta.sessionId))]);
    let decision = this.#decide(tenant, segments, states, new Set());
    if (decision.cuts.length > 0 || decision.dropped.some((d) => d.reason !== 'deleted')) {
      // A retry of a segment stored before the cut is not past the cap: it is a duplicate,
      // and group commit answers it as one. Rare, so only looked up when something is cut.
      const candidates = decision.dropped.filter((d) => d.reason !== 'deleted').map((d) => d.meta);
      const existing = await this.#opts.index.existingSegments(tenant, candidates.map((m) => ({ sessionId: m.sessionId, windowId: m.windowId, seq: m.seq })));
      if (existing.size > 0) decision = this.#decide(tenant, segments, states, existing);
    }
    const held = new Map<string, number>();
    for (const s of decision.keep) {
      const k = `${tenant}\u0000${s.meta.sessionId}`;
      held.set(k, (held.get(k) ?? 0) + s.body.length);
    }
    for (const [k, n] of held) this.#inFlight.set(k, (this.#inFlight.get(k) ?? 0) + n);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const [k, n] of held) {
        const left = (this.#inFlight.get(k) ?? 0) - n;
        if (left > 0) this.#inFlight.set(k, left);
        else this.#inFlight.delete(k);
      }
    };
    return { ...decision, release };
  }

  #decide(tenant: string, segments: Segment[], states: Map<string, SessionState>, existing: Set<string>): Omit<CapDecision, 'release'> {
    const now = this.#now();
    const plausible = (t: number): number => (t > 0 && t < now + MAX_CLOCK_AHEAD_MS ? t : now);
    const { maxDurationMs, maxBytes } = this.#opts;
    const bySession = new Map<string, Segment[]>();
    for (const s of segments) {
      const list = bySession.get(s.meta.sessionId);
      if (list) list.push(s);
      else bySession.set(s.meta.sessionId, [s]);
    }
    const dropped = new Map<Segment, DropReason>();
    const cuts: SessionCut[] = [];
    for (const [sessionId, list] of bySession) {
      const state = states.get(sessionId);
      if (state?.deleted) {
        for (const s of list) dropped.set(s, 'deleted');
        continue;
      }
      if (state?.truncatedAt != null) {
        // The recording already ends at its cut: no holes filled in after it.
        for (const s of list) if (!existing.has(segmentKey(s.meta.sessionId, s.meta.windowId, s.meta.seq))) dropped.set(s, 'truncated');
        continue;
      }
      // In recording order, so the cut falls where the recording crossed the cap.
      const ordered = [...list].sort((a, b) => plausible(a.meta.firstTimestamp) - plausible(b.meta.firstTimestamp) || a.meta.seq - b.meta.seq);
      const start = state ? state.firstSeen : Math.min(...ordered.map((s) => plausible(s.meta.firstTimestamp)));
      let bytes = (state?.replayBytes ?? 0) + (this.#inFlight.get(`${tenant}\u0000${sessionId}`) ?? 0);
      let cut: SessionTruncatedReason | null = null;
      for (const s of ordered) {
        if (existing.has(segmentKey(s.meta.sessionId, s.meta.windowId, s.meta.seq))) continue;
        if (cut === null) {
          const end = Math.max(plausible(s.meta.firstTimestamp), plausible(s.meta.lastTimestamp));
          if (maxDurationMs > 0 && end - start > maxDurationMs) cut = 'max-duration';
          else if (maxBytes > 0 && bytes + s.body.length > maxBytes) cut = 'max-bytes';
          if (cut !== null) cuts.push({ tenant, sessionId, at: plausible(s.meta.firstTimestamp), reason: cut });
          else bytes += s.body.length;
        }
        if (cut !== null) dropped.set(s, cut);
      }
    }
    return {
      keep: segments.filter((s) => !dropped.has(s)),
      dropped: [...dropped].map(([s, reason]) => ({ meta: s.meta, reason })),
      cuts,
    };
  }
}
