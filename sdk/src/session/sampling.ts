// Deterministic per-session sampling: the decision is a pure function of the session
// id, so every tab, page load and piece of the SDK that asks gets the same answer
// without sharing any state.

/** FNV-1a (32-bit) of the id, mapped to [0, 1). */
export function sessionHashFraction(sessionId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    h ^= sessionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // One extra avalanche round so ids that differ only at the end still spread evenly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 0x1_0000_0000;
}

/** Whether a session with this id is recorded at `sampleRate` (0 = none, 1 = all). */
export function isSessionSampled(sessionId: string, sampleRate: number): boolean {
  if (sampleRate >= 1) return true;
  if (!(sampleRate > 0)) return false;
  return sessionHashFraction(sessionId) < sampleRate;
}
