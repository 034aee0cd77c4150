// Where the stack's files are and how they are read: YAML as Compose reads it (merge keys
// on), Compose's `${VAR:-default}` interpolation, and a few small shape helpers shared by
// the checks. The checks themselves never touch the disk except through `root`.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

export const STACK_FILES = {
  compose: 'docker-compose.yml',
  collector: 'otel-collector-config.yaml',
  loki: 'deploy/loki.yaml',
  tempo: 'deploy/tempo.yaml',
  receiver: 'deploy/receiver.yaml',
  datasources: 'deploy/grafana/provisioning/datasources/datasources.yaml',
  apps: 'deploy/grafana/provisioning/plugins/otel-replay.yaml',
  pluginJson: 'grafana-plugin/src/plugin.json',
  pluginConstants: 'grafana-plugin/src/constants.ts',
} as const;

export type Doc = Record<string, unknown>;

export function isMap(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a YAML file of the stack; `merge` resolves `<<:` keys as Compose does. */
export function readYaml(rel: string, root = repoRoot): Doc {
  const file = path.join(root, rel);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'), { merge: true });
  } catch (err) {
    throw new Error(`${rel}: not valid YAML (${(err as Error).message})`);
  }
  if (!isMap(doc)) throw new Error(`${rel}: expected a mapping at the top`);
  return doc;
}

export function readJson(rel: string, root = repoRoot): Doc {
  const doc: unknown = JSON.parse(readFileSync(path.join(root, rel), 'utf8'));
  if (!isMap(doc)) throw new Error(`${rel}: expected an object at the top`);
  return doc;
}

/** A deep copy for negative tests: mutate the copy, never the loaded original. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Compose interpolation of one value: `$$` is a literal `$`, `${VAR}`, `${VAR:-default}`
 * and `${VAR-default}` read `env` (unset → default or ""). Enough for this stack's file.
 */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (whole, name: string | undefined, op: string | undefined, def: string | undefined) => {
    if (whole === '$$') return '$';
    const v = env[name!];
    if (op === ':-') return v ? v : (def ?? '');
    if (op === '-') return v !== undefined ? v : (def ?? '');
    return v ?? '';
  });
}

/** `http://host:port/path` → its parts; the port defaults by scheme. */
export function urlParts(url: string): { host: string; port: number; path: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname, port, path: u.pathname };
}
