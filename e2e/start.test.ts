// `npm start` (scripts/start.ts) as a newcomer runs it, on free ports and a temporary data
// directory: it prints where to click, the receiver and the demo both answer, the demo's
// origin may post to the receiver (CORS) without losing the default origins, and Ctrl-C
// (SIGINT) stops both. A bad setting stops it before anything starts; a part that cannot
// start takes the other down with it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../receiver/test/helpers/http.ts';
import { segmentsRequest } from '../receiver/test/helpers/otlp-json.ts';
import { makeSegment } from '../receiver/test/helpers/recording.ts';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-start-'));
const started: ChildProcess[] = [];

after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(env: Record<string, string>): Launched {
  // The variables a developer's shell might carry would change what is tested.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEMO_') && !k.startsWith('OTEL_REPLAY_') && !['PORT', 'HOST', 'LOG_LEVEL', 'DATA_DIR', 'CORS_ALLOWED_ORIGINS'].includes(k)));
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.ts')], { cwd: root, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

async function waitForOutput(l: Launched, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(l.output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${l.output()}`);
    if (l.child.exitCode !== null) throw new Error(`npm start exited with ${l.child.exitCode} before printing ${pattern}:\n${l.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms).unref())]);
}

test('npm start runs the receiver and the demo, says where to click, and Ctrl-C stops both', async () => {
  const [receiverPort, demoPort] = [await freePort(), await freePort()];
  const receiverUrl = `http://127.0.0.1:${receiverPort}`;
  const demoUrl = `http://127.0.0.1:${demoPort}`;
  const l = launch({ PORT: String(receiverPort), DEMO_PORT: String(demoPort), DATA_DIR: dataDir });
  await waitForOutput(l, /Ctrl-C stops both/, 90_000);
  const out = l.output();
  assert.match(out, new RegExp(`Open the demo and click around: +${demoUrl.replace(/\./g, '\\.')}\\n`));
  assert.ok(out.includes(`${receiverUrl}/api/v1/sessions/<session id>/export.html`), out);
  assert.ok(out.includes(`data in ${dataDir}`), out);
  assert.equal(/"level":30/.test(out), false, 'no receiver info logs drown the instructions');

  const page = await (await fetch(`${demoUrl}/items`)).text();
  assert.ok(page.includes(`"endpoint":"${receiverUrl}"`), 'the demo page sends to this receiver');
  assert.equal((await fetch(`${receiverUrl}/readyz`)).status, 200);
  for (const origin of [demoUrl, `http://localhost:${demoPort}`, 'http://localhost:3000']) {
    const preflight = await fetch(`${receiverUrl}/v1/logs`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,content-encoding' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin, `CORS for ${origin}`);
  }
  const stranger = await fetch(`${receiverUrl}/v1/logs`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(stranger.headers.get('access-control-allow-origin'), null, 'other origins stay refused');

  // A recorded session is announced with its replay link.
  const sessionId = 'start-test-session-1';
  const posted = await fetch(`${receiverUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(segmentsRequest([makeSegment({ sessionId, seq: 0, start: Date.now() }).segment])) });
  assert.equal(posted.status, 200);
  await waitForOutput(l, new RegExp(`● new session ${sessionId}, replay: ${receiverUrl.replace(/\./g, '\\.')}/api/v1/sessions/${sessionId}/export\\.html\\n`), 10_000);

  l.child.kill('SIGINT');
  const { code } = await withTimeout(l.exited, 15_000, 'stopping after SIGINT');
  assert.equal(code, 0, l.output());
  assert.ok(await refused(`${demoUrl}/healthz`), 'the demo stopped');
  assert.ok(await refused(`${receiverUrl}/healthz`), 'the receiver stopped');
});

test('a bad setting stops npm start before anything starts, naming the setting', async () => {
  for (const [env, message] of [[{ DEMO_PORT: 'eighty' }, /configuration error: DEMO_PORT must be a port number/], [{ PORT: '99999' }, /configuration error: server\.port must be 0\.\.65535/]] as const) {
    const l = launch({ DATA_DIR: dataDir, ...env });
    const { code } = await withTimeout(l.exited, 15_000, 'exiting on a bad setting');
    assert.equal(code, 2);
    assert.match(l.output(), message);
    assert.equal(l.output().includes('starting the receiver'), false);
  }
});

test('when the demo cannot start, npm start stops the receiver too and fails', async () => {
  const [receiverPort, demoPort] = [await freePort(), await freePort()];
  // Cuts every connection at once, so the launcher's health checks fail fast and close() is not held up.
  const squatter: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => squatter.listen(demoPort, '127.0.0.1', resolve));
  try {
    const l = launch({ PORT: String(receiverPort), DEMO_PORT: String(demoPort), DATA_DIR: dataDir });
    const { code } = await withTimeout(l.exited, 60_000, 'giving up when the demo cannot listen');
    assert.equal(code, 1, l.output());
    assert.match(l.output(), /EADDRINUSE/);
    assert.match(l.output(), /the demo stopped \(exit code 2\); stopping the rest/);
    assert.ok(await refused(`http://127.0.0.1:${receiverPort}/healthz`), 'the receiver was stopped too');
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
});
