// Redaction of captured network headers and bodies: values of sensitive keys become
// "[REDACTED]" wherever they appear (JSON at any depth, form fields, key=value text),
// and bodies are cut to a byte budget after redaction, never before (a cut could hide a
// key from the redactor).

export const REDACTED = '[REDACTED]';

function isSensitive(key: string, redactKeys: readonly string[]): boolean {
  const k = key.toLowerCase();
  return redactKeys.some((r) => k === r.toLowerCase());
}

/** Allowlisted headers only (names compared lower-case), sensitive ones redacted. */
export function captureHeaders(headers: Iterable<[string, string]>, allow: readonly string[], redactKeys: readonly string[]): Record<string, string> {
  const allowed = new Set(allow.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (!allowed.has(n)) continue;
    out[n] = isSensitive(n, redactKeys) ? REDACTED : value;
  }
  return out;
}

function redactJson(value: unknown, redactKeys: readonly string[], depth: number): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactJson(v, redactKeys, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSensitive(k, redactKeys) ? REDACTED : redactJson(v, redactKeys, depth + 1);
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Redacts a body given as text, then truncates it to `maxBytes` UTF-8 bytes. */
export function redactBody(text: string, redactKeys: readonly string[], maxBytes: number): string {
  let out: string | null = null;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      out = JSON.stringify(redactJson(JSON.parse(text), redactKeys, 0));
    } catch {
      out = null;
    }
  }
  if (out === null && redactKeys.length) {
    // Form-encoded or free text: `key=value`, `key: value`, `"key": "value"`.
    const keys = redactKeys.map(escapeRegExp).join('|');
    const pattern = new RegExp(`((?:^|[^A-Za-z0-9_])"?(?:${keys})"?\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|[^&\\s,;]*)`, 'gi');
    out = text.replace(pattern, (_m, prefix: string, value: string) => `${prefix}${value.startsWith('"') ? `"${REDACTED}"` : REDACTED}`);
  }
  return truncateUtf8(out ?? text, maxBytes);
}

export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  // fatal:false turns a cut multi-byte character into U+FFFD; drop it.
  return new TextDecoder().decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD$/, '') + '…[truncated]';
}
