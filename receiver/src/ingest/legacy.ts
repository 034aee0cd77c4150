// Rrweb-era records (Splunk's and HyperDX's `rr-web.*` format) in, segments out.
// An event small enough for one record becomes a segment at once; an event cut into
// chunks that arrive in several requests is parked in the index until its last chunk
// comes, then reassembled. Parked chunks are released only after the segment that
// holds their event is stored, so a crash in between loses nothing.

import { completeLegacyEvent, groupLegacyChunks, hasAllChunks, legacySegments, readLegacyChunk } from '@otel-replay/protocol';
import type { Attributes, LegacyChunk, LegacyEvent, Segment } from '@otel-replay/protocol';
import { segmentKey } from '../index/session-index.ts';
import type { SessionIndex } from '../index/session-index.ts';
import type { LogRecordView, RecordPath } from '../otlp/model.ts';

export interface LegacyChunkInput {
  path: RecordPath;
  record: LogRecordView;
  resource: Attributes;
}

interface PathChunk extends LegacyChunk {
  path: RecordPath;
  resource: Attributes;
}

export interface LegacyEventKey {
  sessionId: string;
  windowId: string;
  eventNumber: number;
}

export interface LegacyOutcome {
  segments: { segment: Segment; resource: Attributes }[];
  rejected: { path: RecordPath; error: unknown }[];
  /** Multi-request events completed by this request: release their parked chunks once stored. */
  completedEvents: LegacyEventKey[];
}

export class LegacyAssembler {
  readonly #index: SessionIndex;

  constructor(index: SessionIndex) {
    this.#index = index;
  }

  async toSegments(tenant: string, inputs: LegacyChunkInput[]): Promise<LegacyOutcome> {
    const outcome: LegacyOutcome = { segments: [], rejected: [], completedEvents: [] };
    if (inputs.length === 0) return outcome;
    const chunks: PathChunk[] = [];
    for (const input of inputs) {
      try {
        const chunk = readLegacyChunk(input.record.attributes, input.resource, input.record.body, input.record.timeUnixNano);
        chunks.push({ ...chunk, path: input.path, resource: input.resource });
      } catch (error) {
        outcome.rejected.push({ path: input.path, error });
      }
    }
    const grouping = groupLegacyChunks(chunks);
    for (const r of grouping.rejected) for (const c of r.chunks) outcome.rejected.push({ path: c.path, error: r.error });

    const events: LegacyEvent[] = grouping.complete.map((e) => e);
    const resources = new Map<string, Attributes>();
    for (const c of chunks) resources.set(`${c.sessionId}\u0000${c.windowId}`, c.resource);

    if (grouping.incomplete.length) {
      // A retried request may bring chunks of an event that was completed and stored since:
      // its segment (seq = event number) exists, so the chunks are dropped, not parked again.
      const stored = await this.#index.existingSegments(tenant, grouping.incomplete.map((e) => ({ sessionId: e.sessionId, windowId: e.windowId, seq: e.eventNumber })));
      for (const pending of grouping.incomplete) {
        if (stored.has(segmentKey(pending.sessionId, pending.windowId, pending.eventNumber))) continue;
        for (const c of pending.chunks) {
          const { path: _path, resource: _resource, ...chunk } = c;
          await this.#index.putLegacyChunk({ ...chunk, tenant });
        }
        const parked = await this.#index.legacyChunks(tenant, pending.sessionId, pending.windowId, pending.eventNumber);
        const all: LegacyChunk[] = parked;
        if (!hasAllChunks(all)) continue;
        try {
          events.push(completeLegacyEvent(all));
          outcome.completedEvents.push({ sessionId: pending.sessionId, windowId: pending.windowId, eventNumber: pending.eventNumber });
        } catch (error) {
          // The parked chunks can never form an event: drop them and refuse this request's part.
          await this.#index.deleteLegacyChunks(tenant, pending.sessionId, pending.windowId, pending.eventNumber);
          for (const c of pending.chunks) outcome.rejected.push({ path: c.path, error });
        }
      }
    }

    // Map per (session, window) so one bad group cannot take the others down with it.
    const byWindow = new Map<string, LegacyEvent[]>();
    for (const e of events) {
      const key = `${e.sessionId}\u0000${e.windowId}`;
      byWindow.set(key, [...(byWindow.get(key) ?? []), e]);
    }
    for (const [key, list] of byWindow) {
      try {
        for (const segment of legacySegments(list)) outcome.segments.push({ segment, resource: resources.get(key) ?? {} });
      } catch (error) {
        for (const c of chunks) if (`${c.sessionId}\u0000${c.windowId}` === key) outcome.rejected.push({ path: c.path, error });
      }
    }
    return outcome;
  }

  /** Drops the parked chunks of events whose segments are now stored. */
  async release(tenant: string, events: LegacyEventKey[]): Promise<void> {
    for (const e of events) await this.#index.deleteLegacyChunks(tenant, e.sessionId, e.windowId, e.eventNumber);
  }
}
