// The shape every benchmark in bench/ reports in, so bench/run.ts can print one table
// and write one JSON file for all of them.

export interface BenchOptions {
  /** A short run (seconds, not minutes) for smoke-checking the harness. */
  quick: boolean;
}

export interface BenchResult {
  benchmark: string;
  metric: string;
  ours: number;
  /** The same figure for the baseline run side by side; null when there is none. */
  baseline: number | null;
  unit: string;
  /** Anything a reader needs to interpret the row (a count check, a caveat). */
  note?: string;
  /** Set on rows that verify something (e.g. nothing acknowledged was lost). */
  check?: 'pass' | 'fail';
}

/** A module in bench/ that run.ts picks up: `export async function run(options)`. */
export interface BenchModule {
  run(options: BenchOptions): Promise<BenchResult[]>;
}

/** ours / baseline, or null when there is nothing to divide by. */
export function ratioOf(r: BenchResult): number | null {
  if (r.baseline === null || r.baseline === 0 || !Number.isFinite(r.baseline)) return null;
  return r.ours / r.baseline;
}
