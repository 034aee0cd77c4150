// No rrweb 1.x anywhere in the installed dependency tree. CVE-2025-45806 is an XSS in
// rrweb-snapshot 1.x's replay-side rebuild() with no patched 1.x release; rrweb 2.x does
// not contain it. The SDK (@rrweb/record), the Grafana app (rrweb-player) and the
// receiver's HTML export (rrweb-player's bundle) all resolve from the node_modules
// directories walked here, including nested copies a dependency may have pulled in.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');

interface Installed {
  name: string;
  version: string;
  dir: string;
}

function isRrweb(name: string): boolean {
  return name === 'rrweb' || name.startsWith('rrweb-') || name === 'rrdom' || name.startsWith('@rrweb/');
}

/** Every installed package under `nodeModules` (scoped ones included), recursing into nested node_modules. */
function walk(nodeModules: string, out: Installed[], depth = 0): void {
  if (depth > 12 || !existsSync(nodeModules)) return;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@') && (entry.isDirectory() || entry.isSymbolicLink())
      ? readdirSync(path.join(nodeModules, entry.name)).map((n) => path.join(nodeModules, entry.name, n))
      : [path.join(nodeModules, entry.name)];
    for (const dir of dirs) {
      const pkgFile = path.join(dir, 'package.json');
      if (!existsSync(pkgFile)) continue;
      // Workspace links (node_modules/@otel-replay/*) point back into the repository, walked from its own roots.
      if (dir.includes(`${path.sep}@otel-replay${path.sep}`)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name?: string; version?: string };
      if (pkg.name && pkg.version) out.push({ name: pkg.name, version: pkg.version, dir });
      walk(path.join(dir, 'node_modules'), out, depth + 1);
    }
  }
}

it('installs no rrweb, rrweb-snapshot, rrdom or @rrweb/* package older than 2.x (CVE-2025-45806)', () => {
  const installed: Installed[] = [];
  for (const workspace of ['.', 'protocol', 'receiver', 'sdk', 'grafana-plugin', 'demo']) walk(path.join(root, workspace, 'node_modules'), installed);
  const rrweb = installed.filter((p) => isRrweb(p.name));
  const names = new Set(rrweb.map((p) => p.name));
  // The walk must actually see what the SDK, the app and the export use, or it proves nothing.
  for (const needed of ['rrweb', 'rrweb-snapshot', '@rrweb/record', '@rrweb/replay', 'rrweb-player']) assert.ok(names.has(needed), `${needed} was not found in node_modules; run npm ci`);
  const old = rrweb.filter((p) => Number(p.version.split('.')[0]) < 2);
  assert.deepEqual(old.map((p) => `${p.name}@${p.version} at ${path.relative(root, p.dir)}`), [], 'rrweb 1.x is installed: upgrade the dependency that pulls it in to rrweb 2.x');
});

it('ships rrweb-player bundles whose Replayer builds into a sandboxed iframe without scripts', () => {
  // rrweb-player inlines its own copy of the replayer: the Grafana app bundles the ESM build
  // and the HTML export inlines the UMD build, so both are checked, not only package.json.
  const dist = path.join(root, 'node_modules', 'rrweb-player', 'dist');
  for (const file of ['rrweb-player.js', 'rrweb-player.umd.min.cjs']) {
    const code = readFileSync(path.join(dist, file), 'utf8');
    assert.match(code, /setAttribute\(\s*"sandbox",\s*"allow-same-origin"\s*\)/, `${file}: the replay iframe is sandboxed without allow-scripts`);
    assert.match(code, /script:\s*"noscript"/, `${file}: recorded <script> elements are rebuilt as <noscript>`);
  }
});
