// `npm start`: the receiver on embedded storage (127.0.0.1:4318, data under ./data) and
// the demo app (127.0.0.1:8080) side by side, each in its own process, with the demo's
// origin added to the receiver's CORS list. Prints where to click and, as sessions come
// in, where to replay them; Ctrl-C (SIGINT) or SIGTERM stops both. `npm run receiver`
// runs the receiver alone.
//
// Settings: the receiver's own (--config FILE, OTEL_REPLAY_CONFIG, PORT, DATA_DIR, …; see
// README) and the demo's DEMO_* variables (demo/README.md). The receiver logs warnings
// and errors only here; LOG_LEVEL=info shows everything.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../receiver/src/config.ts';
import type { ReceiverConfig } from '../receiver/src/config.ts';
import { DemoConfigError, loadDemoConfig } from '../demo/src/config.ts';
import type { DemoConfig } from '../demo/src/config.ts';

const root = path.resolve(import.meta.dirname, '..');
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
const WATCH_INTERVAL_MS = 2000;

function fail(message: string): never {
  process.stderr.write(`otel-replay: ${message}\n`);
  process.exit(2);
}

/** How a browser on this machine reaches a server listening on `host`. */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

interface Plan {
  receiver: ReceiverConfig;
  receiverUrl: string;
  demo: DemoConfig;
  demoUrl: string;
  /** Environment of each child. */
  receiverEnv: NodeJS.ProcessEnv;
  demoEnv: NodeJS.ProcessEnv;
  configFile: string | null;
}

/** Both configurations, checked here so a mistake is reported before anything starts. */
function plan(env: NodeJS.ProcessEnv, configFile: string | null): Plan {
  const receiver = loadConfig({ file: configFile, env });
  const receiverUrl = localUrl(receiver.server.host, receiver.server.port);
  const demo = loadDemoConfig({ ...env, DEMO_RECEIVER_URL: env.DEMO_RECEIVER_URL || receiverUrl });
  const demoUrl = localUrl(demo.host, demo.port);
  // The browser posts from the demo's origin, under whichever name the user typed.
  const demoOrigins = [demoUrl];
  const { hostname, port } = new URL(demoUrl);
  if (hostname === '127.0.0.1' || hostname === '[::1]') demoOrigins.push(`http://localhost:${port}`);
  const cors = [...new Set([...receiver.server.corsAllowedOrigins, ...demoOrigins])];
  return {
    receiver,
    receiverUrl,
    demo,
    demoUrl,
    configFile,
    receiverEnv: { ...env, CORS_ALLOWED_ORIGINS: cors.join(','), LOG_LEVEL: env.LOG_LEVEL || env.OTEL_REPLAY_LOG_LEVEL || 'warn' },
    demoEnv: { ...env, DEMO_RECEIVER_URL: demo.browserEndpoint },
  };
}

function banner(p: Plan): string {
  const api = `${p.receiverUrl}/api/v1/sessions`;
  return [
    '',
    '  otel-replay is running.',
    '',
    `  1. Open the demo and click around:  ${p.demoUrl}`,
    '     Visit all three pages, add and remove items, load the weekly report (slow),',
    '     try Checkout (fails) and "Throw an error". Typed text and page text are masked.',
    '  2. Watch what was recorded:',
    `     sessions (JSON):            ${api}`,
    `     one session's replay:       ${api}/<session id>/export.html`,
    '     (an HTML file that replays offline). The demo\'s footer links to its own;',
    '     new sessions are listed below as they arrive.',
    '',
    `  Receiver: ${p.receiverUrl} (OTLP/HTTP and query API), data in ${p.receiver.dataDir}`,
    '  With Docker, `docker compose up` adds Grafana, Loki and Tempo (see README).',
    '  Ctrl-C stops both.',
    '',
  ].join('\n');
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

interface SessionRow {
  sessionId: string;
  pageViews: number;
  clicks: number;
  errors: number;
  hasReplay: boolean;
}

/** Lists each session with a replay once, as it arrives (only without auth: the query API needs no token then). */
function watchSessions(p: Plan, since: number): NodeJS.Timeout | null {
  if (p.receiver.auth.required) return null;
  const shown = new Set<string>();
  const timer = setInterval(() => {
    fetch(`${p.receiverUrl}/api/v1/sessions?from=${since}&hasReplay=true&sort=firstSeen&order=asc&limit=50`, { signal: AbortSignal.timeout(2000) })
      .then((res) => (res.ok ? (res.json() as Promise<{ sessions: SessionRow[] }>) : null))
      .then((result) => {
        for (const s of result?.sessions ?? []) {
          if (shown.has(s.sessionId)) continue;
          shown.add(s.sessionId);
          process.stdout.write(`  ● new session ${s.sessionId}, replay: ${p.receiverUrl}/api/v1/sessions/${s.sessionId}/export.html\n`);
        }
      }, () => {});
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return timer;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  let p: Plan;
  try {
    p = plan(process.env, values.config ?? null);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DemoConfigError) fail(`configuration error: ${err.message}`);
    throw err;
  }
  process.stdout.write('otel-replay: starting the receiver and the demo…\n');
  const since = Date.now();
  const receiverArgs = [path.join(root, 'receiver', 'src', 'main.ts'), ...(p.configFile ? ['--config', p.configFile] : [])];
  const children: Array<{ name: string; child: ChildProcess }> = [
    { name: 'receiver', child: spawn(process.execPath, receiverArgs, { cwd: process.cwd(), env: p.receiverEnv, stdio: ['ignore', 'inherit', 'inherit'] }) },
    { name: 'demo', child: spawn(process.execPath, [path.join(root, 'demo', 'src', 'main.ts')], { cwd: process.cwd(), env: p.demoEnv, stdio: ['ignore', 'inherit', 'inherit'] }) },
  ];

  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    stopping = true;
    await Promise.all(children.map(({ child }) => stopChild(child)));
    process.exit(code);
  };
  for (const { name, child } of children) {
    child.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`otel-replay: the ${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest\n`);
      void stopAll(1);
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      process.stdout.write('\notel-replay: stopping…\n');
      void stopAll(0);
    });
  }

  const deadline = Date.now() + READY_TIMEOUT_MS;
  const ready = { receiver: false, demo: false };
  while (!(ready.receiver && ready.demo)) {
    if (stopping) return;
    if (Date.now() > deadline) {
      process.stderr.write(`otel-replay: not ready after ${READY_TIMEOUT_MS / 1000} s (receiver ${ready.receiver ? 'up' : `not answering at ${p.receiverUrl}/readyz`}, demo ${ready.demo ? 'up' : `not answering at ${p.demoUrl}/healthz`}); stopping\n`);
      await stopAll(1);
    }
    ready.receiver ||= await answers(`${p.receiverUrl}/readyz`);
    ready.demo ||= await answers(`${p.demoUrl}/healthz`);
    if (!(ready.receiver && ready.demo)) await new Promise((r) => setTimeout(r, 200));
  }
  process.stdout.write(`${banner(p)}\n`);
  watchSessions(p, since);
}

await main();
