// Benchmark: how much the browser SDK weighs, min+gz (esbuild minify, gzip -9 per chunk,
// KB = 1024 bytes), beside what it is made of: @rrweb/record alone and OpenTelemetry web
// tracing alone (TracerProvider + fetch + XHR instrumentations + the OTLP/JSON trace
// exporter), each bundled the same way from the versions installed for sdk/. "Whole" is
// every chunk an app would ship for init(); "eager" is the entry chunk and what it
// imports statically (the recorder chunk loads lazily after the first render). The SDK's
// figures come from sdk/build.ts's own measureSizes() (the build the size test checks,
// into a temp dir), the two baselines from plain esbuild bundles (bench/lib/browser-build.ts).
// Checks the issue-3 target: whole SDK <= 55 KB.
//
// Run alone: `node bench/sdk-size.ts`.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { measureSizes } from '../sdk/build.ts';
import { measureBundle, OTEL_TRACING_ENTRY, RRWEB_ONLY_ENTRY, SDK_DIR } from './lib/browser-build.ts';
import { formatNumber } from './lib/stats.ts';
import { printTable } from './lib/table.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const NAME = 'sdk-size';
export const WHOLE_TARGET_KB = 55;

const kb = (bytes: number): number => bytes / 1024;

/** The script-tag build's size from the last `npm run build` (dist/ may be stale: informational only). */
function scriptTagReport(): string {
  const file = path.join(SDK_DIR, 'dist', 'size.json');
  if (!existsSync(file)) return 'script-tag build: sdk/dist/size.json not built';
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as { iifeMinGz?: number };
    return `script-tag build otel-replay.iife.js ${formatNumber(kb(r.iifeMinGz ?? Number.NaN))} KB (sdk/dist/size.json of the last \`npm run build\`)`;
  } catch (err) {
    return `sdk/dist/size.json unreadable (${(err as Error).message})`;
  }
}

export async function run(_options: BenchOptions): Promise<BenchResult[]> {
  const [sizes, rrweb, otel] = await Promise.all([measureSizes(), measureBundle(RRWEB_ONLY_ENTRY), measureBundle(OTEL_TRACING_ENTRY)]);
  const sdk = { ...sizes, chunks: Object.keys(sizes.chunks).length };
  const whole = kb(sdk.wholeMinGz);
  const eager = kb(sdk.eagerMinGz);
  const lazy = kb(sdk.wholeMinGz - sdk.eagerMinGz);
  const rr = kb(rrweb.wholeMinGz);
  const ot = kb(otel.wholeMinGz);
  const benchmark = `${NAME} (min+gz)`;
  const min = (n: number): string => `${formatNumber(kb(n))} KB minified`;
  process.stderr.write(`  ${NAME}: whole ${formatNumber(whole)} KB (${sdk.chunks} chunks), eager ${formatNumber(eager)} KB, @rrweb/record ${formatNumber(rr)} KB, OTel tracing ${formatNumber(ot)} KB\n`);
  return [
    { benchmark, metric: 'whole SDK vs @rrweb/record alone', ours: whole, baseline: rr, unit: 'KB', note: `whole ${min(sdk.wholeMin)} in ${sdk.chunks} chunks; @rrweb/record ${min(rrweb.wholeMin)} (entry: record({ emit(){} })); ${scriptTagReport()}` },
    { benchmark, metric: 'whole SDK vs OTel web tracing alone', ours: whole, baseline: ot, unit: 'KB', note: `OTel tracing ${min(otel.wholeMin)}: sdk-trace TracerProvider + BatchSpanProcessor, fetch + XHR instrumentations, exporter-trace-otlp-http (OTLP/JSON)` },
    { benchmark, metric: 'whole SDK vs rrweb + OTel tracing', ours: whole, baseline: rr + ot, unit: 'KB', note: 'below 1× = less than an app bundling the two pieces itself' },
    { benchmark, metric: 'eager part vs OTel web tracing alone', ours: eager, baseline: ot, unit: 'KB', note: `eager = entry chunk + static imports, ${min(sdk.eagerMin)}; loaded before the first render` },
    { benchmark, metric: 'lazy recorder part vs @rrweb/record alone', ours: lazy, baseline: rr, unit: 'KB', note: 'the chunks only a dynamic import reaches: rrweb, fflate, the recording engine; the baseline is @rrweb/record as any bundler ships it' },
    { benchmark, metric: `whole SDK <= ${WHOLE_TARGET_KB} KB`, ours: whole, baseline: WHOLE_TARGET_KB, unit: 'KB', check: whole <= WHOLE_TARGET_KB ? 'pass' : 'fail', note: `issue-3 target; ${whole <= WHOLE_TARGET_KB ? `${formatNumber(WHOLE_TARGET_KB - whole)} KB to spare` : `${formatNumber(whole - WHOLE_TARGET_KB)} KB over`}` },
  ];
}

if (import.meta.main) {
  const results = await run({ quick: false });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
