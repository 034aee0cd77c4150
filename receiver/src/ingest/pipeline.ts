// What happens to a decoded OTLP request between "decoded" and "acknowledged":
// replay segments (ours and legacy rrweb-era ones) are stored through group commit,
// everything else is queued for Loki/Tempo, and the session index learns what the
// request said about each session (stored segments are counted by the index itself, in
// the transaction that inserts their rows). The returned promise resolves only when all
// of that is durable, so an acknowledged request is never lost.

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ProtocolError, SEGMENT_EVENT_NAME, SegmentLimits, isLegacyRecord, readSegmentAttributes, segmentBodyBytes } from '@otel-replay/protocol';
import type { Attributes, Segment, SegmentIndexRow, SegmentMeta } from '@otel-replay/protocol';
import type { Forwarder } from '../forward/forwarder.ts';
import type { SessionIndex } from '../index/session-index.ts';
import type { DecodedLogs, DecodedTraces, OtlpEncoding, RecordPath } from '../otlp/model.ts';
import { ActivityCollector } from './activity.ts';
import { ActivityBatcher } from './activity-batcher.ts';
import { DescribedSessions } from './described-sessions.ts';
import { LegacyAssembler } from './legacy.ts';
import type { LegacyChunkInput } from './legacy.ts';
import type { IngestRedaction } from '../redact/ingest.ts';
import type { CapDecision, SessionCaps } from './session-caps.ts';

const gunzipAsync = promisify(gunzip);

/** Where segments go: the group committer (or anything with its contract). */
export interface SegmentSink {
  submit(tenant: string, segments: Segment[]): Promise<{ stored: SegmentIndexRow[]; duplicates: SegmentMeta[] }>;
}

export interface PipelineDeps {
  segments: SegmentSink;
  index: SessionIndex;
  forwarder: Forwarder;
  now?: () => number;
  /** Redaction rules, applied before anything is stored, indexed or forwarded; none = no redaction work. */
  redaction?: IngestRedaction;
  /** Per-session caps (and dropping segments of deleted sessions); none = store everything. */
  caps?: SessionCaps;
  /** Told about segments acknowledged but not stored, and sessions newly cut (metrics). */
  onDropped?: (dropped: CapDecision['dropped'], cuts: CapDecision['cuts']) => void;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** Why records were rejected (first few reasons), for OTLP partial_success. */
  errorMessage: string;
  segmentsStored: number;
  segmentsDuplicate: number;
  legacyRecords: number;
  forwardedRecords: number;
}

const MAX_SEGMENT_INFLATED_BYTES = SegmentLimits.maxInflatedBytes;
const MAX_REASONS = 5;
const INFLATE_CHUNK_BYTES = 256 * 1024;

