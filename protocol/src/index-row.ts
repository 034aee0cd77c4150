// The index row of one stored segment: where its bytes are (object key, byte range) and
// what the query API needs to plan playback without reading any object.

import type { SegmentMeta } from './segment.ts';

/** The segment's metadata (encoding as the client sent it; the stored member is always gzip, see framing.ts) plus where it is. */
export interface SegmentIndexRow extends Omit<SegmentMeta, 'protocolVersion'> {
  tenant: string;
  objectKey: string;
  /** Byte offset and length of the segment's gzip member inside the object. */
  offset: number;
  length: number;
  /** Epoch ms at which the receiver committed the row. */
  receivedAt: number;
}
