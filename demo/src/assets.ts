// The files the demo page loads: the SDK's script-tag build (sdk/dist/otel-replay.iife.js,
// built first when missing or older than the SDK's sources, as the sdk tests build it),
// the app itself (web/*.ts bundled by esbuild into one ES module, in memory) and its
// stylesheet. Everything is read once at start: later rebuilds of sdk/dist by other
// tools cannot break a running demo.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const demoDir = path.resolve(import.meta.dirname, '..');
const repoDir = path.resolve(demoDir, '..');
const sdkDir = path.join(repoDir, 'sdk');
const SDK_SCRIPT = path.join(sdkDir, 'dist', 'otel-replay.iife.js');

export interface DemoAssets {
  /** The SDK's script-tag build (defines window.OtelReplay). */
  sdkScript: Buffer;
  /** The demo app, one ES module. */
  appScript: Buffer;
  stylesheet: Buffer;
  indexHtml: string;
}

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const st = statSync(target);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, name)));
  return newest;
}

/** True when sdk/dist's script-tag build is missing or older than what it is built from. */
export function sdkBuildIsStale(): boolean {
  if (!existsSync(SDK_SCRIPT)) return true;
  const built = statSync(SDK_SCRIPT).mtimeMs;
  const sources = [path.join(sdkDir, 'src'), path.join(sdkDir, 'build.ts'), path.join(sdkDir, 'package.json'), path.join(repoDir, 'protocol', 'src')];
  return sources.some((s) => newestMtime(s) > built);
}

async function sdkScript(log: (line: string) => void): Promise<Buffer> {
  if (sdkBuildIsStale()) {
    log('building the browser SDK (sdk/dist) first…');
    const { buildSdk } = await import('../../sdk/build.ts');
    await buildSdk();
  }
  try {
    return readFileSync(SDK_SCRIPT);
  } catch (err) {
    throw new Error(`cannot read the SDK's script-tag build at ${SDK_SCRIPT}: ${(err as Error).message}. Build it with \`npm run build\` at the repository root.`);
  }
}

async function appScript(): Promise<Buffer> {
  const result = await build({
    entryPoints: [path.join(demoDir, 'web', 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output for demo/web/main.ts');
  return Buffer.from(out.contents);
}

export async function loadAssets(log: (line: string) => void = () => {}): Promise<DemoAssets> {
  const [sdk, app] = await Promise.all([sdkScript(log), appScript()]);
  return {
    sdkScript: sdk,
    appScript: app,
    stylesheet: readFileSync(path.join(demoDir, 'web', 'style.css')),
    indexHtml: readFileSync(path.join(demoDir, 'web', 'index.html'), 'utf8'),
  };
}
