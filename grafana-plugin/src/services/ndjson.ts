// Incremental NDJSON decoding for the receiver's events stream: bytes arrive in arbitrary
// chunks, lines are handed out as soon as they are complete, so playback can start on the
// first segment instead of waiting for the whole session.
import type { PlaybackLine } from '../types';

export class StreamFormatError extends Error {
  override readonly name = 'StreamFormatError';
}

const LINE_TYPES = new Set(['start', 'segment', 'gap', 'damaged', 'error', 'end']);

/** Checks one parsed line against the stream's line types; anything else is a protocol error, said plainly. */
export function toPlaybackLine(value: unknown, lineNo: number): PlaybackLine {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StreamFormatError(`events stream line ${lineNo} is not a JSON object`);
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !LINE_TYPES.has(type)) {
    throw new StreamFormatError(
      `events stream line ${lineNo} has unknown type ${JSON.stringify(type)}; expected one of ${[...LINE_TYPES].join(', ')}`
    );
  }
  if (type === 'segment' && !Array.isArray((value as { events?: unknown }).events)) {
    throw new StreamFormatError(`events stream line ${lineNo} is a segment without an events array`);
  }
  return value as PlaybackLine;
}

/**
 * Splits the byte stream into lines (cheap, done as chunks arrive) and parses a line only
 * when asked (the costly part), so the caller can spread parsing over several tasks and keep
 * the page responsive while a long recording streams in.
 */
export class NdjsonDecoder {
  private buffer = '';
  private lineNo = 0;
  private readonly decoder = new TextDecoder();

  /** The non-empty lines completed by this chunk, unparsed and in order. */
  push(chunk: Uint8Array | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: string[] = [];
    // Scan by index and cut the buffer once: slicing the rest after every line would copy a
    // multi-megabyte chunk once per line.
    let from = 0;
    let nl = this.buffer.indexOf('\n', from);
    while (nl >= 0) {
      const line = this.buffer.slice(from, nl).trim();
      if (line) {
        out.push(line);
      }
      from = nl + 1;
      nl = this.buffer.indexOf('\n', from);
    }
    this.buffer = this.buffer.slice(from);
    return out;
  }

  /** The last line when the stream did not end with a newline. */
  flush(): string[] {
    this.buffer += this.decoder.decode();
    const line = this.buffer.trim();
    this.buffer = '';
    return line ? [line] : [];
  }

  /** One line as a playback line; lines must be parsed in the order push/flush handed them out. */
  parse(line: string): PlaybackLine {
    this.lineNo++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new StreamFormatError(`events stream line ${this.lineNo} is not valid JSON: ${line.slice(0, 80)}`);
    }
    return toPlaybackLine(value, this.lineNo);
  }
}
