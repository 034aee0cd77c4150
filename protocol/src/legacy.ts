// The de-facto rrweb-over-OTLP format of Splunk's rrweb-era session recorder
// (@splunk/otel-web-session-recorder before v1.0) and its HyperDX fork
// (@hyperdx/otel-web-session-recorder), and how it maps onto our segments, so
// recordings from those SDKs replay too. Browser-safe: no node: imports.
//
// What those SDKs send, per rrweb event (read from their source):
// - the event is JSON.stringify'd, UTF-8 encoded and cut into byte slices of 950 KiB
//   (Splunk later 4000 KiB); each slice is decoded back to a string with TextDecoder and
//   sent as the `stringValue` body of one LogRecord. A cut inside a multi-byte character
//   turns its pieces into U+FFFD on both sides, so such text is lossy, but JSON stays
//   parseable (non-ASCII only occurs inside JSON strings);
// - attributes `rr-web.event` (event counter, from 1), `rr-web.chunk` (1..total),
//   `rr-web.total-chunks`, `rr-web.offset` (record counter, from 1). Both counters are
//   per page load: they restart at 1 on every page load and on a session change. Numbers
//   go out as doubles; collectors and ClickHouse may turn them into ints or strings;
// - the session id on the resource: `splunk.rumSessionId` (Splunk) or `rum.sessionId`
//   (HyperDX); a per-page-load random id on the resource: `splunk.scriptInstance` or
//   `rum.scriptInstance`;
// - timeUnixNano: Splunk puts the event's epoch *milliseconds* there; HyperDX multiplies
//   them by 1e6 (real nanoseconds).
//
// Mapping (docs/protocol.md, "Legacy rrweb-era records", says the same in prose):
// - window id: `legacy-<script instance>` when the resource carries one, else `legacy`;
//   the counters restart per page load, so without the instance two page loads of one
//   session would claim the same (window, seq) and the later one would be dropped;
// - events are ordered by (rr-web.offset, rr-web.event), never by timestamp;
// - a segment is a run of events of one request with consecutive event numbers; a run
//   also ends before a Meta or a FullSnapshot (so every snapshot starts a segment), before
//   an event that would push the body past SegmentLimits.maxBodyBytes, and around any
//   event whose chunks did not all arrive in the same request (`split`);
// - seq = the rr-web.event number of the segment's first event. All of the above depends
//   only on what one request carries, so a retried request yields the same
//   (session, window, seq) keys and its segments are dropped as duplicates. In a legacy
//   window seq advances by the event count: the next segment has seq = seq + eventCount,
//   anything larger is a gap.

import { MAX_EPOCH_MS, RrwebEventType, isRrwebEvent, segmentMetaOf } from './rrweb.ts';
import type { RrwebEvent } from './rrweb.ts';
import { ProtocolError, SegmentLimits, checkId, describeValue } from './segment.ts';
import type { AttributeValue, Attributes, Segment } from './segment.ts';

/** The four attributes that mark and number a legacy record. */
export const LegacyAttr = {
  event: 'rr-web.event',
  chunk: 'rr-web.chunk',
  totalChunks: 'rr-web.total-chunks',
  offset: 'rr-web.offset',
} as const;

/** Splunk's proprietary (non-rrweb) recorder adds this to its rr-web.* records. */
export const LEGACY_PROPRIETARY_ATTRIBUTE = 'segmentMetadata';

export interface AttributeSource {
  where: 'record' | 'resource';
  name: string;
}

/** Where the session id is looked for, in this order; the first present value is used. */
export const LEGACY_SESSION_ATTRIBUTES: readonly AttributeSource[] = [
  { where: 'record', name: 'session.id' },
  { where: 'record', name: 'splunk.rumSessionId' },
  { where: 'record', name: 'rum.sessionId' },
  { where: 'resource', name: 'session.id' },
  { where: 'resource', name: 'splunk.rumSessionId' },
  { where: 'resource', name: 'rum.sessionId' },
];

