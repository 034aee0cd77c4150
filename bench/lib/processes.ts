// Child processes and temp dirs for benchmarks, with cleanup that also runs when a
// benchmark throws or the user presses Ctrl-C: every child started here is killed by its
// pid and every temp dir removed. Children are pinned to one CPU with taskset (util-linux)
// so "one core" means one core, threads of the libuv pool included.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last 64 KiB of stdout and stderr, for error messages and results. */
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes and removing temp dirs\n`);
      cleanupNow();
      process.exit(130);
    });
  }
}

export function tempDir(prefix: string): string {
  installHooks();
  const dir = mkdtempSync(path.join(os.tmpdir(), `otel-replay-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Fails with a clear message when taskset is missing, since unpinned figures would mislead. */
export function requireTaskset(): void {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`taskset is not usable (${probe.error?.message ?? probe.stderr.trim()}); install util-linux (apt-get install util-linux) to run the pinned benchmarks`);
  }
}

/** CPUs this process may run on, from /proc/self/status (falls back to 0..n-1). */
export function allowedCpus(): number[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
    if (line) {
      const cpus: number[] = [];
      for (const part of line.split(':')[1]!.trim().split(',')) {
        const [a, b] = part.split('-').map(Number) as [number, number | undefined];
        for (let c = a; c <= (b ?? a); c++) cpus.push(c);
      }
      if (cpus.length > 0) return cpus;
    }
  } catch {
    // Not Linux: fall through.
  }
  return Array.from({ length: os.availableParallelism() }, (_, i) => i);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tail(buffer: { text: string }, chunk: Buffer): void {
  buffer.text = (buffer.text + chunk.toString('utf8')).slice(-65536);
}

/** Starts `node ARGS` pinned to `cpu` (or anywhere when null), tracked for cleanup. */
export function spawnPinned(name: string, cpu: number | null, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  installHooks();
  const child = cpu === null
    ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn('taskset', ['-c', String(cpu), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  const out = { text: '' };
  const err = { text: '' };
  child.stdout!.on('data', (c: Buffer) => tail(out, c));
  child.stderr!.on('data', (c: Buffer) => tail(err, c));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    });
    child.once('error', (e) => {
      err.text += `\ncould not start ${name}: ${e.message}`;
      children.delete(child);
      resolve(-1);
    });
  });
  return { name, process: child, stdout: () => out.text, stderr: () => err.text, exited };
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: Child, graceMs = 15_000): Promise<number | null> {
  const p = child.process;
  if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
  p.kill('SIGTERM');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      p.kill('SIGKILL');
      resolve(null);
    }, graceMs);
  });
  const code = await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  await child.exited;
  return code;
}

/** Polls `url` until it answers 200; fails early, with the child's stderr, if the child exits. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  let last = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before answering ${url}:\n${child.stderr().slice(-2000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms (last: ${last}):\n${child.stderr().slice(-2000)}`);
}

/** Runs `node ARGS` pinned to `cpu` (null: not pinned) to completion and returns the JSON its last stdout line holds. */
export async function runPinnedJson<T>(name: string, cpu: number | null, args: string[], timeoutMs: number): Promise<T> {
  const child = spawnPinned(name, cpu, args);
  child.process.stderr!.on('data', (c: Buffer) => process.stderr.write(c));
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} exited with ${code ?? 'a signal'} (limit ${timeoutMs} ms):\n${child.stderr().slice(-2000)}`);
  const lines = child.stdout().trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`${name} printed no JSON result; its output ended with:\n${child.stdout().slice(-500)}`);
  }
}

/** Peak resident memory (VmHWM) of a live process in bytes, from /proc; null where unavailable. */
export function peakRssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return line ? Number(/(\d+)/.exec(line)![1]) * 1024 : null;
  } catch {
    return null;
  }
}
