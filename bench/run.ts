// `npm run bench` (`node bench/run.ts [--quick] [--only NAME]`): runs every benchmark
// module in bench/ (each `*.ts` here exporting `run(options): Promise<BenchResult[]>`),
// prints one table — benchmark, metric, ours, baseline, ratio, unit — and writes the same
// rows as JSON to bench/results/latest.json. Exits non-zero when a benchmark fails or a
// verification row (e.g. "every acknowledged segment was stored") does not pass.

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable } from './lib/table.ts';
import { ratioOf } from './lib/types.ts';
import type { BenchModule, BenchResult } from './lib/types.ts';

const here = import.meta.dirname;

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string', multiple: true } } });
const quick = values.quick ?? false;

const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .filter((name) => !values.only || values.only.includes(name))
  .sort();
if (modules.length === 0) {
  process.stderr.write(`bench: no benchmark matches ${JSON.stringify(values.only)}; available: ${readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts').join(', ')}\n`);
  process.exit(2);
}

const started = new Date();
const results: BenchResult[] = [];
const errors: { benchmark: string; error: string }[] = [];
for (const name of modules) {
  const t0 = performance.now();
  process.stderr.write(`\n== ${name}${quick ? ' (quick)' : ''}\n`);
  try {
    const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as Partial<BenchModule>;
    if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts exports no run(options) function; every module in bench/ except run.ts must`);
    results.push(...(await mod.run({ quick })));
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    errors.push({ benchmark: name, error: message });
    process.stderr.write(`bench: ${name} failed: ${message}\n`);
  }
  process.stderr.write(`== ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

process.stdout.write('\n');
printTable(results);
for (const e of errors) process.stdout.write(`\nFAILED ${e.benchmark}: ${e.error.split('\n')[0]}\n`);

const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, 'latest.json');
const report = {
  startedAt: started.toISOString(),
  durationS: (Date.now() - started.getTime()) / 1000,
  quick,
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus().map((c) => c.model).filter((m, i, all) => all.indexOf(m) === i),
  cpuCount: os.availableParallelism(),
  results: results.map((r) => ({ ...r, ratio: ratioOf(r) })),
  errors,
};
writeFileSync(file, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
process.stdout.write(`\nresults written to ${path.relative(process.cwd(), file) || file}\n`);
if (errors.length > 0 || results.some((r) => r.check === 'fail')) process.exitCode = 1;