/** Where the per-page-load instance id is looked for (it names the window). */
export const LEGACY_INSTANCE_ATTRIBUTES: readonly AttributeSource[] = [
  { where: 'record', name: 'splunk.scriptInstance' },
  { where: 'record', name: 'rum.scriptInstance' },
  { where: 'resource', name: 'splunk.scriptInstance' },
  { where: 'resource', name: 'rum.scriptInstance' },
];

/** Window id of legacy records, alone or as the prefix `legacy-<instance>`. */
export const LEGACY_WINDOW_ID = 'legacy';

export const LegacyLimits = {
  /** rr-web.total-chunks above this is refused (950 KiB chunks: about 9 GiB). */
  maxTotalChunks: 10_000,
  /** Counters must fit a segment seq (an SQL integer). */
  maxCounter: SegmentLimits.maxSeq,
  /** One chunk body, in UTF-16 code units (Splunk's largest chunk is 4000 KiB of UTF-8). */
  maxChunkChars: 4 * 1024 * 1024,
  /** One reassembled event, in UTF-16 code units. */
  maxEventChars: 64 * 1024 * 1024,
} as const;

/** One legacy LogRecord, validated. */
export interface LegacyChunk {
  sessionId: string;
  windowId: string;
  /** rr-web.event */
  eventNumber: number;
  /** rr-web.chunk, 1..totalChunks */
  chunk: number;
  totalChunks: number;
  /** rr-web.offset */
  offset: number;
  /** Epoch ms from timeUnixNano with the unit quirk undone; 0 when the record had none. */
  timestamp: number;
  /** This chunk's slice of the event's JSON text. */
  body: string;
}

/** One reassembled rrweb event with its legacy counters. */
export interface LegacyEvent {
  sessionId: string;
  windowId: string;
  eventNumber: number;
  /** rr-web.offset of its first chunk. */
  offset: number;
  event: RrwebEvent;
  /** True when its chunks came in more than one request: it then forms a segment of its own. */
  split: boolean;
}

/** The chunks of one event that is not complete yet. */
export interface LegacyEventChunks<C extends LegacyChunk = LegacyChunk> {
  sessionId: string;
  windowId: string;
  eventNumber: number;
  totalChunks: number;
  chunks: C[];
}

export interface LegacyGrouping<C extends LegacyChunk> {
  /** Events whose chunks all came in this request, reassembled, with the chunks they came from. */
  complete: (LegacyEvent & { chunks: C[] })[];
  /** Events still missing chunks: park these until the rest arrives (see completeLegacyEvent). */
  incomplete: LegacyEventChunks<C>[];
  /** Chunks that can never form an event (bad JSON, conflicting chunks): reject their records. */
  rejected: { chunks: C[]; error: ProtocolError }[];
}


function present(v: AttributeValue | undefined): boolean {
  return v !== undefined && v !== null && v !== '';
}

function lookup(sources: readonly AttributeSource[], record: Attributes, resource: Attributes): { source: AttributeSource; value: AttributeValue } | null {
  for (const source of sources) {
    const value = (source.where === 'record' ? record : resource)[source.name];
    if (present(value)) return { source, value: value! };
  }
  return null;
}

/** True when a LogRecord carries the legacy marker `rr-web.event` (what HyperDX's collector routes on). */
export function isLegacyRecord(attrs: Attributes): boolean {
  return attrs[LegacyAttr.event] !== undefined;
}

/** The session id of a legacy record (see LEGACY_SESSION_ATTRIBUTES). Throws ProtocolError. */
export function legacySessionId(recordAttrs: Attributes, resourceAttrs: Attributes): string {
  const found = lookup(LEGACY_SESSION_ATTRIBUTES, recordAttrs, resourceAttrs);
  if (!found) {
    throw new ProtocolError(`legacy rrweb record has no session id: set ${LEGACY_SESSION_ATTRIBUTES.map((s) => `${s.where} attribute ${s.name}`).join(', or ')}`);
  }
  return checkId(`legacy rrweb record: ${found.source.where} attribute ${found.source.name}`, found.value);
}

