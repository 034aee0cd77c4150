// After a session-load.ts run: checks through the receiver's query API only that nothing
// acknowledged is missing and nothing is stored twice. For every session the index must
// list each acknowledged seq exactly once (and no seq that was never sent), count its
// segments once each, and every stored segment must read back byte-identical through
// GET /api/v1/sessions/:id/segments/:window/:seq. Segments sent but never acknowledged
// (the answer was lost) may or may not be stored; when they are, the same checks apply.

import { keepAliveAgent, getRaw } from './http-client.ts';
import { segmentPool } from './rrweb-segments.ts';
import { identity, pooledFor } from './session-load.ts';
import type { SessionLoadReport, SessionLoadSpec } from './session-load.ts';

export interface LoadCheck {
  sessions: number;
  ackedSegments: number;
  /** Distinct (session, window, seq) the index lists for the run's sessions. */
  storedSegments: number;
  /** Of those, sent but never acknowledged (answer lost to a crash or timeout): allowed. */
  storedUnacked: number;
  missing: string[];
  duplicated: string[];
  mismatched: string[];
  unexpected: string[];
  miscounted: string[];
  ok: boolean;
  summary: string;
}

interface SessionBody {
  segments?: number;
  windows?: { windowId: string; segments: { seq: number }[] }[];
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function checkStoredSegments(
  url: string,
  spec: Pick<SessionLoadSpec, 'runId' | 'poolSize' | 'seed'>,
  report: SessionLoadReport,
  options: { headers?: Record<string, string>; concurrency?: number } = {},
): Promise<LoadCheck> {
  const segments = segmentPool(spec.poolSize, spec.seed);
  const agent = keepAliveAgent(options.concurrency ?? 16);
  const refused = new Set(report.refused.filter((r) => r.startsWith('segment:')));
  const out: LoadCheck = { sessions: 0, ackedSegments: 0, storedSegments: 0, storedUnacked: 0, missing: [], duplicated: [], mismatched: [], unexpected: [], miscounted: [], ok: false, summary: '' };
  const toRead: { i: number; seq: number }[] = [];
  const get = async (path: string) => {
    const res = await getRaw(agent, new URL(path, url), 30_000);
    return res;
  };
  const sessions = Array.from({ length: report.sessions }, (_, i) => i).filter((i) => report.created.segment[i]! > 0);
  out.sessions = sessions.length;
  try {
    await pool(sessions, options.concurrency ?? 16, async (i) => {
      const { sessionId, windowId } = identity(report.runId, i);
      const created = report.created.segment[i]!;
      const acked = new Set<number>();
      for (let seq = 0; seq < report.acked.segment[i]!; seq++) if (!refused.has(`segment:${i}:${seq}`)) acked.add(seq);
      out.ackedSegments += acked.size;
      const res = await get(`/api/v1/sessions/${encodeURIComponent(sessionId)}`);
      const stored = new Map<number, number>();
      if (res.status === 200) {
        const body = JSON.parse(res.body.toString('utf8')) as SessionBody;
        for (const w of body.windows ?? []) {
          if (w.windowId !== windowId) {
            out.unexpected.push(`${sessionId}: window ${w.windowId} was never sent`);
            continue;
          }
          for (const s of w.segments) stored.set(s.seq, (stored.get(s.seq) ?? 0) + 1);
        }
        if (body.segments !== stored.size) out.miscounted.push(`${sessionId}: the session counts ${body.segments} segments, the index lists ${stored.size}`);
      } else if (res.status !== 404 || acked.size > 0) {
        out.missing.push(`${sessionId}: GET session answered ${res.status} (${res.body.toString('utf8').slice(0, 200)}) with ${acked.size} segments acknowledged`);
        return;
      }
      for (const [seq, times] of stored) {
        if (times > 1) out.duplicated.push(`${sessionId}/${windowId}/${seq} listed ${times} times`);
        if (seq >= created) out.unexpected.push(`${sessionId}/${windowId}/${seq} was never sent (${created} created)`);
        else toRead.push({ i, seq });
        if (!acked.has(seq)) out.storedUnacked++;
      }
      out.storedSegments += stored.size;
      for (const seq of acked) if (!stored.has(seq)) out.missing.push(`${sessionId}/${windowId}/${seq}`);
    });
    await pool(toRead, options.concurrency ?? 16, async ({ i, seq }) => {
      const { sessionId, windowId } = identity(report.runId, i);
      const res = await get(`/api/v1/sessions/${encodeURIComponent(sessionId)}/segments/${windowId}/${seq}`);
      const want = pooledFor(segments, i, seq).gzip;
      if (res.status !== 200) out.mismatched.push(`${sessionId}/${windowId}/${seq}: GET answered ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
      else if (!res.body.equals(want)) out.mismatched.push(`${sessionId}/${windowId}/${seq}: ${res.body.length} bytes read back, ${want.length} sent, not byte-identical`);
    });
  } finally {
    agent.destroy();
  }
  out.ok = out.missing.length + out.duplicated.length + out.mismatched.length + out.unexpected.length + out.miscounted.length === 0;
  const sample = (label: string, list: string[]) => (list.length ? `; ${list.length} ${label}, e.g. ${list.slice(0, 3).join(', ')}` : '');
  out.summary = `${out.storedSegments} segments stored for ${out.ackedSegments} acknowledged (${out.storedUnacked} stored whose answer was lost) in ${out.sessions} sessions, read back through the raw segment route` +
    sample('MISSING', out.missing) + sample('DUPLICATED', out.duplicated) + sample('NOT BYTE-IDENTICAL', out.mismatched) + sample('UNEXPECTED', out.unexpected) + sample('MISCOUNTED', out.miscounted);
  return out;
}
