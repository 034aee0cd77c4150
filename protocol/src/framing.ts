// The storage object written by one group commit: the segments of one tenant received in
// a short window, packed into one object so the store sees about one PUT per second per
// receiver instead of one per segment. Reads fetch one segment with a byte-range GET.
//
// Layout (version 1), all offsets from the start of the object:
//
//   [member 0][member 1]...[member n-1][manifest][footer]
//
// - member i: one complete gzip stream (RFC 1952) whose content is segment i's JSON array
//   of rrweb events. A gzip-json segment is stored exactly as the client sent it, so the
//   query API returns the same bytes; a json segment is gzipped by the receiver.
//   Because every member is a whole gzip stream, `zcat` of the members alone yields the
//   JSON arrays back to back.
// - manifest: UTF-8 JSON (`ObjectManifest`) naming every member and its byte range, so
//   an index can be rebuilt from the objects alone.
// - footer: 16 bytes: ASCII magic "ORPLOBJ1", manifest offset (uint32 BE), manifest
//   length (uint32 BE). Objects are therefore smaller than 4 GiB (they are a few MiB).

import type { SegmentMeta } from './segment.ts';
import { ProtocolError, checkId, describeValue, readSegmentAttributes, segmentAttributes } from './segment.ts';

export const OBJECT_MAGIC = 'ORPLOBJ1';
export const OBJECT_FORMAT_VERSION = 1;
export const FOOTER_BYTES = 16;
/** File name suffix of storage objects. */
export const OBJECT_SUFFIX = '.orp';

export interface ManifestEntry extends SegmentMeta {
  offset: number;
  length: number;
}

export interface ObjectManifest {
  format: 'otel-replay-object';
  version: number;
  tenant: string;
  /** Epoch ms when the object was framed. */
  createdAt: number;
  segments: ManifestEntry[];
}

export interface FramedObject {
  bytes: Uint8Array;
  /** Same order as the input: where each member landed. */
  placements: { offset: number; length: number }[];
}

/** Packs gzip members (one per segment) into one object with manifest and footer. */
export function frameObject(tenant: string, createdAt: number, members: { meta: SegmentMeta; gzip: Uint8Array }[]): FramedObject {
  const placements: { offset: number; length: number }[] = [];
  let offset = 0;
  for (const m of members) {
    placements.push({ offset, length: m.gzip.length });
    offset += m.gzip.length;
  }
  const manifest: ObjectManifest = {
    format: 'otel-replay-object',
    version: OBJECT_FORMAT_VERSION,
    tenant,
    createdAt,
    segments: members.map((m, i) => ({ ...m.meta, ...placements[i]! })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const total = offset + manifestBytes.length + FOOTER_BYTES;
  if (total > 0xffffffff) throw new ProtocolError(`object of ${total} bytes is too large to frame; flush smaller groups`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const m of members) {
    out.set(m.gzip, at);
    at += m.gzip.length;
  }
  out.set(manifestBytes, at);
  const footer = new DataView(out.buffer, out.byteOffset + at + manifestBytes.length, FOOTER_BYTES);
  for (let i = 0; i < 8; i++) footer.setUint8(i, OBJECT_MAGIC.charCodeAt(i));
  footer.setUint32(8, at);
  footer.setUint32(12, manifestBytes.length);
  return { bytes: out, placements };
}

/** Reads the footer (the last 16 bytes of an object): where the manifest is. */
export function readFooter(tail: Uint8Array): { manifestOffset: number; manifestLength: number } {
  if (tail.length < FOOTER_BYTES) throw new ProtocolError(`object footer needs ${FOOTER_BYTES} bytes, got ${tail.length}`);
  const view = new DataView(tail.buffer, tail.byteOffset + tail.length - FOOTER_BYTES, FOOTER_BYTES);
  for (let i = 0; i < 8; i++) {
    if (view.getUint8(i) !== OBJECT_MAGIC.charCodeAt(i)) throw new ProtocolError('object footer has no ORPLOBJ1 magic: not an otel-replay object, or truncated');
  }
  return { manifestOffset: view.getUint32(8), manifestLength: view.getUint32(12) };
}

/** Parses a whole object's manifest and checks every member range lies inside the object. */
export function readManifest(object: Uint8Array): ObjectManifest {
  const { manifestOffset, manifestLength } = readFooter(object);
  if (manifestOffset + manifestLength + FOOTER_BYTES !== object.length) throw new ProtocolError(`object manifest range ${manifestOffset}+${manifestLength} does not end at the footer of a ${object.length}-byte object`);
  let manifest: ObjectManifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(object.subarray(manifestOffset, manifestOffset + manifestLength))) as ObjectManifest;
  } catch (err) {
    throw new ProtocolError(`object manifest is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (manifest?.format !== 'otel-replay-object' || manifest.version !== OBJECT_FORMAT_VERSION || !Array.isArray(manifest.segments)) {
    throw new ProtocolError('object manifest has an unknown format or version');
  }
  const segments: ManifestEntry[] = [];
  for (const s of manifest.segments as unknown[] as ManifestEntry[]) {
    // A corrupt manifest may hold anything, including null, in place of an entry.
    if (typeof s !== 'object' || s === null) throw new ProtocolError('object manifest has an entry that is not an object');
    const what = `object manifest entry for segment ${describeValue(s.seq)} of session ${describeValue(s.sessionId)}`;
    if (!Number.isInteger(s.offset) || !Number.isInteger(s.length) || s.offset < 0 || s.length <= 0 || s.offset + s.length > manifestOffset) {
      throw new ProtocolError(`${what} points outside the members`);
    }
    // An index rebuilt from this manifest trusts its entries as it trusts received
    // segments, so they pass the same checks (and come back with only the known fields).
    let meta: SegmentMeta;
    try {
      meta = readSegmentAttributes(segmentAttributes(s));
    } catch (err) {
      throw new ProtocolError(`${what} has bad metadata: ${(err as Error).message}`);
    }
    segments.push({ ...meta, offset: s.offset, length: s.length });
  }
  // Members are back to back: entries sharing bytes mean the manifest is damaged.
  const byOffset = [...segments].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    if (byOffset[i]!.offset < prev.offset + prev.length) {
      throw new ProtocolError(`object manifest entries for segments ${prev.seq} and ${byOffset[i]!.seq} overlap at byte ${byOffset[i]!.offset}`);
    }
  }
  checkId('object manifest tenant', manifest.tenant);
  if (!Number.isSafeInteger(manifest.createdAt) || manifest.createdAt < 0) throw new ProtocolError(`object manifest createdAt ${describeValue(manifest.createdAt)} is not an epoch ms integer`);
  return { ...manifest, segments };
}

/**
 * The key of a new object. Tenant first, so lifecycle rules and deletions can work per
 * tenant; then the UTC day, so an operator can find a day's data; then a name unique per
 * instance. `instanceId` and `nonce` must be safe ids.
 */
export function objectKey(tenant: string, createdAt: number, instanceId: string, nonce: string): string {
  checkId('tenant', tenant);
  checkId('instance id', instanceId);
  checkId('object nonce', nonce);
  const d = new Date(createdAt);
  const day = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${tenant}/segments/v${OBJECT_FORMAT_VERSION}/${day}/${instanceId}-${createdAt}-${nonce}${OBJECT_SUFFIX}`;
}
