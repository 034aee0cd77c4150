// HTTP body framing of an OTLP request: which encoding the Content-Type names, and the
// body bytes after undoing Content-Encoding under a cap on the inflated size.

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { OtlpError } from './errors.ts';
import type { OtlpEncoding } from './model.ts';

const MEDIA_TYPES: Readonly<Record<string, OtlpEncoding>> = {
  'application/json': 'json',
  'application/x-protobuf': 'protobuf',
};
const ACCEPTED_MEDIA_TYPES = Object.keys(MEDIA_TYPES).join(' or ');

/** The response content type for an encoding (the request's, without parameters). */
export function mediaTypeOf(encoding: OtlpEncoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** Which OTLP encoding a Content-Type header names; parameters such as charset are ignored. */
export function parseContentType(header: string | undefined): OtlpEncoding {
  if (header === undefined || header.trim() === '') {
    throw new OtlpError(415, `request has no Content-Type; send ${ACCEPTED_MEDIA_TYPES}`);
  }
  const mediaType = (header.split(';', 1)[0] ?? '').trim().toLowerCase();
  const encoding = MEDIA_TYPES[mediaType];
  if (encoding === undefined) {
    throw new OtlpError(415, `Content-Type ${JSON.stringify(shorten(header))} is not supported; send ${ACCEPTED_MEDIA_TYPES}`);
  }
  return encoding;
}

type Inflate = (input: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

const gunzip: Inflate = promisify(zlib.gunzip);
const inflate: Inflate = promisify(zlib.inflate);
const inflateRaw: Inflate = promisify(zlib.inflateRaw);
const brotli: Inflate = promisify(zlib.brotliDecompress);
const zstd: Inflate = promisify(zlib.zstdDecompress);

// `deflate` in HTTP means the zlib format, but some clients send a bare deflate stream, so
// the zlib header decides.
function inflateEither(input: Buffer, options: { maxOutputLength: number }): Promise<Buffer> {
  const [cmf = 0, flg = 0] = input;
  const zlibWrapped = (cmf & 0x0f) === 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 === 0;
  return zlibWrapped ? inflate(input, options) : inflateRaw(input, options);
}

const DECODERS: Readonly<Record<string, Inflate>> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: inflateEither,
  zstd,
  br: brotli,
};
const ACCEPTED_ENCODINGS = `identity, ${Object.keys(DECODERS).join(', ')}`;

/**
 * The body with its Content-Encoding undone. Inflating stops as soon as the output passes
 * `maxDecompressedBytes` (413), so a compression bomb costs at most the cap in memory.
 * Corrupt compressed data is a 400; an encoding we cannot undo a 415.
 */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxDecompressedBytes: number): Promise<Buffer> {
  const name = codingOf(contentEncoding);
  const decode = name === 'identity' ? undefined : DECODERS[name];
  if (name !== 'identity' && decode === undefined) {
    throw new OtlpError(415, `Content-Encoding ${JSON.stringify(shorten(name))} is not supported; send one of ${ACCEPTED_ENCODINGS}`);
  }
  if (decode === undefined) {
    if (raw.length > maxDecompressedBytes) throw tooLarge(maxDecompressedBytes);
    return raw;
  }
  try {
    // zlib runs on the thread pool and gives up once maxOutputLength bytes are out.
    const body = await decode(raw, { maxOutputLength: maxDecompressedBytes });
    if (body.length > maxDecompressedBytes) throw tooLarge(maxDecompressedBytes);
    return body;
  } catch (error) {
    if (error instanceof OtlpError) throw error;
    if (isCode(error, 'ERR_BUFFER_TOO_LARGE')) throw tooLarge(maxDecompressedBytes);
    const reason = error instanceof Error ? error.message : String(error);
    throw new OtlpError(400, `request body is not valid ${name} data (${reason}); compress the body with the algorithm named in Content-Encoding`, { cause: error });
  }
}

// One coding only: a list such as "gzip, br" means the client compressed twice, which
// no OTLP exporter does, so it is refused rather than undone step by step.
function codingOf(header: string | undefined): string {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length > 1) {
    throw new OtlpError(415, `Content-Encoding ${JSON.stringify(shorten(header ?? ''))} stacks several codings; only a single one of ${ACCEPTED_ENCODINGS} is supported`);
  }
  return codings[0] ?? 'identity';
}

function tooLarge(max: number): OtlpError {
  return new OtlpError(413, `request body is larger than ${max} bytes once decompressed; send smaller batches`);
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
