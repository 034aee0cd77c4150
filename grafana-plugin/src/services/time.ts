// Time helpers: epoch values of unknown unit (trace views hand out µs, Loki ns), and the
// short durations shown in tables and timelines.

/** Epoch ms from a number in s, ms, µs or ns (told apart by magnitude; all real dates fit). */
export function toEpochMs(value: number | string | undefined | null): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  if (n === undefined || n === null || !Number.isFinite(n) || n <= 0) {
    return undefined;
  }
  if (n < 1e11) {
    return n * 1000;
  }
  if (n < 1e14) {
    return n;
  }
  if (n < 1e17) {
    return n / 1e3;
  }
  return n / 1e6;
}

/** Epoch ms from a decimal nanosecond string without losing precision to floats first. */
export function nsStringToMs(ns: string): number {
  if (!/^\d+$/.test(ns)) {
    return NaN;
  }
  return ns.length > 6 ? Number(ns.slice(0, -6)) + Number(`0.${ns.slice(-6)}`) : Number(ns) / 1e6;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '–';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${s % 60}s`;
  }
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** `mm:ss` (or `h:mm:ss`) offset from the start of a recording. */
export function formatOffset(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
