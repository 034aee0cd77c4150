// A real, throwaway PostgreSQL server for tests: initdb into a temp dir, start on a free
// 127.0.0.1 port with trust auth, and hand back controls to stop, kill and restart it
// (same data dir, same port) so tests can watch the index lose and regain its database.
// Uses Debian's server binaries; running them is a hard requirement, never a skip.

import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../helpers/http.ts';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

export interface PostgresPeer {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE */
  url: string;
  port: number;
  /** Fast shutdown (clients are disconnected, data flushed). */
  stop(): Promise<void>;
  /** Immediate shutdown: like a crash; the next start recovers from WAL. */
  kill(): Promise<void>;
  /** Starts the server again on the same data dir and port (stops it first if running). */
  restart(): Promise<void>;
  /** Creates another empty database on this server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

/** The newest installed server's bin dir, or an error telling how to install one. */
export function findPostgresBin(root = PG_ROOT): string {
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`PostgreSQL server binaries (initdb, pg_ctl) not found under ${root}/<version>/bin; the PostgreSQL index tests need a real server: install it with \`apt-get install -y postgresql\``);
  }
  return path.join(root, versions[0]!, 'bin');
}


const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root, so as root every server binary runs as `postgres`. */
function command(bin: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

const live = new Set<() => void>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanupAll = (): void => {
    for (const cleanup of [...live]) cleanup();
  };
  process.once('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanupAll();
      process.kill(process.pid, signal);
    });
  }
}

export async function startPostgres(options: { database?: string } = {}): Promise<PostgresPeer> {
  const bin = findPostgresBin();
  const database = options.database ?? 'otel_replay_test';
  const root = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-pg-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'sock');
  const logFile = path.join(root, 'server.log');
  mkdirSync(socketDir);
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
    chownSync(socketDir, uid, gid);
  }
  const exec = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = command(path.join(bin, tool), args);
    try {
      await run(file, argv, { cwd: root, timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`PostgreSQL test server: ${tool} ${args.join(' ')} failed: ${e.stderr || e.message}\n${log}`);
    }
  };

  let running = false;
  let port = 0;
  const removeAll = (): void => {
    if (running) {
      try {
        const [file, argv] = command(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
        execFileSync(file, argv, { cwd: root, stdio: 'ignore', timeout: 30_000 });
      } catch {
        // Already gone; the data dir goes next either way.
      }
      running = false;
    }
    rmSync(root, { recursive: true, force: true });
    live.delete(removeAll);
  };
  live.add(removeAll);
  hookExit();

  const start = async (): Promise<void> => {
    const opts = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=60`;
    await exec('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', opts, 'start']);
    running = true;
  };
  const shutdown = async (mode: 'fast' | 'immediate'): Promise<void> => {
    if (!running) return;
    await exec('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  };

  try {
    await exec('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    port = await freePort();
    await start();
  } catch (err) {
    removeAll();
    throw err;
  }

  const urlFor = (db: string): string => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const createDatabase = async (name: string): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`PostgreSQL test server: database name ${JSON.stringify(name)} must match [a-z_][a-z0-9_]*`);
    const client = new pg.Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return urlFor(name);
  };
  try {
    await createDatabase(database);
  } catch (err) {
    removeAll();
    throw err;
  }

  return {
    url: urlFor(database),
    port,
    stop: () => shutdown('fast'),
    kill: () => shutdown('immediate'),
    restart: async () => {
      await shutdown('fast');
      await start();
    },
    createDatabase,
    dispose: async () => {
      await shutdown('fast').catch(() => {});
      removeAll();
    },
  };
}
