// Validation of object keys, list prefixes and byte ranges, shared by every ObjectStore backend.
// Keys become file paths in the filesystem backend, so anything that could climb out of
// the storage root or alias another file is refused before it reaches the disk or S3.

/** Longer keys are refused: S3 allows 1024 bytes, most filesystems 4096 per path. */
export const MAX_KEY_LENGTH = 1024;

/** A key or prefix that cannot be stored safely; a caller bug, never a store outage. */
export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}

function describe(key: string): string {
  return JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key);
}

function checkCommon(kind: string, key: unknown): string {
  if (typeof key !== 'string') throw new InvalidObjectKeyError(`object ${kind} must be a string, got ${typeof key}`);
  if (key.length > MAX_KEY_LENGTH) throw new InvalidObjectKeyError(`object ${kind} ${describe(key)} is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed`);
  if (key.startsWith('/')) throw new InvalidObjectKeyError(`object ${kind} ${describe(key)} is absolute; keys are relative '/'-separated paths`);
  if (key.includes('\\')) throw new InvalidObjectKeyError(`object ${kind} ${describe(key)} contains a backslash; use '/' as the only separator`);
  if (key.includes('\u0000')) throw new InvalidObjectKeyError(`object ${kind} ${describe(key)} contains a NUL character`);
  return key;
}

/**
 * Checks a whole object key: non-empty '/'-separated segments, none empty and none
 * starting with '.' (that rules out '.' and '..', and keeps hidden names free for the
 * filesystem backend's temporary files).
 */
export function checkObjectKey(key: unknown): string {
  const k = checkCommon('key', key);
  if (k.length === 0) throw new InvalidObjectKeyError('object key is empty');
  for (const segment of k.split('/')) {
    if (segment.length === 0) throw new InvalidObjectKeyError(`object key ${describe(k)} has an empty path segment ('//' or a trailing '/')`);
    if (segment.startsWith('.')) throw new InvalidObjectKeyError(`object key ${describe(k)} has a segment starting with '.' (${describe(segment)}); '.' and '..' could escape the storage root`);
  }
  return k;
}

/**
 * Checks a list prefix. Like S3, a prefix need not end at a '/' ("t1/segments/v1/2025-")
 * and may be empty (everything); its complete segments follow the key rules.
 */
export function checkPrefix(prefix: unknown): string {
  const p = checkCommon('prefix', prefix);
  const segments = p.split('/');
  // The last piece is a partial name (or '' when the prefix ends with '/').
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment.length === 0 && !last) throw new InvalidObjectKeyError(`object prefix ${describe(p)} has an empty path segment`);
    if (segment.startsWith('.')) throw new InvalidObjectKeyError(`object prefix ${describe(p)} has a segment starting with '.' (${describe(segment)})`);
  }
  return p;
}

/** Validates a byte range request. */
export function checkRange(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`byte range ${offset}+${length} of object ${JSON.stringify(key)} is not a pair of non-negative integers`);
  }
}
