// Builds what the Chromium harness serves: the plugin's own dist/ (webpack, the scaffold's
// toolchain, only when src/ changed since the last build) and the harness script
// (harness/entry.tsx bundled by esbuild with React, react-router, @grafana/{ui,data,runtime},
// @emotion/css and rxjs). The harness bundle goes to a temp dir the caller removes.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

export const pluginDir = path.resolve(import.meta.dirname, '..');
export const distDir = path.join(pluginDir, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` in grafana-plugin/ when dist/module.js is missing or older than src/. */
export function ensurePluginBuilt(): void {
  const moduleJs = path.join(distDir, 'module.js');
  if (existsSync(moduleJs) && statSync(moduleJs).mtimeMs >= newestMtime(path.join(pluginDir, 'src'))) return;
  const npm = path.join(path.dirname(process.execPath), 'npm');
  const r = spawnSync(existsSync(npm) ? npm : 'npm', ['run', 'build'], { cwd: pluginDir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(moduleJs)) {
    throw new Error(`building the plugin (npm run build in ${pluginDir}) failed with status ${r.status}: ${(r.stderr ?? '').slice(-2000)}; run \`npm ci\` at the repository root if its dependencies are missing`);
  }
}

export interface HarnessBundle {
  /** Directory holding harness.js and harness.css. */
  dir: string;
}

/** Bundles harness/entry.tsx into a fresh temp dir (a few seconds). */
export async function buildHarness(): Promise<HarnessBundle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-harness-'));
  await build({
    entryPoints: [path.join(import.meta.dirname, 'entry.tsx')],
    outfile: path.join(dir, 'harness.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    jsx: 'transform',
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    // @grafana/ui pulls in monaco's CSS and fonts; the harness needs none of them.
    loader: { '.svg': 'text', '.ttf': 'empty', '.woff': 'empty', '.woff2': 'empty', '.png': 'empty' },
    absWorkingDir: pluginDir,
  });
  return { dir };
}
