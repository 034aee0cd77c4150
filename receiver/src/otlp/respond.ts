// OTLP/HTTP response bodies: Export*ServiceResponse for 200s (empty on full success,
// partial_success when records were refused) and google.rpc.Status for errors, in the
// request's encoding. Messages are trimmed so a body stays far below the 4 MiB the
// spec allows a response.

import { mediaTypeOf } from './content.ts';
import type { OtlpEncoding } from './model.ts';
import { ExportLogsServiceResponse, ExportTraceServiceResponse, RpcStatus } from './schema.ts';

/** error_message / Status.message are cut to this many UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export interface EncodedResponse {
  contentType: string;
  body: Buffer;
}

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

const REJECTED_FIELD = { logs: 'rejectedLogRecords', traces: 'rejectedSpans' } as const;

export function encodeExportResponse(signal: 'logs' | 'traces', encoding: OtlpEncoding, partial?: PartialSuccess): EncodedResponse {
  const contentType = mediaTypeOf(encoding);
  if (partial === undefined) {
    return { contentType, body: encoding === 'json' ? Buffer.from('{}') : Buffer.alloc(0) };
  }
  const rejected = Math.max(0, Math.trunc(partial.rejected));
  const errorMessage = trimUtf8(partial.errorMessage, MAX_MESSAGE_BYTES);
  if (encoding === 'json') {
    // int64 travels as a decimal string in OTLP/JSON; zero fields are left out as proto3 does.
    const inner: Record<string, string> = {};
    if (rejected > 0) inner[REJECTED_FIELD[signal]] = String(rejected);
    if (errorMessage !== '') inner['errorMessage'] = errorMessage;
    return { contentType, body: Buffer.from(JSON.stringify({ partialSuccess: inner }), 'utf8') };
  }
  const type = signal === 'logs' ? ExportLogsServiceResponse : ExportTraceServiceResponse;
  const message = type.fromObject({ partialSuccess: { [REJECTED_FIELD[signal]]: rejected, errorMessage } });
  return { contentType, body: Buffer.from(type.encode(message).finish()) };
}

/** A google.rpc.Status body for an error response (`code` is a google.rpc.Code). */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): EncodedResponse {
  const contentType = mediaTypeOf(encoding);
  const trimmed = trimUtf8(message, MAX_MESSAGE_BYTES);
  if (encoding === 'json') return { contentType, body: Buffer.from(JSON.stringify({ code, message: trimmed }), 'utf8') };
  return { contentType, body: Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code, message: trimmed })).finish()) };
}

const encoder = new TextEncoder();
const SUFFIX = '… (truncated)';

/** `text` cut to at most `maxBytes` UTF-8 bytes on a character boundary. */
export function trimUtf8(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no measuring.
  if (text.length * 3 <= maxBytes) return text;
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const room = new Uint8Array(Math.max(0, maxBytes - Buffer.byteLength(SUFFIX)));
  const { read } = encoder.encodeInto(text, room);
  return text.slice(0, read) + SUFFIX;
}
