// `npm test`: runs every test suite of the repository with Node's test runner, after
// making sure the test peers it needs can be provisioned (PostgreSQL binaries; the
// servers themselves are started by the tests), and prints one closing line
// `N passed, N failed` summing all suites. Exits non-zero if anything failed.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

interface Suite {
  name: string;
  /** Directory the suite runs in. */
  cwd: string;
  /** Glob patterns handed to `node --test`. */
  patterns: string[];
  /** `jest`: the Grafana plugin's own toolchain (build, typecheck, Jest); default node --test. */
  runner?: 'node' | 'jest';
}

const SUITES: Suite[] = [
  { name: 'protocol', cwd: 'protocol', patterns: ['src/**/*.test.ts'] },
  { name: 'receiver', cwd: 'receiver', patterns: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
  // The sdk's Chromium tests build dist/ themselves (sdk/build.ts) before loading it.
  { name: 'sdk', cwd: 'sdk', patterns: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
  // Builds dist/ (a test checks it), typechecks with the plugin's tsconfig, lints, then runs Jest.
  { name: 'grafana-plugin', cwd: 'grafana-plugin', patterns: [], runner: 'jest' },
  // The built plugin in real Chromium against a real receiver (builds dist/ itself when stale).
  { name: 'grafana-plugin-browser', cwd: 'grafana-plugin', patterns: ['harness/**/*.test.ts'] },
  // Static checks of docker-compose.yml, the Collector config, Grafana provisioning and the Dockerfiles.
  { name: 'stack', cwd: 'deploy', patterns: ['test/**/*.test.ts'] },
  // The demo's backend, then the whole path in real Chromium: demo → receiver → Loki/Tempo
  // stand-ins, the query API and a replay; and `npm start` itself.
  { name: 'e2e', cwd: '.', patterns: ['demo/src/**/*.test.ts', 'e2e/**/*.test.ts'] },
];

function checkNode(): void {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major < 22 || (major === 22 && minor < 18)) {
    console.error(`Node ${process.versions.node} is too old: otel-replay runs TypeScript directly and needs Node >= 22.18 (24 recommended).`);
    process.exit(2);
  }
}

function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0]!, 'bin') : null;
}

interface DebianPeer {
  what: string;
  package: string;
  present(): boolean;
}

