// Small number helpers shared by the benchmarks: percentiles and readable figures.

/** The p-th percentile (0..100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A figure with about four significant digits, without exponent noise. */
export function formatNumber(n: number | null): string {
  if (n === null || Number.isNaN(n)) return '–';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs === 0) return '0';
  if (Number.isInteger(n) && abs < 1e9) return String(n);
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

export function formatRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '–';
  return `${r >= 10 ? r.toFixed(1) : r >= 0.01 ? r.toFixed(2) : r.toPrecision(2)}×`;
}
