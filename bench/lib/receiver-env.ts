// The environment a benchmark's receiver process (`node receiver/src/main.ts`) starts with:
// its settings come from the variables given here only, none inherited from the caller's shell.

import { ENV_SETTINGS } from '../../receiver/src/config.ts';

export function receiverEnv(port: number, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(ENV_SETTINGS)) {
    delete env[name];
    delete env[`OTEL_REPLAY_${name}`];
  }
  delete env.OTEL_REPLAY_CONFIG;
  // No query rate limit: the load check reads every stored segment back as fast as it can.
  return { ...env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', INSTANCE_ID: 'bench', NODE_NO_WARNINGS: '1', QUERY_RATE_LIMIT_REQUESTS_PER_SECOND: '0', ...extra };
}