/** The window id of a legacy record: `legacy-<script instance>` or `legacy`. Throws ProtocolError. */
export function legacyWindowId(recordAttrs: Attributes, resourceAttrs: Attributes): string {
  const found = lookup(LEGACY_INSTANCE_ATTRIBUTES, recordAttrs, resourceAttrs);
  if (!found) return LEGACY_WINDOW_ID;
  const kind = `legacy rrweb record: ${found.source.where} attribute ${found.source.name}`;
  checkId(kind, found.value);
  return checkId(kind, `${LEGACY_WINDOW_ID}-${found.value as string}`);
}

/** True for window ids produced by legacyWindowId (their seq advances by event count). */
export function isLegacyWindowId(windowId: string): boolean {
  return windowId === LEGACY_WINDOW_ID || windowId.startsWith(`${LEGACY_WINDOW_ID}-`);
}

/**
 * The seq the segment after (seq, eventCount) should have in a window: our SDK numbers
 * segments 0, 1, 2…; legacy windows number them by their first event. A stored seq past
 * this one means segments are missing (a gap).
 */
export function nextSeq(windowId: string, seq: number, eventCount: number): number {
  return isLegacyWindowId(windowId) ? seq + eventCount : seq + 1;
}

/** Reads a counter sent as a double, an int, a bigint or a decimal string. */
function counter(where: string, attrs: Attributes, name: string, min: number, max: number): number {
  const raw = attrs[name];
  let n: number | undefined;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'bigint') n = Number(raw);
  else if (typeof raw === 'string' && /^[0-9]{1,16}(?:\.0+)?$/.test(raw)) n = Number(raw);
  if (n === undefined || !Number.isInteger(n)) throw new ProtocolError(`${where}: attribute ${name} must be an integer (int, double or decimal string), got ${describeValue(raw)}`);
  if (n < min || n > max) throw new ProtocolError(`${where}: attribute ${name} = ${n} is outside ${min}..${max}`);
  return n;
}

const MS_BELOW = 100_000_000_000_000n; // 1e14: epoch ms until the year 5138
const US_BELOW = 100_000_000_000_000_000n; // 1e17: epoch µs until the year 5138

/**
 * Epoch ms from a legacy record's timeUnixNano, whatever unit the SDK put there:
 * below 1e14 it is taken as milliseconds (Splunk), below 1e17 as microseconds, else as
 * nanoseconds (HyperDX); rounded to the nearest millisecond. Real nanosecond times
 * since 1973 are all >= 1e17, and millisecond times never reach 1e14 before the year
 * 5138, so the ranges cannot mix. 0 (OTLP's "unknown") stays 0.
 */
export function legacyTimestampMs(timeUnixNano: bigint): number {
  if (timeUnixNano < 0n) throw new ProtocolError(`timeUnixNano ${timeUnixNano} is negative`);
  // Rounded, not floored: HyperDX computes ms * 1e6 in a double, which can land a few
  // hundred nanoseconds below the exact value.
  const ms = timeUnixNano < MS_BELOW ? timeUnixNano : timeUnixNano < US_BELOW ? (timeUnixNano + 500n) / 1000n : (timeUnixNano + 500_000n) / 1_000_000n;
  if (ms > BigInt(MAX_EPOCH_MS)) throw new ProtocolError(`timeUnixNano ${timeUnixNano} is after the year 9999 in any unit`);
  return Number(ms);
}

/**
 * Reads and validates one legacy LogRecord. `body` is the record's body as decoded
 * (must be a string); `timeUnixNano` its time field as sent. Throws ProtocolError.
 */
