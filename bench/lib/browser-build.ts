// Browser bundles for the SDK benchmarks, built with esbuild into memory or a temp dir
// from sources (never from sdk/dist, which other work rebuilds at any moment): the SDK's
// script-tag build for the page benchmarks, a script exposing @rrweb/record, and min+gz
// sizes of code-split baseline bundles (whole = every chunk, eager = the entry and what
// it imports statically). The settings are sdk/build.ts's own (BROWSER_BUILD_OPTIONS);
// the SDK's size figures come from sdk/build.ts's measureSizes().

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { BuildOptions, Metafile } from 'esbuild';
import { BROWSER_BUILD_OPTIONS, eagerOutputs } from '../../sdk/build.ts';
import { removeTempDir, tempDir } from './processes.ts';

export const SDK_DIR = path.resolve(import.meta.dirname, '..', '..', 'sdk');
export const SDK_ENTRY = path.join(SDK_DIR, 'src', 'index.ts');
/** sdk/build.ts's browser options (its OTel de-duplication included), quiet for benchmarks. */
const COMMON: BuildOptions = { ...BROWSER_BUILD_OPTIONS, sourcemap: false, logLevel: 'silent' };

/** An entry given as source text, resolved as if it were a file in sdk/ (so sdk's dependency versions are used). */
export interface SourceEntry {
  contents: string;
  /** For error messages. */
  name: string;
}

function entryOptions(entry: string | SourceEntry): BuildOptions {
  return typeof entry === 'string'
    ? { entryPoints: [entry] }
    : { stdin: { contents: entry.contents, resolveDir: SDK_DIR, sourcefile: `${entry.name}.js`, loader: 'js' } };
}

function describe(entry: string | SourceEntry): string {
  return typeof entry === 'string' ? path.relative(process.cwd(), entry) : entry.name;
}

/** A minified single-file IIFE (dynamic imports inlined) that assigns the entry's exports to `window[globalName]`. */
export async function buildScript(entry: string | SourceEntry, globalName: string): Promise<string> {
  try {
    const result = await build({ ...COMMON, ...entryOptions(entry), format: 'iife', globalName, minify: true, write: false });
    return result.outputFiles[0]!.text;
  } catch (err) {
    throw new Error(`bench: bundling ${describe(entry)} as a script failed (${(err as Error).message.split('\n')[0]}); does \`npm run build -w @otel-replay/sdk\` work?`);
  }
}

export interface BundleSize {
  /** Every JS output, minified, then each gzipped at level 9 and summed. */
  wholeMinGz: number;
  wholeMin: number;
  /** The entry chunk and every chunk it imports statically. */
  eagerMinGz: number;
  eagerMin: number;
  chunks: number;
}

function gz(bytes: Buffer): number {
  return gzipSync(bytes, { level: 9 }).length;
}


/** Bundles `entry` as code-split, minified ESM (everything inlined) in a temp dir and measures it. */
export async function measureBundle(entry: string | SourceEntry): Promise<BundleSize> {
  const outdir = tempDir('bundle');
  try {
    let metafile: Metafile;
    try {
      const result = await build({ ...COMMON, ...entryOptions(entry), format: 'esm', splitting: true, minify: true, metafile: true, outdir, entryNames: 'entry', chunkNames: '[name]-[hash]', absWorkingDir: SDK_DIR });
      metafile = result.metafile;
    } catch (err) {
      throw new Error(`bench: bundling ${describe(entry)} failed: ${(err as Error).message.split('\n').slice(0, 4).join(' ')}`);
    }
    const eager = eagerOutputs(metafile);
    const size: BundleSize = { wholeMinGz: 0, wholeMin: 0, eagerMinGz: 0, eagerMin: 0, chunks: 0 };
    for (const p of Object.keys(metafile.outputs)) {
      if (!p.endsWith('.js')) continue;
      const bytes = readFileSync(path.resolve(SDK_DIR, p));
      const g = gz(bytes);
      size.wholeMinGz += g;
      size.wholeMin += bytes.length;
      size.chunks++;
      if (eager.has(p)) {
        size.eagerMinGz += g;
        size.eagerMin += bytes.length;
      }
    }
    // Guard against esbuild writing somewhere else than the metafile says.
    const written = readdirSync(outdir).filter((f) => f.endsWith('.js')).reduce((n, f) => n + statSync(path.join(outdir, f)).size, 0);
    if (written !== size.wholeMin) throw new Error(`bench: ${describe(entry)}: the metafile lists ${size.wholeMin} bytes of JS but ${written} were written to ${outdir}`);
    return size;
  } finally {
    removeTempDir(outdir);
  }
}

export const RRWEB_ONLY_ENTRY: SourceEntry = {
  name: 'rrweb-record-only',
  contents: "import { record } from '@rrweb/record';\nrecord({ emit() {} });\n",
};

/** OTel web tracing as an app would set it up itself: provider, fetch + XHR instrumentations, OTLP/JSON exporter. */
export const OTEL_TRACING_ENTRY: SourceEntry = {
  name: 'otel-web-tracing-only',
  contents: `
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'web' }),
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: 'http://127.0.0.1:4318/v1/traces' }) })],
});
context.setGlobalContextManager(new StackContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);
registerInstrumentations({ instrumentations: [new FetchInstrumentation(), new XMLHttpRequestInstrumentation()], tracerProvider: provider });
`,
};

/** A script that exposes @rrweb/record as `window.rrwebRecord` (for the raw-rrweb pages). */
export const RRWEB_SCRIPT_ENTRY: SourceEntry = {
  name: 'rrweb-record-script',
  contents: "export { record } from '@rrweb/record';\n",
};
