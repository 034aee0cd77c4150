// Prints benchmark results as one plain-text table (benchmark, metric, ours, baseline,
// ratio, unit), followed by the notes rows carry.

import { formatNumber, formatRatio } from './stats.ts';
import { ratioOf } from './types.ts';
import type { BenchResult } from './types.ts';

export function renderTable(results: BenchResult[]): string {
  const header = ['benchmark', 'metric', 'ours', 'baseline', 'ratio', 'unit'];
  const rows = results.map((r) => [
    r.benchmark,
    r.check ? `${r.metric} [${r.check}]` : r.metric,
    formatNumber(r.ours),
    formatNumber(r.baseline),
    formatRatio(ratioOf(r)),
    r.unit,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const numeric = new Set([2, 3, 4]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const notes = results.filter((r) => r.note).map((r) => `  ${r.benchmark} / ${r.metric}: ${r.note}`);
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export function printTable(results: BenchResult[]): void {
  process.stdout.write(`${renderTable(results)}\n`);
}
