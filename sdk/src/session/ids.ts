// Random ids for sessions and windows: 32 lowercase hex digits (128 bits), the shape
// semconv examples and the protocol's safe-id rule (docs/protocol.md 2.6) both accept.

export function randomHexId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
