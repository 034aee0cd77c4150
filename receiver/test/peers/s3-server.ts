// Test peer: a real S3-compatible server (@20minutes/s3rver) in a separate child process,
// so tests can kill it (SIGKILL) and restart it on the same port and data directory to
// exercise outages. Children are killed when the test process exits.

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface S3ServerPeer {
  /** http://127.0.0.1:<port> — use with forcePathStyle: true. */
  endpoint: string;
  bucket: string;
  port: number;
  dir: string;
  /** Stops the server for good (and removes its data directory if this peer made it). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; restart() brings it back with the same data. */
  kill(): void;
  /** SIGSTOP: the port still accepts connections but nothing answers (a hung store). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts the server again on the same port and directory (stops it first if running). */
  restart(): Promise<void>;
}

const LAUNCHER = path.join(import.meta.dirname, 's3rver-main.ts');
const START_TIMEOUT_MS = 15_000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function launch(dir: string, bucket: string, port: number): Promise<{ child: ChildProcess; port: number; exited: Promise<void> }> {
  installExitHook();
  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only
  // offers through its legacy provider; without it every second page is a 500.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', LAUNCHER, JSON.stringify({ dir, bucket, port })], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`S3 test peer (s3rver on port ${port}, dir ${dir}) did not start: ${why}${stderr ? `\n${stderr.slice(-2000)}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no port announced within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const announced = JSON.parse(stdout.slice(0, nl)) as { port: number };
        resolve({ child, port: announced.port, exited });
      } catch {
        fail(`unexpected output ${JSON.stringify(stdout.slice(0, 200))}`);
      }
    });
    child.once('exit', (code, signal) => fail(`exited early with ${signal ?? `code ${code}`}`));
    child.once('error', (err) => fail(err.message));
  });
}

export async function startS3Server(options: { dir?: string; bucket?: string; port?: number } = {}): Promise<S3ServerPeer> {
  const ownsDir = !options.dir;
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'otel-replay-s3rver-')));
  const bucket = options.bucket ?? 'otel-replay-test';
  let current = await launch(dir, bucket, options.port ?? 0);
  const port = current.port;
  let running = true;

  const terminate = async (): Promise<void> => {
    if (!running) {
      await current.exited;
      return;
    }
    running = false;
    current.child.kill('SIGCONT');
    current.child.kill('SIGTERM');
    const timer = setTimeout(() => current.child.kill('SIGKILL'), 3000);
    await current.exited;
    clearTimeout(timer);
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    port,
    dir,
    async stop() {
      await terminate();
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
    kill() {
      running = false;
      current.child.kill('SIGKILL');
    },
    pause() {
      current.child.kill('SIGSTOP');
    },
    resume() {
      current.child.kill('SIGCONT');
    },
    async restart() {
      await terminate();
      current = await launch(dir, bucket, port);
      running = true;
    },
  };
}
