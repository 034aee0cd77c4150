// Builds the SDK package (`npm run build -w @otel-replay/sdk`, also run by the sdk tests):
//   dist/index.js (+ chunks)   ESM for bundlers: dependencies external, the recorder in a
//                              lazily imported chunk
//   dist/otel-replay.iife.js   single-file script-tag build, everything inlined, exposes
//                              `window.OtelReplay`
//   dist/index.d.ts, types/    declarations (tsc --emitDeclarationOnly)
//   dist/size.json             min+gz sizes of the whole SDK and of the eager part, from a
//                              fully bundled, minified, code-split build
// Every output has a sourcemap.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';

const sdkDir = import.meta.dirname;
const dist = path.join(sdkDir, 'dist');
const entry = path.join(sdkDir, 'src', 'index.ts');
const pkg = JSON.parse(readFileSync(path.join(sdkDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };

/**
 * npm nests exact-pinned copies of the OTel core packages under the instrumentations
 * (and the XHR instrumentation still pins the 2.x line); bundling each copy would ship
 * the same code two or three times. Resolve every import of these packages to the one
 * copy the SDK itself depends on.
 */
const xhrCoreShim = path.join(sdkDir, 'src', 'network', 'xhr-core.ts');
const SHARED = /^@opentelemetry\/(api|core|instrumentation|web-common|sdk-trace|sdk-logs|resources|semantic-conventions)$/;
const dedupeOtel: Plugin = {
  name: 'dedupe-otel',
  setup(b) {
    b.onResolve({ filter: SHARED }, async (args) => {
      if (args.pluginData === 'dedupe') return undefined;
      // The XHR instrumentation (2.x line) also imports `otperformance`, which 3.x removed: a shim adds it.
      if (args.path === '@opentelemetry/core' && args.importer.includes('instrumentation-xml-http-request')) return { path: xhrCoreShim };
      const r = await b.resolve(args.path, { resolveDir: sdkDir, kind: args.kind, pluginData: 'dedupe' });
      if (r.errors.length) return undefined;
      return r.external ? { path: args.path, external: true } : { path: r.path };
    });
  },
};

/**
 * @rrweb/record inlines the source of the worker behind its `sampling.canvas` (fps) mode
 * as a ~2.8 KB string. The engine never sets `sampling.canvas` (canvas recording, when
 * opted in, uses rrweb's mutation mode), so the worker can never start: ship an empty
 * string instead. If an rrweb upgrade changes the declaration, nothing is replaced and
 * the size test notices.
 */
const stripRrwebCanvasWorker: Plugin = {
  name: 'strip-rrweb-canvas-worker',
  setup(b) {
    b.onLoad({ filter: /[\\/]@rrweb[\\/]record[\\/]dist[\\/]record\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return { resolveDir: path.dirname(args.path), contents: source.replace(/^const jsContent = '(?:[^'\\\n]|\\.)*';$/m, "const jsContent = '';"), loader: 'js' };
    });
  },
};

/** How every browser bundle of the SDK is built (the benchmarks bundle with these too). */
export const BROWSER_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'browser',
  // Class private fields and static blocks run natively (Chrome 94, Firefox 93, Safari 16.4).
  target: ['es2022'],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [dedupeOtel, stripRrwebCanvasWorker],
  // The OTel packages read process.env only behind typeof guards; keep them browser-pure.
  define: { 'process.env.NODE_ENV': '"production"' },
};

const common: BuildOptions = { ...BROWSER_BUILD_OPTIONS, entryPoints: [entry] };

function gz(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

/** The outputs loaded eagerly: the entry chunk and every chunk it imports statically. */
export function eagerOutputs(metafile: Metafile): Set<string> {
  const outputs = metafile.outputs;
  const entryOut = Object.entries(outputs).find(([, o]) => o.entryPoint)?.[0];
  if (!entryOut) throw new Error('no entry output in the esbuild metafile; cannot tell the eager part');
  const eager = new Set<string>();
  const visit = (p: string): void => {
    if (eager.has(p)) return;
    eager.add(p);
    for (const i of outputs[p]?.imports ?? []) if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(entryOut);
  return eager;
}

/** Eager = eagerOutputs(); whole = every JS output. */
function sizes(metafile: Metafile, outdir: string): { wholeMinGz: number; eagerMinGz: number; wholeMin: number; eagerMin: number; chunks: Record<string, number> } {
  const outputs = metafile.outputs;
  const rel = (p: string): string => path.relative(outdir, path.resolve(sdkDir, p));
  const eager = eagerOutputs(metafile);
  let wholeMinGz = 0, eagerMinGz = 0, wholeMin = 0, eagerMin = 0;
  const chunks: Record<string, number> = {};
  for (const p of Object.keys(outputs)) {
    if (!p.endsWith('.js')) continue;
    const file = path.resolve(sdkDir, p);
    const g = gz(file);
    const m = statSync(file).size;
    chunks[rel(p)] = g;
    wholeMinGz += g;
    wholeMin += m;
    if (eager.has(p)) {
      eagerMinGz += g;
      eagerMin += m;
    }
  }
  return { wholeMinGz, eagerMinGz, wholeMin, eagerMin, chunks };
}

export type SdkSizes = ReturnType<typeof sizes>;

/**
 * Min+gz sizes of the SDK as a bundler ships it: everything inlined and minified, the
 * recorder in its lazily imported chunk. Builds into a temporary directory (dist/ is
 * left alone), so the size test can run it next to other tests.
 */
export async function measureSizes(): Promise<SdkSizes> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'otel-replay-size-'));
  try {
    const measured = await build({ ...common, format: 'esm', splitting: true, minify: true, metafile: true, sourcemap: false, absWorkingDir: sdkDir, outdir, entryNames: '[name]', chunkNames: '[name]-[hash]' });
    return sizes(measured.metafile, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export async function buildSdk(): Promise<{ wholeMinGz: number; eagerMinGz: number }> {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });

  // 1. ESM library build: dependencies stay imports so the app's bundler dedupes OTel.
  await build({
    ...common,
    format: 'esm',
    splitting: true,
    outdir: dist,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    external: Object.keys(pkg.dependencies ?? {}),
  });

  // 2. Script-tag build: one file, everything inlined (dynamic imports included).
  await build({ ...common, format: 'iife', globalName: 'OtelReplay', minify: true, outfile: path.join(dist, 'otel-replay.iife.js') });

  // 3. Size measurement: what a bundler would ship for init() with everything inlined.
  const s = await measureSizes();
  const iifeMinGz = gz(path.join(dist, 'otel-replay.iife.js'));
  const report = { ...s, iifeMinGz, iifeMin: statSync(path.join(dist, 'otel-replay.iife.js')).size };
  writeFileSync(path.join(dist, 'size.json'), JSON.stringify(report, null, 2) + '\n');

  // 4. Declarations. Relative `.ts` specifiers become `.js` for consumers' resolvers.
  const tsc = path.join(sdkDir, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(sdkDir, 'tsconfig.build.json')], { cwd: sdkDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sdk build: declaration emit failed:\n${r.stdout}${r.stderr}`);
  const rewrite = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) rewrite(p);
      else if (p.endsWith('.d.ts')) writeFileSync(p, readFileSync(p, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
    }
  };
  rewrite(path.join(dist, 'types'));
  writeFileSync(path.join(dist, 'index.d.ts'), "export * from './types/index.js';\n");
  return s;
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

if (import.meta.main) {
  const started = Date.now();
  const s = await buildSdk();
  console.log(`sdk built in ${Date.now() - started} ms: whole SDK ${kb(s.wholeMinGz)} min+gz, eager part ${kb(s.eagerMinGz)} min+gz (dist/size.json)`);
}