export function readLegacyChunk(recordAttrs: Attributes, resourceAttrs: Attributes, body: AttributeValue | undefined, timeUnixNano: bigint): LegacyChunk {
  const sessionId = legacySessionId(recordAttrs, resourceAttrs);
  const where = `legacy rrweb record of session ${sessionId}`;
  if (recordAttrs[LEGACY_PROPRIETARY_ATTRIBUTE] !== undefined) {
    throw new ProtocolError(`${where}: it has attribute ${LEGACY_PROPRIETARY_ATTRIBUTE}, so it comes from Splunk's proprietary recorder, whose format is not rrweb and cannot be replayed; record with the otel-replay SDK instead`);
  }
  const eventNumber = counter(where, recordAttrs, LegacyAttr.event, 0, LegacyLimits.maxCounter);
  const totalChunks = counter(where, recordAttrs, LegacyAttr.totalChunks, 1, LegacyLimits.maxTotalChunks);
  const chunk = counter(where, recordAttrs, LegacyAttr.chunk, 1, totalChunks);
  const offset = counter(where, recordAttrs, LegacyAttr.offset, 0, LegacyLimits.maxCounter);
  const what = `${where}, event ${eventNumber} chunk ${chunk}/${totalChunks}`;
  if (typeof body !== 'string') throw new ProtocolError(`${what}: body must be a string (a slice of the rrweb event's JSON), got ${describeValue(body)}`);
  if (body.length === 0) throw new ProtocolError(`${what}: body is empty`);
  if (body.length > LegacyLimits.maxChunkChars) throw new ProtocolError(`${what}: body is ${body.length} characters; at most ${LegacyLimits.maxChunkChars} are allowed`);
  let timestamp: number;
  try {
    timestamp = legacyTimestampMs(timeUnixNano);
  } catch (err) {
    throw new ProtocolError(`${what}: ${(err as Error).message}`);
  }
  const windowId = legacyWindowId(recordAttrs, resourceAttrs);
  return { sessionId, windowId, eventNumber, chunk, totalChunks, offset, timestamp, body };
}

function sameChunk(a: LegacyChunk, b: LegacyChunk): boolean {
  return a.totalChunks === b.totalChunks && a.offset === b.offset && a.body === b.body;
}

/**
 * Orders the chunks of one event by chunk number, merging exact duplicates (a retry can
 * bring a chunk that is already parked). Throws ProtocolError when chunks belong to
 * different events, disagree on the total, or the same chunk comes with two contents.
 * Returns the distinct chunks; some may still be missing.
 */
function orderChunks<C extends LegacyChunk>(chunks: readonly C[]): C[] {
  const first = chunks[0];
  if (!first) throw new ProtocolError('legacy rrweb event: no chunks given');
  const id = `event ${first.eventNumber} of session ${first.sessionId}`;
  const byChunk = new Map<number, C>();
  for (const c of chunks) {
    if (c.sessionId !== first.sessionId || c.windowId !== first.windowId || c.eventNumber !== first.eventNumber) {
      throw new ProtocolError(`${id}: chunk ${c.chunk} belongs to event ${c.eventNumber} of session ${c.sessionId} (window ${c.windowId})`);
    }
    if (c.totalChunks !== first.totalChunks) throw new ProtocolError(`${id}: chunks disagree on rr-web.total-chunks (${first.totalChunks} and ${c.totalChunks})`);
    const seen = byChunk.get(c.chunk);
    if (seen && !sameChunk(seen, c)) throw new ProtocolError(`${id}: chunk ${c.chunk} of ${c.totalChunks} arrived twice with different contents`);
    if (!seen) byChunk.set(c.chunk, c);
  }
  return [...byChunk.values()].sort((a, b) => a.chunk - b.chunk);
}

/**
 * Reassembles one rrweb event from all its chunks (any order, exact duplicates allowed).
 * Throws ProtocolError naming the session, event and chunk when a chunk is missing or
 * conflicting, the text is not JSON, or the JSON is not an rrweb event.
 */