function contentTypeOf(encoding: OtlpEncoding): 'application/json' | 'application/x-protobuf' {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

function mergedAttributes(resource: Attributes, record: Attributes): Attributes {
  return { ...resource, ...record };
}

/** Checks that a segment body inflates to something shaped like a JSON array. */
async function checkSegmentContent(meta: SegmentMeta, body: Uint8Array): Promise<void> {
  let text: Buffer;
  if (meta.encoding === 'gzip-json') {
    try {
      // Large chunks: a segment inflates to a few hundred KiB, and each chunk costs a main-thread callback.
      text = await gunzipAsync(body, { maxOutputLength: MAX_SEGMENT_INFLATED_BYTES, chunkSize: INFLATE_CHUNK_BYTES });
    } catch (err) {
      const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: ${tooBig ? `body inflates past ${MAX_SEGMENT_INFLATED_BYTES} bytes` : `body is not valid gzip (${(err as Error).message})`}`);
    }
  } else {
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  const first = text.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  let last = text.length - 1;
  while (last >= 0 && (text[last] === 0x20 || text[last] === 0x0a || text[last] === 0x0d || text[last] === 0x09)) last--;
  if (first < 0 || text[first] !== 0x5b || text[last] !== 0x5d) throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: body is not a JSON array of rrweb events`);
}

export class IngestPipeline {
  private readonly legacy: LegacyAssembler;
  private readonly deps: PipelineDeps;
  private readonly described = new DescribedSessions();
  /** Session activity of concurrent requests goes to the index in shared transactions. */
  private readonly activity: ActivityBatcher;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
    this.legacy = new LegacyAssembler(deps.index);
    // Looked up per call, so a test may swap the index's method.
    this.activity = new ActivityBatcher((deltas) => this.deps.index.applyActivity(deltas));
  }

  async ingestLogs(tenant: string, logs: DecodedLogs, encoding: OtlpEncoding, raw: Uint8Array): Promise<IngestResult> {
    if (this.deps.redaction) ({ logs, raw } = this.deps.redaction.logs(logs, encoding, raw));
    const reasons: string[] = [];
    let rejected = 0;
    const reject = (path: RecordPath, err: unknown) => {
      rejected += 1;
      if (reasons.length < MAX_REASONS) reasons.push(`record ${path.join('.')}: ${(err as Error).message}`);
      if (!(err instanceof ProtocolError)) throw err;
    };

    const segments: Segment[] = [];
    const segmentResources = new Map<Segment, Attributes>();
    const legacyChunks: LegacyChunkInput[] = [];
    const forwardPaths = new Set<string>();
    const activity = new ActivityCollector(tenant, this.deps.now);
    let forwardedRecords = 0;

    const checks: Promise<void>[] = [];
    logs.resources.forEach((rl, ri) => {
      rl.scopes.forEach((sl, si) => {
        sl.records.forEach((record, li) => {
          const path: RecordPath = [ri, si, li];
          if (record.eventName === SEGMENT_EVENT_NAME) {
            try {
              const meta = readSegmentAttributes(mergedAttributes(rl.resource, record.attributes));
              const segment: Segment = { meta, body: segmentBodyBytes(meta, record.body) };
              checks.push(checkSegmentContent(meta, segment.body).then(() => {
                segments.push(segment);
                segmentResources.set(segment, rl.resource);
              }, (err: unknown) => reject(path, err)));
            } catch (err) {
              reject(path, err);
            }
          } else if (isLegacyRecord(record.attributes)) {
            legacyChunks.push({ path, record, resource: rl.resource });
          } else {
            activity.addLogRecord(record, rl.resource);
            forwardPaths.add(path.join('.'));
            forwardedRecords += 1;
          }
        });
      });
    });
    await Promise.all(checks);

    // Legacy chunks become segments (possibly after parking chunks in the index).
    const legacyOutcome = await this.legacy.toSegments(tenant, legacyChunks);
    for (const r of legacyOutcome.rejected) reject(r.path, r.error);
    for (const s of legacyOutcome.segments) {
      segments.push(s.segment);
      segmentResources.set(s.segment, s.resource);
    }

    if (this.deps.redaction) await this.deps.redaction.segments(segments);

    // Storage and forwarding are independent: run them side by side.
    const forwarding = (async () => {
      if (forwardPaths.size === 0 || !this.deps.forwarder.enabled('logs')) return;
      // A request with nothing but ordinary logs goes on exactly as it came.
      const body = forwardPaths.size === logs.recordCount ? raw : logs.subset((p) => forwardPaths.has(p.join('.')));
      if (body) await this.deps.forwarder.enqueue({ signal: 'logs', tenant, contentType: contentTypeOf(encoding), body });
    })();
    const capped = this.deps.caps && segments.length ? await this.deps.caps.apply(tenant, segments) : null;
    const toStore = capped ? capped.keep : segments;
    const storing = (toStore.length ? this.deps.segments.submit(tenant, toStore) : Promise.resolve({ stored: [], duplicates: [] }))
      .finally(() => capped?.release());
    // The cut is durable before the acknowledgement, like the segments themselves.
    const marking = capped?.cuts.length ? this.deps.index.markTruncated(capped.cuts) : Promise.resolve();
    const [, commit] = await Promise.all([forwarding, storing, marking]);
    if (capped?.dropped.length) this.deps.onDropped?.(capped.dropped, capped.cuts);

    // The index counted the stored segments when it inserted their rows; what is left
    // to add is who the client is, for every segment (stored now or by an earlier try).
    for (const [s, res] of segmentResources) activity.describeSegment(s.meta, res);
    const deltas = this.described.needed(activity.result());
    if (deltas.length) {
      await this.activity.apply(deltas);
      this.described.remember(deltas);
    }
    if (legacyOutcome.completedEvents.length) await this.legacy.release(tenant, legacyOutcome.completedEvents);

    return {
      accepted: logs.recordCount - rejected,
      rejected,
      errorMessage: reasons.join('; '),
      segmentsStored: commit.stored.length,
      segmentsDuplicate: commit.duplicates.length,
      legacyRecords: legacyChunks.length,
      forwardedRecords,
    };
  }

  /** Spans pass through to Tempo byte for byte; the index learns from their session.id. */
  async ingestTraces(tenant: string, traces: DecodedTraces, body: Uint8Array, encoding: OtlpEncoding): Promise<void> {
    if (this.deps.redaction) ({ traces, body } = this.deps.redaction.traces(traces, encoding, body));
    const activity = new ActivityCollector(tenant, this.deps.now);
    for (const rs of traces.resources) for (const ss of rs.scopes) for (const span of ss.spans) activity.addSpan(span, rs.resource);
    const forwarding = this.deps.forwarder.enabled('traces') && traces.spanCount > 0
      ? this.deps.forwarder.enqueue({ signal: 'traces', tenant, contentType: contentTypeOf(encoding), body })
      : Promise.resolve();
    const deltas = activity.result();
    await Promise.all([forwarding, this.activity.apply(deltas)]);
  }
}
