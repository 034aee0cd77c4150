// The receiver's and the demo's Dockerfiles, read as text (no container engine here), and
// the receiver image's HEALTHCHECK command run for real against a running receiver.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startReceiver } from '../../receiver/test/helpers/receiver.ts';
import { dockerfileBaseImages, dockerfileEnv, imagePinProblem } from './checks/compose.ts';
import { dockerfileProblems, dockerignoreMatchers, execForm, instructions, isIgnored } from './checks/dockerfile.ts';
import type { DockerfileExpectations } from './checks/dockerfile.ts';
import { readJson, repoRoot } from './checks/files.ts';

const receiverFile = 'receiver/Dockerfile';
const demoFile = 'demo/Dockerfile';
const receiverText = readFileSync(path.join(repoRoot, receiverFile), 'utf8');
const demoText = readFileSync(path.join(repoRoot, demoFile), 'utf8');
const receiverWants: DockerfileExpectations = { entry: 'receiver/src/main.ts', workspaces: ['@otel-replay/receiver', '@otel-replay/protocol'], healthPath: '/healthz' };
const demoStart = String((readJson('demo/package.json').scripts as Record<string, string>).start).replace(/^node\s+/, '');
const demoWants: DockerfileExpectations = { entry: `demo/${demoStart}`, workspaces: [String(readJson('demo/package.json').name)], healthPath: '/' };

/** Runs `node args` (async: the receiver under test lives in this process) and gives its exit code. */
async function exitCode(args: string[], port: string): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, args, { env: { ...process.env, PORT: port }, timeout: 10_000 });
    return 0;
  } catch (err) {
    return typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
  }
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`);
}

test('the receiver and demo Dockerfiles pass their checks', () => {
  assert.equal(String(readJson('receiver/package.json').name), '@otel-replay/receiver');
  assert.equal(String(readJson('protocol/package.json').name), '@otel-replay/protocol');
  assert.deepEqual(dockerfileProblems(receiverFile, receiverText, receiverWants), []);
  assert.deepEqual(dockerfileProblems(demoFile, demoText, demoWants), []);
  for (const image of [...dockerfileBaseImages(receiverText), ...dockerfileBaseImages(demoText)]) {
    assert.equal(imagePinProblem(image), null, image);
    assert.match(image, /^node:24\.\d+\.\d+-slim$/);
  }
  assert.deepEqual(dockerfileEnv(receiverText), { NODE_ENV: 'production', HOST: '0.0.0.0', DATA_DIR: '/data' });
});

test('each Dockerfile check fails on a broken Dockerfile', () => {
  const broken = (from: RegExp | string, to: string): string[] => dockerfileProblems(receiverFile, receiverText.replace(from, to), receiverWants);
  assertProblem(broken('CMD ["node", "receiver/src/main.ts"]', 'CMD ["node", "receiver/src/server.ts"]'), /CMD runs node receiver\/src\/server\.ts, expected node receiver\/src\/main\.ts/);
  assertProblem(broken('CMD ["node", "receiver/src/main.ts"]', 'CMD node receiver/src/main.ts'), /needs an exec-form CMD/);
  assertProblem(broken('USER node', 'USER root'), /unprivileged USER \(is root\)/);
  assertProblem(broken('USER node', ''), /unprivileged USER \(is root by default\)/);
  assertProblem(broken(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), /no exec-form HEALTHCHECK/);
  assertProblem(broken("'/healthz'", "'/readyz'"), /HEALTHCHECK does not ask for \/healthz/);
  assertProblem(broken('-w @otel-replay/protocol', ''), /does not include workspace @otel-replay\/protocol/);
  assertProblem(broken('--omit=dev', ''), /no production install/);
  assertProblem(broken('COPY receiver/src receiver/src', 'COPY receiver/lib receiver/lib'), /COPY receiver\/lib: no such path/);
  assertProblem(broken('COPY receiver/src receiver/src', 'COPY receiver/test receiver/test'), /COPY receiver\/test: excluded by \.dockerignore/);
  assertProblem(dockerfileProblems(receiverFile, receiverText, { ...receiverWants, entry: 'receiver/src/missing.ts' }), /expected node receiver\/src\/missing\.ts/);
});

test('.dockerignore keeps dependencies and build output out of the context, sources in', () => {
  const matchers = dockerignoreMatchers(readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8'));
  for (const p of ['node_modules', 'receiver/node_modules/x', '.git', 'grafana-plugin/dist', 'sdk/dist/otel-replay.iife.js', 'receiver/src/config.test.ts', 'data/index.sqlite']) assert.ok(isIgnored(p, matchers), p);
  for (const p of ['receiver/src/main.ts', 'protocol/src/index.ts', 'package-lock.json', 'demo/web/index.html', 'sdk/build.ts']) assert.ok(!isIgnored(p, matchers), p);
});

test('the receiver image HEALTHCHECK command passes against a running receiver and fails without one', async () => {
  const line = instructions(receiverText).find((l) => l.startsWith('HEALTHCHECK'))!;
  const [cmd, ...args] = execForm(line)!;
  assert.equal(cmd, 'node');
  const running = await startReceiver();
  try {
    const port = new URL(running.url).port;
    assert.equal(await exitCode(args, port), 0, `healthcheck against ${running.url} failed`);
  } finally {
    await running.stop();
  }
  // Port 1: nothing listens there, the connection is refused at once.
  assert.equal(await exitCode(args, '1'), 1, 'the healthcheck must fail when the receiver does not answer');
});
