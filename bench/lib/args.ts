// Command-line arguments shared by the load benchmarks.

/** Parses a `--interval-ms` argument: `MS` or `MIN-MAX` (each session's gap between requests). */
export function parseIntervalArg(value: string | undefined): [number, number] | undefined {
  if (!value) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) throw new Error(`--interval-ms must be MS or MIN-MAX (e.g. 2000-5000), got ${JSON.stringify(value)}`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}
