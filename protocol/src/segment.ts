// The replay segment: how a stretch of one tab's rrweb recording travels as one OTLP
// LogRecord. This file is the single source of truth for its event name, attribute
// names and limits; the SDK writes with `segmentAttributes`, the receiver reads with
// `readSegmentAttributes`. docs/protocol.md describes the same contract in prose.

/** Bumped only for changes an older receiver cannot read. */
export const PROTOCOL_VERSION = 1;

/** `LogRecord.event_name` of every replay segment (routing in a Collector keys on it). */
export const SEGMENT_EVENT_NAME = 'otel_replay.segment';

/** Attribute names carried by a segment LogRecord. `session.id` is the semconv name. */
export const SegmentAttr = {
  sessionId: 'session.id',
  windowId: 'replay.window.id',
  seq: 'replay.segment.seq',
  firstTimestamp: 'replay.segment.first_ts',
  lastTimestamp: 'replay.segment.last_ts',
  eventCount: 'replay.segment.event_count',
  fullSnapshot: 'replay.segment.full_snapshot',
  encoding: 'replay.segment.encoding',
  protocolVersion: 'replay.protocol.version',
} as const;

/**
 * How the body holds the JSON array of rrweb events:
 * - `gzip-json`: `bytesValue` = one gzip member whose content is the UTF-8 JSON array;
 * - `json`: `stringValue` = the JSON array itself (for browsers without CompressionStream/fflate).
 */
export type SegmentEncoding = 'gzip-json' | 'json';
export const SEGMENT_ENCODINGS: readonly SegmentEncoding[] = ['gzip-json', 'json'];

/** Limits every party enforces. Sizes are of the body as sent (compressed when gzip-json). */
export const SegmentLimits = {
  /** A segment body never exceeds this; the receiver rejects larger ones. */
  maxBodyBytes: 1024 * 1024,
  /** A gzip-json body never inflates past this; the receiver refuses the segment (a bomb inside a valid request). */
  maxInflatedBytes: 64 * 1024 * 1024,
  /** What an SDK aims for when it flushes on page hide (fetch keepalive budget is 64 KiB for all bodies). */
  pageHideBodyBytes: 56 * 1024,
  /** Ids are opaque printable ASCII: no path separators, no control characters, bounded. */
  maxIdLength: 128,
  /** Sequence numbers are non-negative integers below 2^31 (fit an SQL integer). */
  maxSeq: 2 ** 31 - 1,
  /** rrweb events a segment may claim to carry. */
  maxEventCount: 1_000_000,
} as const;

/** What the index and the query API know about a segment, without its body. */
export interface SegmentMeta {
  sessionId: string;
  windowId: string;
  /** Monotonic per (session, window), starting at 0. Order is by (window, seq), never by time. */
  seq: number;
  /** Epoch milliseconds of the first and last rrweb event in the segment (rrweb's own unit). */
  firstTimestamp: number;
  lastTimestamp: number;
  eventCount: number;
  /** True when the segment starts with a Meta + FullSnapshot pair: playback can start here. */
  hasFullSnapshot: boolean;
  encoding: SegmentEncoding;
  protocolVersion: number;
}

/** A segment as received: its metadata and its body bytes exactly as sent. */
export interface Segment {
  meta: SegmentMeta;
  /** gzip-json: the gzip bytes as sent. json: the UTF-8 bytes of the string as sent. */
  body: Uint8Array;
}

/** Attribute values as an OTLP decoder presents them (AnyValue flattened to JS). */
export type AttributeValue = string | number | boolean | bigint | Uint8Array | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue | undefined>;

/** The attributes an SDK puts on a segment LogRecord (the body is set separately). */
export function segmentAttributes(meta: SegmentMeta): Record<string, string | number | boolean> {
  return {
    [SegmentAttr.sessionId]: meta.sessionId,
    [SegmentAttr.windowId]: meta.windowId,
    [SegmentAttr.seq]: meta.seq,
    [SegmentAttr.firstTimestamp]: meta.firstTimestamp,
    [SegmentAttr.lastTimestamp]: meta.lastTimestamp,
    [SegmentAttr.eventCount]: meta.eventCount,
    [SegmentAttr.fullSnapshot]: meta.hasFullSnapshot,
    [SegmentAttr.encoding]: meta.encoding,
    [SegmentAttr.protocolVersion]: meta.protocolVersion,
  };
}

