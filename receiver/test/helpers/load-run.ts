// Reading a bench/lib/session-load.ts run in the receiver's load and fault tests: which
// answers came back (and when: did acknowledgements stop during an outage and resume
// after it), and whether every acknowledged browser event and span reached the Loki/Tempo
// stand-in. The load generator itself and the stored-segment check live in bench/lib, so
// the benchmark and the tests drive the receiver the same way.

import { KINDS, eventBatch, spanBatch } from '../../../bench/lib/session-load.ts';
import type { Kind, SessionLoadReport } from '../../../bench/lib/session-load.ts';
import { forwardedLogs, forwardedSpans } from './sink-contents.ts';
import type { OtlpSink } from '../peers/otlp-sink.ts';

/** Answers by status over all kinds, e.g. { "200": 812, "503": 40 }. */
export function statusCounts(report: SessionLoadReport, kinds: readonly Kind[] = KINDS): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of kinds) for (const [status, n] of Object.entries(report.statuses[kind])) out[status] = (out[status] ?? 0) + n;
  return out;
}

/** Statuses that were answered but are not in `allowed`, with counts (empty when all were allowed). */
export function unexpectedStatuses(report: SessionLoadReport, allowed: readonly number[]): Record<string, number> {
  return Object.fromEntries(Object.entries(statusCounts(report)).filter(([s]) => !allowed.includes(Number(s))));
}

/** Answers (any kind) in [from, to) wall-clock ms that were not a 200. */
export function refusalsBetween(report: SessionLoadReport, from: number, to: number): number {
  return (report.timeline ?? []).filter(([t, status]) => t >= from && t < to && status !== 200).length;
}

/** Milliseconds from `at` to the first acknowledged segment after it; null if none came. */
export function firstSegmentAckAfter(report: SessionLoadReport, at: number): number | null {
  const segment = KINDS.indexOf('segment');
  for (const [t, status, kind] of report.timeline ?? []) if (t >= at && status === 200 && kind === segment) return t - at;
  return null;
}

function ackedItems(report: SessionLoadReport, kind: 'events' | 'spans'): { i: number; n: number }[] {
  const refused = new Set(report.refused);
  const out: { i: number; n: number }[] = [];
  report.acked[kind].forEach((count, i) => {
    for (let n = 0; n < count; n++) if (!refused.has(`${kind}:${i}:${n}`)) out.push({ i, n });
  });
  return out;
}

/** Bodies of every acknowledged browser event, and ids of every acknowledged span. */
export function acknowledgedTelemetry(report: SessionLoadReport): { logBodies: string[]; spanIds: string[] } {
  return {
    logBodies: ackedItems(report, 'events').flatMap(({ i, n }) => eventBatch(report.runId, i, n).map((e) => e.body)),
    spanIds: ackedItems(report, 'spans').flatMap(({ i, n }) => spanBatch(report.runId, i, n).map((s) => s.spanId)),
  };
}

export interface ForwardCheck {
  expectedLogs: number;
  expectedSpans: number;
  missingLogs: string[];
  missingSpans: string[];
  /** Forwarding is at-least-once: a retry after a lost answer may deliver twice. Counted, not an error. */
  duplicateLogs: number;
  duplicateSpans: number;
  /** Records of this run the load never acknowledged (a request whose answer was lost): allowed. */
  extraLogs: number;
  extraSpans: number;
}

function count(values: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** Compares what the sink accepted with what the load had acknowledged. */
export function checkForwarded(sink: OtlpSink, report: SessionLoadReport): ForwardCheck {
  const { logBodies, spanIds } = acknowledgedTelemetry(report);
  const prefix = `${report.runId}-s`;
  const logs = count(forwardedLogs(sink).map((l) => String(l.body)).filter((b) => b.startsWith(prefix)));
  const spans = count(forwardedSpans(sink).filter((s) => String(s.sessionId).startsWith(prefix)).map((s) => s.spanId));
  const wantLogs = new Set(logBodies);
  const wantSpans = new Set(spanIds);
  const dupes = (m: Map<string, number>) => [...m.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
  return {
    expectedLogs: wantLogs.size,
    expectedSpans: wantSpans.size,
    missingLogs: logBodies.filter((b) => !logs.has(b)),
    missingSpans: spanIds.filter((id) => !spans.has(id)),
    duplicateLogs: dupes(logs),
    duplicateSpans: dupes(spans),
    extraLogs: [...logs.keys()].filter((b) => !wantLogs.has(b)).length,
    extraSpans: [...spans.keys()].filter((id) => !wantSpans.has(id)).length,
  };
}

/** One line for test output: counts, latency and statuses of a run. */
export function describeRun(report: SessionLoadReport): string {
  const seg = report.latency.segment;
  const acked = report.acked.segment.reduce((a, b) => a + b, 0);
  const created = report.created.segment.reduce((a, b) => a + b, 0);
  return `${report.sessions} sessions, ${acked} of ${created} segments acknowledged, ${report.requestsSent} requests; ` +
    `segment ack latency p50 ${seg.p50Ms.toFixed(0)} ms, p99 ${seg.p99Ms.toFixed(0)} ms, max ${seg.maxMs.toFixed(0)} ms; ` +
    `creation-to-ack p99 ${report.segmentAckDelay.p99Ms.toFixed(0)} ms; statuses ${JSON.stringify(statusCounts(report))}` +
    (report.firstFailure ? `; first failure: ${report.firstFailure}` : '');
}
