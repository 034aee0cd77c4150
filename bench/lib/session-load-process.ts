// Parent side of session-load.ts: starts the load generator in its own process (pinned
// to a CPU when asked), follows its progress so a caller can inject a fault once load is
// flowing, and reads its report. The child is killed if it outlives its own time bounds.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { removeTempDir, spawnPinned, tempDir } from './processes.ts';
import type { SessionLoadReport, SessionLoadSpec } from './session-load.ts';

export interface LoadProgress {
  atMs: number;
  sent: number;
  ackedSegments: number;
  createdSegments: number;
}

export interface RunningLoad {
  pid: number | undefined;
  /** The latest progress line, or null before the first. */
  progress(): LoadProgress | null;
  /** Resolves once at least `n` segments are acknowledged; rejects after `timeoutMs` or if the generator exits. */
  waitForAckedSegments(n: number, timeoutMs: number): Promise<void>;
  done: Promise<SessionLoadReport>;
}

const SCRIPT = path.join(import.meta.dirname, 'session-load.ts');

export function startSessionLoad(spec: Omit<SessionLoadSpec, 'reportFile'>, options: { cpu?: number | null; echoProgress?: boolean } = {}): RunningLoad {
  const dir = tempDir('session-load');
  const full: SessionLoadSpec = { ...spec, reportFile: path.join(dir, 'report.json') };
  const child = spawnPinned('session load generator', options.cpu ?? null, [SCRIPT, JSON.stringify(full)]);
  let latest: LoadProgress | null = null;
  let buffered = '';
  let exited = false;
  child.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const parsed = JSON.parse(line) as { progress?: LoadProgress };
        if (parsed.progress) {
          latest = parsed.progress;
          if (options.echoProgress) process.stderr.write(`  load: ${latest.sent} requests sent, ${latest.ackedSegments} of ${latest.createdSegments} segments acknowledged\n`);
        }
      } catch {
        // Not ours (a warning line); ignore.
      }
    }
  });
  const limitMs = spec.durationMs + spec.drainMs + spec.timeoutMs + 60_000;
  const timer = setTimeout(() => child.process.kill('SIGKILL'), limitMs);
  const done = child.exited.then((code) => {
    exited = true;
    clearTimeout(timer);
    try {
      if (code !== 0) throw new Error(`session load generator exited with ${code ?? 'a signal'} (limit ${limitMs} ms):\n${child.stderr().slice(-2000)}`);
      return JSON.parse(readFileSync(full.reportFile, 'utf8')) as SessionLoadReport;
    } finally {
      removeTempDir(dir);
    }
  });
  // A caller may only look at `done` later; do not let an early failure go unhandled meanwhile.
  done.catch(() => {});
  return {
    pid: child.process.pid,
    progress: () => latest,
    async waitForAckedSegments(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ((latest?.ackedSegments ?? 0) < n) {
        if (exited) throw new Error(`session load generator ended before ${n} segments were acknowledged (${latest?.ackedSegments ?? 0}):\n${child.stderr().slice(-1000)}`);
        if (Date.now() > deadline) throw new Error(`only ${latest?.ackedSegments ?? 0} of ${n} segments acknowledged within ${timeoutMs} ms; generator stderr:\n${child.stderr().slice(-1000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    done,
  };
}
