// The index row of one stored segment: where its bytes are (object key, byte range) and
// what the query API needs to plan playback without reading any object.

import type { SegmentEncoding } from './segment.ts';

export interface SegmentIndexRow {
  tenant: string;
  sessionId: string;
  windowId: string;
  seq: number;
  firstTimestamp: number;
  lastTimestamp: number;
  eventCount: number;
  hasFullSnapshot: boolean;
  /** Encoding as the client sent it; the stored member is always gzip (see framing.ts). */
  encoding: SegmentEncoding;
  objectKey: string;
  /** Byte offset and length of the segment's gzip member inside the object. */
  offset: number;
  length: number;
  /** Epoch ms at which the receiver committed the row. */
  receivedAt: number;
}
