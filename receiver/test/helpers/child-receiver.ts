// Runs the receiver as a separate process (`node receiver/src/main.ts`, configured by
// environment variables as in production), so a test can SIGKILL it like a crash and
// start it again on the same data directory and port. Children die with the test process.

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from './http.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const START_TIMEOUT_MS = 20_000;

export interface ChildReceiver {
  url: string;
  port: number;
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (SIGKILL by default: a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (graceful close) and wait; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last few KiB of stdout+stderr, for failure messages. */
  output(): string;
}

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts `node receiver/src/main.ts` with `env` (ENV_SETTINGS names: PORT, DATA_DIR, ...)
 * on 127.0.0.1:`port` and resolves once /healthz answers; rejects with its output if it
 * exits or stays silent.
 */
export async function spawnReceiver(port: number, env: Record<string, string>): Promise<ChildReceiver> {
  hookExit();
  // Only what Node needs from our environment: no stray OTEL_REPLAY_* or receiver settings.
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name]) base[name] = process.env[name]!;
  const child = spawn(process.execPath, [MAIN], {
    env: { ...base, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const keep = (chunk: string): void => {
    out = (out + chunk).slice(-8192);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${port}`;

  let gone: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((e) => {
    gone = e;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`receiver child (port ${port}) exited during start with ${JSON.stringify(gone)}:\n${out}`);
    try {
      const res = await request(`${url}/healthz`, { timeoutMs: 1000 });
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`receiver child (port ${port}) did not answer /healthz within ${START_TIMEOUT_MS} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    pid: child.pid!,
    exited,
    kill(signal = 'SIGKILL') {
      child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    output: () => out,
  };
}
