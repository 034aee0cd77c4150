// The on-disk form of one forward-queue record: a 12-byte header (magic, content length,
// CRC32 of the content) followed by the content (signal, content type, tenant, body).
// The CRC lets recovery tell a record cut short by a crash from a whole one.

import { crc32 } from 'node:zlib';
import type { ForwardPayload, Signal } from './forwarder.ts';

/** "ORQ1": otel-replay queue, record format 1. */
export const RECORD_MAGIC = 0x4f525131;
export const HEADER_BYTES = 12;
/** signal (1) + content type (1) + tenant length (2). */
const FIXED_CONTENT_BYTES = 4;
/** Hard cap on one record, far above any OTLP request the receiver accepts. */
export const MAX_CONTENT_BYTES = 1024 * 1024 * 1024;
export const MAX_TENANT_BYTES = 1024;

const SIGNALS: readonly Signal[] = ['logs', 'traces'];
const CONTENT_TYPES: readonly ForwardPayload['contentType'][] = ['application/json', 'application/x-protobuf'];

/** Total bytes a payload takes on disk, header included; throws on a payload that cannot be queued. */
export function recordSize(payload: ForwardPayload): number {
  checkPayload(payload);
  return HEADER_BYTES + FIXED_CONTENT_BYTES + Buffer.byteLength(payload.tenant, 'utf8') + payload.body.byteLength;
}

function checkPayload(payload: ForwardPayload): void {
  if (typeof payload !== 'object' || payload === null) throw new TypeError('forward payload must be an object');
  if (!SIGNALS.includes(payload.signal)) throw new TypeError(`forward payload signal must be logs or traces, got ${JSON.stringify(payload.signal)}`);
  if (!CONTENT_TYPES.includes(payload.contentType)) {
    throw new TypeError(`forward payload contentType must be application/json or application/x-protobuf, got ${JSON.stringify(payload.contentType)}`);
  }
  if (typeof payload.tenant !== 'string') throw new TypeError('forward payload tenant must be a string');
  if (Buffer.byteLength(payload.tenant, 'utf8') > MAX_TENANT_BYTES) throw new RangeError(`forward payload tenant is longer than ${MAX_TENANT_BYTES} bytes`);
  if (!(payload.body instanceof Uint8Array)) throw new TypeError('forward payload body must be a Uint8Array');
  const content = FIXED_CONTENT_BYTES + MAX_TENANT_BYTES + payload.body.byteLength;
  if (content > MAX_CONTENT_BYTES) throw new RangeError(`forward payload body of ${payload.body.byteLength} bytes is over the 1 GiB record limit`);
}

/** Header and content in one buffer, ready to append. */
export function encodeRecord(payload: ForwardPayload): Buffer {
  const size = recordSize(payload);
  const buf = Buffer.allocUnsafe(size);
  const tenantBytes = buf.write(payload.tenant, HEADER_BYTES + FIXED_CONTENT_BYTES, 'utf8');
  buf.writeUInt32LE(RECORD_MAGIC, 0);
  buf.writeUInt32LE(size - HEADER_BYTES, 4);
  buf[HEADER_BYTES] = SIGNALS.indexOf(payload.signal);
  buf[HEADER_BYTES + 1] = CONTENT_TYPES.indexOf(payload.contentType);
  buf.writeUInt16LE(tenantBytes, HEADER_BYTES + 2);
  buf.set(payload.body, HEADER_BYTES + FIXED_CONTENT_BYTES + tenantBytes);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 8);
  return buf;
}

/**
 * Reads a header: the content length when it is plausible, else null (a torn or foreign
 * record). `available` is how many bytes the file holds from the header on.
 */
export function readHeader(header: Uint8Array, available: number): { contentBytes: number; crc: number } | null {
  if (header.byteLength < HEADER_BYTES || available < HEADER_BYTES) return null;
  const view = Buffer.from(header.buffer, header.byteOffset, HEADER_BYTES);
  if (view.readUInt32LE(0) !== RECORD_MAGIC) return null;
  const contentBytes = view.readUInt32LE(4);
  if (contentBytes < FIXED_CONTENT_BYTES || contentBytes > MAX_CONTENT_BYTES) return null;
  if (HEADER_BYTES + contentBytes > available) return null;
  return { contentBytes, crc: view.readUInt32LE(8) };
}

/** Checks the content against the header's CRC and structure; returns the payload or null. */
export function decodeContent(content: Uint8Array, crc: number): ForwardPayload | null {
  if (content.byteLength < FIXED_CONTENT_BYTES || crc32(content) !== crc) return null;
  const signal = SIGNALS[content[0]!];
  const contentType = CONTENT_TYPES[content[1]!];
  const tenantBytes = content[2]! | (content[3]! << 8);
  if (!signal || !contentType || FIXED_CONTENT_BYTES + tenantBytes > content.byteLength) return null;
  const tenant = Buffer.from(content.buffer, content.byteOffset + FIXED_CONTENT_BYTES, tenantBytes).toString('utf8');
  const body = content.subarray(FIXED_CONTENT_BYTES + tenantBytes);
  return { signal, tenant, contentType, body };
}
