// Turns console arguments and thrown values into bounded strings, without ever throwing
// (hostile objects: cycles, throwing getters, huge arrays) — pure, unit-tested.

const MAX_MESSAGE_CHARS = 4096;

function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    const seen = new WeakSet<object>();
    let budget = MAX_MESSAGE_CHARS;
    const json = JSON.stringify(value, (_key, v: unknown) => {
      if (budget-- <= 0) return undefined;
      if (typeof v === 'bigint') return String(v);
      if (v && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
        if (typeof Node !== 'undefined' && v instanceof Node) return `[${v.nodeName}]`;
      }
      return v;
    });
    return json ?? String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable]';
    }
  }
}

/** The console message: arguments joined by spaces, cut at 4 KiB characters. */
export function formatConsoleArgs(args: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length && out.length < MAX_MESSAGE_CHARS; i++) out += (i ? ' ' : '') + stringifyValue(args[i]);
  return out.length > MAX_MESSAGE_CHARS ? out.slice(0, MAX_MESSAGE_CHARS) + '…' : out;
}

export interface ExceptionFields {
  type: string;
  message: string;
  stacktrace: string | null;
}

/** semconv `exception.*` fields from whatever was thrown or rejected. */
export function exceptionFields(value: unknown, fallbackMessage = ''): ExceptionFields {
  try {
    if (value instanceof Error || (value && typeof value === 'object' && 'message' in value && 'name' in value)) {
      const e = value as Error;
      return { type: String(e.name || 'Error'), message: String(e.message ?? '').slice(0, MAX_MESSAGE_CHARS), stacktrace: typeof e.stack === 'string' ? e.stack.slice(0, 16384) : null };
    }
  } catch {
    // fall through: a throwing getter makes it an opaque value
  }
  const message = value === undefined || value === null ? fallbackMessage : stringifyValue(value);
  return { type: value === undefined || value === null ? 'Error' : typeof value === 'object' ? 'Object' : typeof value, message: message.slice(0, MAX_MESSAGE_CHARS), stacktrace: null };
}