export function assembleLegacyEvent(chunks: readonly LegacyChunk[]): RrwebEvent {
  const ordered = orderChunks(chunks);
  const first = ordered[0]!;
  const id = `event ${first.eventNumber} of session ${first.sessionId}`;
  for (let i = 0; i < first.totalChunks; i++) {
    if (ordered[i]?.chunk !== i + 1) throw new ProtocolError(`${id}: chunk ${i + 1} of ${first.totalChunks} is missing`);
  }
  let chars = 0;
  for (const c of ordered) chars += c.body.length;
  if (chars > LegacyLimits.maxEventChars) throw new ProtocolError(`${id}: reassembled event is ${chars} characters; at most ${LegacyLimits.maxEventChars} are allowed`);
  const text = ordered.map((c) => c.body).join('');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(`${id}: its ${first.totalChunks} chunk(s) do not form valid JSON (${(err as Error).message})`);
  }
  if (!isRrwebEvent(value)) throw new ProtocolError(`${id}: reassembled JSON is not an rrweb event (needs an object with an integer type and a timestamp in epoch ms), got ${describeValue(value)}`);
  return value;
}

/** Reassembles an event whose chunks came from several requests (parked ones plus new ones). */
export function completeLegacyEvent(chunks: readonly LegacyChunk[]): LegacyEvent {
  const event = assembleLegacyEvent(chunks);
  const first = orderChunks(chunks)[0]!;
  return { sessionId: first.sessionId, windowId: first.windowId, eventNumber: first.eventNumber, offset: first.offset, event, split: true };
}

/** True when `chunks` (of one event) hold every chunk 1..total. */
export function hasAllChunks(chunks: readonly LegacyChunk[]): boolean {
  const first = chunks[0];
  if (!first) return false;
  const have = new Set<number>();
  for (const c of chunks) if (c.totalChunks === first.totalChunks) have.add(c.chunk);
  for (let i = 1; i <= first.totalChunks; i++) if (!have.has(i)) return false;
  return true;
}

/**
 * Sorts the legacy chunks of one request by event: complete events are reassembled,
 * incomplete ones are returned for parking, broken ones for rejection. Never throws for
 * bad chunks; `C` lets a caller carry its own fields (a record path) through.
 */
export function groupLegacyChunks<C extends LegacyChunk>(chunks: readonly C[]): LegacyGrouping<C> {
  const byEvent = new Map<string, C[]>();
  for (const c of chunks) {
    const key = `${c.sessionId}\u0000${c.windowId}\u0000${c.eventNumber}`;
    const list = byEvent.get(key);
    if (list) list.push(c);
    else byEvent.set(key, [c]);
  }
  const out: LegacyGrouping<C> = { complete: [], incomplete: [], rejected: [] };
  for (const group of byEvent.values()) {
    const first = group[0]!;
    try {
      const ordered = orderChunks(group);
      if (ordered.length < first.totalChunks) {
        out.incomplete.push({ sessionId: first.sessionId, windowId: first.windowId, eventNumber: first.eventNumber, totalChunks: first.totalChunks, chunks: group });
        continue;
      }
      const event = assembleLegacyEvent(ordered);
      out.complete.push({ sessionId: first.sessionId, windowId: first.windowId, eventNumber: first.eventNumber, offset: ordered[0]!.offset, event, split: false, chunks: group });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      out.rejected.push({ chunks: group, error: err });
    }
  }
  return out;
}

/** What legacyEventsToSegments needs of an event. */
export interface LegacySegmentInput {
  eventNumber: number;
  offset: number;
  event: RrwebEvent;
  split?: boolean;
}

const encoder = new TextEncoder();

function startsSnapshot(e: RrwebEvent, prev: RrwebEvent): boolean {
  if (e.type === RrwebEventType.Meta) return true;
  // A FullSnapshot right after its Meta stays with it: together they start the segment.
  return e.type === RrwebEventType.FullSnapshot && prev.type !== RrwebEventType.Meta;
}