/** Test peers that come from Debian packages; the servers themselves are started by the tests. */
const DEBIAN_PEERS: DebianPeer[] = [
  { what: 'PostgreSQL server binaries', package: 'postgresql', present: () => postgresBinDir() !== null },
  { what: 'Chromium', package: 'chromium', present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
];

/** Installs missing Debian test peers when we can (root + apt); otherwise says what to install. */
function provisionDebianPeers(): void {
  const missing = DEBIAN_PEERS.filter((p) => !p.present());
  if (missing.length === 0) return;
  const packages = missing.map((p) => p.package);
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`Installing test peers from Debian: ${packages.join(' ')}…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  }
  const still = DEBIAN_PEERS.filter((p) => !p.present());
  if (still.length) {
    console.error(`Missing test peers: ${still.map((p) => p.what).join(', ')}. Install them: apt-get install -y ${still.map((p) => p.package).join(' ')}`);
    process.exit(2);
  }
}

function runSuite(suite: Suite, tapFile: string): Promise<number> {
  const args = [
    '--test',
    '--test-concurrency=1',
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...suite.patterns,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: path.join(root, suite.cwd), stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * The Grafana plugin keeps its scaffolded toolchain (webpack, its own TypeScript, ESLint, Jest).
 * Its build, its typecheck and its lint count as one test each; Jest writes its counts as JSON.
 */
function runJestSuite(suite: Suite, jsonFile: string): Promise<number> {
  const cwd = path.join(root, suite.cwd);
  const npm = existsSync(path.join(path.dirname(process.execPath), 'npm')) ? path.join(path.dirname(process.execPath), 'npm') : 'npm';
  const missingDeps = 'run `npm ci` at the repository root if its dependencies are missing';
  const steps: Array<[string, string[], string]> = [
    ['build', ['run', 'build'], missingDeps],
    ['typecheck', ['run', 'typecheck'], missingDeps],
    // Without ESLint's cache: typed rules see other files, which a per-file cache would miss.
    ['lint', ['run', 'lint', '--', '--no-cache'], `fix what \`npm run lint\` in grafana-plugin/ reports, or ${missingDeps}`],
  ];
  const stepResults: Array<{ name: string; ok: boolean }> = [];
  for (const [name, args, hint] of steps) {
    const r = spawnSync(npm, args, { cwd, stdio: 'inherit' });
    stepResults.push({ name, ok: r.status === 0 });
    if (r.status !== 0) console.log(`grafana-plugin ${name}: FAILED (${hint})`);
  }
  const stepsFile = `${jsonFile}.steps`;
  writeFileSync(stepsFile, JSON.stringify(stepResults));
  let jest: string;
  try {
    jest = createRequire(path.join(cwd, 'package.json')).resolve('jest/bin/jest');
  } catch {
    console.error('grafana-plugin: jest is not installed; run `npm ci` at the repository root (grafana-plugin is an npm workspace).');
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [jest, '--ci', '--maxWorkers=4', '--json', `--outputFile=${jsonFile}`], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function countJest(jsonFile: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  if (existsSync(`${jsonFile}.steps`)) {
    for (const step of JSON.parse(readFileSync(`${jsonFile}.steps`, 'utf8')) as Array<{ ok: boolean }>) {
      if (step.ok) passed++;
      else failed++;
    }
  }
  if (!existsSync(jsonFile)) return { passed, failed: failed + 1 };
  const r = JSON.parse(readFileSync(jsonFile, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numRuntimeErrorTestSuites: number };
  // Skipped or todo tests are not allowed here: they count as failures.
  return { passed: passed + r.numPassedTests, failed: failed + r.numFailedTests + r.numPendingTests + r.numTodoTests + r.numRuntimeErrorTestSuites };
}

/** The strict typecheck counts as one test: a type error fails the run like a failing test. */
function typecheck(): boolean {
  console.log('\n=== typecheck (tsc --noEmit, strict) ===');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // Browser code (the SDK, the demo app, the e2e pages) has its own configs (DOM libs); all must be clean for one green step.
  const ok = ['tsconfig.json', 'sdk/tsconfig.json', 'demo/tsconfig.json', 'e2e/tsconfig.json'].every((config) =>
    spawnSync(process.execPath, [tsc, '-p', path.join(root, config)], { cwd: root, stdio: 'inherit' }).status === 0);
  console.log(ok ? 'typecheck: clean' : 'typecheck: FAILED');
  return ok;
}

function countTap(tapFile: string): { passed: number; failed: number } {
  if (!existsSync(tapFile)) return { passed: 0, failed: 1 };
  const text = readFileSync(tapFile, 'utf8');
  const pass = /^# pass (\d+)$/m.exec(text);
  const fail = /^# fail (\d+)$/m.exec(text);
  const cancelled = /^# cancelled (\d+)$/m.exec(text);
  // A suite that printed no summary crashed before finishing: count it as one failure.
  if (!pass || !fail) return { passed: 0, failed: 1 };
  return { passed: Number(pass[1]), failed: Number(fail[1]) + Number(cancelled?.[1] ?? 0) };
}

async function main(): Promise<void> {
  checkNode();
  provisionDebianPeers();
  const only = process.argv.slice(2);
  const suites = only.length ? SUITES.filter((s) => only.includes(s.name)) : SUITES;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-test-'));
  let passed = 0;
  let failed = 0;
  let exitCodeFailure = false;
  const lines: string[] = [];
  if (!only.length) {
    const ok = typecheck();
    passed += ok ? 1 : 0;
    failed += ok ? 0 : 1;
    lines.push(`typecheck: ${ok ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
  }
  for (const suite of suites) {
    console.log(`\n=== ${suite.name} ===`);
    const tap = path.join(tmp, `${suite.name}.tap`);
    const code = suite.runner === 'jest' ? await runJestSuite(suite, tap) : await runSuite(suite, tap);
    const counts = suite.runner === 'jest' ? countJest(tap) : countTap(tap);
    if (code !== 0 && counts.failed === 0) {
      counts.failed = 1;
      exitCodeFailure = true;
    }
    passed += counts.passed;
    failed += counts.failed;
    lines.push(`${suite.name}: ${counts.passed} passed, ${counts.failed} failed`);
  }
  rmSync(tmp, { recursive: true, force: true });
  console.log('\n' + lines.join('\n'));
  if (exitCodeFailure) console.log('(a suite exited non-zero without a failing test: counted as one failure)');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

await main();