/** A reason a record or value was refused, phrased for the client that sent it. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/**
 * Ids (session, window, tenant) end up in object keys, SQL rows, URLs and HTTP headers,
 * so they are restricted to a safe alphabet. UUIDs, ULIDs and nanoids all fit.
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export function checkId(kind: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new ProtocolError(`${kind} is missing or not a string`);
  if (value.length > SegmentLimits.maxIdLength) throw new ProtocolError(`${kind} is ${value.length} characters long; at most ${SegmentLimits.maxIdLength} are allowed`);
  if (!SAFE_ID.test(value) || value.includes('..')) throw new ProtocolError(`${kind} ${JSON.stringify(value.slice(0, 40))} has characters outside [A-Za-z0-9._:-] or a '..'`);
  return value;
}

export function isSafeId(value: unknown): value is string {
  try {
    checkId('id', value);
    return true;
  } catch {
    return false;
  }
}

function integerAttr(attrs: Attributes, name: string, min: number, max: number): number {
  const raw = attrs[name];
  const n = typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ProtocolError(`attribute ${name} must be an integer, got ${describeValue(raw)}`);
  if (n < min || n > max) throw new ProtocolError(`attribute ${name} = ${n} is outside ${min}..${max}`);
  return n;
}

/** A short, safe rendering of a received value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (attribute missing)';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  let s: string;
  try {
    s = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
  } catch {
    // An array or kvlist holding a bigint cannot be JSON-stringified.
    s = Array.isArray(v) ? 'an array' : typeof v;
  }
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Reads and validates segment metadata from a LogRecord's attributes. Throws ProtocolError. */
export function readSegmentAttributes(attrs: Attributes): SegmentMeta {
  const sessionId = checkId(`attribute ${SegmentAttr.sessionId}`, attrs[SegmentAttr.sessionId]);
  const windowId = checkId(`attribute ${SegmentAttr.windowId}`, attrs[SegmentAttr.windowId]);
  const seq = integerAttr(attrs, SegmentAttr.seq, 0, SegmentLimits.maxSeq);
  // Milliseconds since the epoch, up to year 9999: a nanosecond value here is a client bug.
  const firstTimestamp = integerAttr(attrs, SegmentAttr.firstTimestamp, 0, 253402300799999);
  const lastTimestamp = integerAttr(attrs, SegmentAttr.lastTimestamp, 0, 253402300799999);
  if (lastTimestamp < firstTimestamp) throw new ProtocolError(`attribute ${SegmentAttr.lastTimestamp} (${lastTimestamp}) is before ${SegmentAttr.firstTimestamp} (${firstTimestamp})`);
  const eventCount = integerAttr(attrs, SegmentAttr.eventCount, 1, SegmentLimits.maxEventCount);
  const full = attrs[SegmentAttr.fullSnapshot];
  if (typeof full !== 'boolean') throw new ProtocolError(`attribute ${SegmentAttr.fullSnapshot} must be a boolean, got ${describeValue(full)}`);
  const encoding = attrs[SegmentAttr.encoding];
  if (encoding !== 'gzip-json' && encoding !== 'json') throw new ProtocolError(`attribute ${SegmentAttr.encoding} must be one of ${SEGMENT_ENCODINGS.join(', ')}, got ${describeValue(encoding)}`);
  const protocolVersion = integerAttr(attrs, SegmentAttr.protocolVersion, 1, 1000);
  if (protocolVersion > PROTOCOL_VERSION) throw new ProtocolError(`protocol version ${protocolVersion} is newer than this receiver's ${PROTOCOL_VERSION}; upgrade the receiver`);
  return { sessionId, windowId, seq, firstTimestamp, lastTimestamp, eventCount, hasFullSnapshot: full, encoding, protocolVersion };
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 18 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1 && bytes[2] === 8;
}

/**
 * Checks that a LogRecord body matches the declared encoding and returns the bytes to
 * store. A gzip-json body must be bytes starting with a gzip header; a json body must be
 * a string. Decompression and JSON validity are checked by the receiver (it owns zlib).
 */
export function segmentBodyBytes(meta: SegmentMeta, body: AttributeValue | undefined): Uint8Array {
  if (meta.encoding === 'gzip-json') {
    if (!(body instanceof Uint8Array)) throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: encoding gzip-json needs a bytes body, got ${describeValue(body)}`);
    if (!isGzip(body)) throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: body is not gzip`);
    if (body.length > SegmentLimits.maxBodyBytes) throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: body is ${body.length} bytes; at most ${SegmentLimits.maxBodyBytes} are allowed`);
    return body;
  }
  if (typeof body !== 'string') throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: encoding json needs a string body, got ${describeValue(body)}`);
  const bytes = new TextEncoder().encode(body);
  if (bytes.length > SegmentLimits.maxBodyBytes) throw new ProtocolError(`segment ${meta.seq} of session ${meta.sessionId}: body is ${bytes.length} bytes; at most ${SegmentLimits.maxBodyBytes} are allowed`);
  return bytes;
}