function toSegment(sessionId: string, windowId: string, run: { input: LegacySegmentInput; json: Uint8Array }[]): Segment {
  let bytes = 2 + run.length - 1;
  for (const r of run) bytes += r.json.length;
  const body = new Uint8Array(bytes);
  body[0] = 0x5b; // [
  let at = 1;
  run.forEach((r, i) => {
    if (i > 0) body[at++] = 0x2c; // ,
    body.set(r.json, at);
    at += r.json.length;
  });
  body[at] = 0x5d; // ]
  const meta = segmentMetaOf(run.map((r) => r.input.event), { sessionId, windowId, seq: run[0]!.input.eventNumber }, 'json');
  return { meta, body };
}

/**
 * Maps the reassembled events of one request (one session, one window) to segments by
 * the rule at the top of this file. Deterministic: the same events in any order give
 * the same segments. Throws ProtocolError on bad ids, bad counters, a repeated event
 * number or a value that is not an rrweb event.
 */
export function legacyEventsToSegments(sessionId: string, events: readonly LegacySegmentInput[], windowId: string = LEGACY_WINDOW_ID): Segment[] {
  checkId('legacy session id', sessionId);
  checkId('legacy window id', windowId);
  for (const e of events) {
    const what = `legacy event ${describeValue(e.eventNumber)} of session ${sessionId}`;
    if (!Number.isInteger(e.eventNumber) || e.eventNumber < 0 || e.eventNumber > LegacyLimits.maxCounter) throw new ProtocolError(`${what}: event number is not an integer in 0..${LegacyLimits.maxCounter}`);
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > LegacyLimits.maxCounter) throw new ProtocolError(`${what}: offset ${describeValue(e.offset)} is not an integer in 0..${LegacyLimits.maxCounter}`);
    if (!isRrwebEvent(e.event)) throw new ProtocolError(`${what}: not an rrweb event, got ${describeValue(e.event)}`);
  }
  const sorted = [...events].sort((a, b) => a.offset - b.offset || a.eventNumber - b.eventNumber);
  const numbers = new Set<number>();
  for (const e of sorted) {
    if (numbers.has(e.eventNumber)) throw new ProtocolError(`legacy event ${e.eventNumber} of session ${sessionId} appears twice`);
    numbers.add(e.eventNumber);
  }
  const segments: Segment[] = [];
  let run: { input: LegacySegmentInput; json: Uint8Array }[] = [];
  let runBytes = 0;
  for (const input of sorted) {
    let text: string;
    try {
      text = JSON.stringify(input.event);
    } catch (err) {
      throw new ProtocolError(`legacy event ${input.eventNumber} of session ${sessionId}: cannot be written as JSON (${(err as Error).message})`);
    }
    const json = encoder.encode(text);
    const prev = run[run.length - 1];
    const breakHere = prev !== undefined && (
      prev.input.split === true || input.split === true
      || input.eventNumber !== prev.input.eventNumber + 1
      || startsSnapshot(input.event, prev.input.event)
      || runBytes + 1 + json.length > SegmentLimits.maxBodyBytes
    );
    if (breakHere) {
      segments.push(toSegment(sessionId, windowId, run));
      run = [];
    }
    runBytes = run.length === 0 ? 2 + json.length : runBytes + 1 + json.length;
    run.push({ input, json });
  }
  if (run.length) segments.push(toSegment(sessionId, windowId, run));
  return segments;
}

/** legacyEventsToSegments for events of any sessions and windows (grouped, in a stable order). */
export function legacySegments(events: readonly LegacyEvent[]): Segment[] {
  const groups = new Map<string, LegacyEvent[]>();
  for (const e of events) {
    const key = `${e.sessionId}\u0000${e.windowId}`;
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  const out: Segment[] = [];
  for (const key of [...groups.keys()].sort()) {
    const list = groups.get(key)!;
    out.push(...legacyEventsToSegments(list[0]!.sessionId, list, list[0]!.windowId));
  }
  return out;
}
