// rrweb-player's browser bundle and stylesheet, read once from the installed package and
// cached, for inlining into offline HTML exports. Checked at load so that inlining can
// never break out of the <script>/<style> element that holds them.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface PlayerAssets {
  /** UMD bundle: defines `window.rrwebPlayer` (with `.Player`) when run as a classic script. */
  js: string;
  css: string;
  version: string;
}

/** Which files of the package are inlined (relative to its dist/ directory). */
const BUNDLE = 'rrweb-player.umd.min.cjs';
const STYLESHEET = 'style.min.css';

/** Makes library text safe to put between <script>…</script> or <style>…</style>. */
export function prepareInline(kind: 'script' | 'style', text: string, file: string): string {
  // A source map comment would make devtools fetch the map; the export must make no requests.
  const cleaned = text.replace(/^\/\/# sourceMappingURL=.*$/gm, '').replace(/\/\*# sourceMappingURL=.*?\*\//g, '');
  const closing = new RegExp(`</${kind}`, 'i');
  if (closing.test(cleaned) || (kind === 'script' && /<!--/.test(cleaned) && /<script/i.test(cleaned))) {
    throw new Error(`${file} contains "</${kind}" and cannot be inlined into an HTML export; pin rrweb-player to a version that does not`);
  }
  return cleaned;
}

let cached: Promise<PlayerAssets> | undefined;

async function load(): Promise<PlayerAssets> {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('rrweb-player');
  } catch (err) {
    throw new Error(`rrweb-player is not installed (${(err as Error).message}); run npm install in the repository root`);
  }
  const dist = path.dirname(entry);
  const [js, css, pkg] = await Promise.all([
    readFile(path.join(dist, BUNDLE), 'utf8'),
    readFile(path.join(dist, STYLESHEET), 'utf8'),
    readFile(path.join(dist, '..', 'package.json'), 'utf8'),
  ]);
  return {
    js: prepareInline('script', js, path.join(dist, BUNDLE)),
    css: prepareInline('style', css, path.join(dist, STYLESHEET)),
    version: String((JSON.parse(pkg) as { version?: unknown }).version ?? 'unknown'),
  };
}

/** The player assets, read on first use and kept for the life of the process. */
export function playerAssets(): Promise<PlayerAssets> {
  cached ??= load().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
