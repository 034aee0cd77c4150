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

export class NdjsonDecoder {
  private buffer = '';
  private lineNo = 0;
  private readonly decoder = new TextDecoder();

  /** Lines completed by this chunk. */
  push(chunk: Uint8Array | string): PlaybackLine[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: PlaybackLine[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) {
        out.push(this.parse(line));
      }
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }

  /** The last line when the stream did not end with a newline. */
  flush(): PlaybackLine[] {
    this.buffer += this.decoder.decode();
    const line = this.buffer.trim();
    this.buffer = '';
    return line ? [this.parse(line)] : [];
  }

  private parse(line: string): PlaybackLine {
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
