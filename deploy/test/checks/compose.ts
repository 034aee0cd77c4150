// Checks of docker-compose.yml: the Compose Specification JSON schema (as shipped in the
// `dclint` package), then what the schema cannot see: images pinned to exact versions
// (Dockerfile base images too), build contexts and Dockerfiles present, bind-mounted host
// paths present, named volumes declared and used, depends_on targets defined and active
// under the same profiles, and config paths named in commands actually mounted.
// Each function returns problems as sentences; an empty list means the file is right.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { interpolate, isMap, repoRoot } from './files.ts';
import type { Doc } from './files.ts';

export interface Mount {
  kind: 'bind' | 'volume';
  source: string;
  target: string;
}

/**
 * Host paths that a build creates rather than git holds: mounting them is right as long as
 * the command that makes them exists (the README tells users to run it first).
 */
export const BUILD_OUTPUTS: Record<string, { workspace: string; script: string }> = {
  'grafana-plugin/dist': { workspace: 'grafana-plugin', script: 'build' },
};

let schemaValidator: ValidateFunction | null = null;

/** The Compose Specification schema as dclint ships it (draft-07). */
export function composeSchema(): Doc {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('dclint/package.json');
  } catch {
    throw new Error('the dclint package (which ships the Compose Specification schema) is not installed: run `npm ci` at the repository root');
  }
  return JSON.parse(readFileSync(path.join(path.dirname(pkg), 'schemas', 'compose.schema.json'), 'utf8')) as Doc;
}

function formatAjvError(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
  const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`;
}

/** Validates against the Compose Specification schema. */
export function composeSchemaProblems(doc: Doc): string[] {
  if (!schemaValidator) {
    const { $schema: _meta, ...schema } = composeSchema();
    // strict off: the schema carries annotations (deprecated) that Ajv's strict mode rejects.
    schemaValidator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (schemaValidator(doc)) return [];
  return (schemaValidator.errors ?? []).map((e) => `docker-compose.yml does not match the Compose Specification: ${formatAjvError(e)}`);
}

export function services(doc: Doc): Record<string, Doc> {
  return isMap(doc.services) ? (doc.services as Record<string, Doc>) : {};
}

export function profilesOf(service: Doc): string[] {
  return Array.isArray(service.profiles) ? (service.profiles as string[]) : [];
}

/** Ports the service's container listens on, as declared by `ports` (target side) and `expose`. */
export function containerPorts(service: Doc): number[] {
  const out: number[] = [];
  for (const p of Array.isArray(service.ports) ? service.ports : []) {
    if (isMap(p)) out.push(Number(p.target));
    else out.push(Number(String(p).split('/')[0]!.split(':').at(-1)));
  }
  for (const p of Array.isArray(service.expose) ? service.expose : []) out.push(Number(String(p).split('/')[0]));
  return out.filter((n) => Number.isInteger(n));
}

export function mountsOf(service: Doc): Mount[] {
  const out: Mount[] = [];
  for (const v of Array.isArray(service.volumes) ? service.volumes : []) {
    if (isMap(v)) {
      out.push({ kind: v.type === 'bind' ? 'bind' : 'volume', source: String(v.source ?? ''), target: String(v.target ?? '') });
      continue;
    }
    const [source = '', target = ''] = String(v).split(':');
    out.push({ kind: /^[./~]/.test(source) ? 'bind' : 'volume', source, target });
  }
  return out;
}

/** The service's environment as the container sees it, with `env` standing for the user's shell. */
export function environmentOf(service: Doc, env: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const [k, ...rest] = String(entry).split('=');
      out[k!] = interpolate(rest.join('='), env);
    }
  } else if (isMap(raw)) {
    for (const [k, v] of Object.entries(raw)) out[k] = interpolate(v == null ? '' : String(v), env);
  }
  return out;
}

/** depends_on in either form, as { service, required }. */
export function dependenciesOf(service: Doc): Array<{ name: string; required: boolean; condition: string }> {
  const d = service.depends_on;
  if (Array.isArray(d)) return d.map((name) => ({ name: String(name), required: true, condition: 'service_started' }));
  if (isMap(d)) {
    return Object.entries(d).map(([name, spec]) => ({
      name,
      required: !(isMap(spec) && spec.required === false),
      condition: isMap(spec) && typeof spec.condition === 'string' ? spec.condition : 'service_started',
    }));
  }
  return [];
}

const EXACT_TAG = [
  /^v?\d+\.\d+(\.\d+)?([.-][A-Za-z0-9.-]+)?$/, // 13.1.0, 17.6, 24.21.0-slim
  /^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/, // MinIO release tags
];

/** Why an image reference is not pinned to one exact version, or null when it is. */
export function imagePinProblem(image: string): string | null {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return null;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return `image ${image} has no tag (that means latest): pin an exact version`;
  const tag = image.slice(colon + 1);
  if (tag === 'latest') return `image ${image} uses latest: pin an exact version`;
  if (!EXACT_TAG.some((re) => re.test(tag))) return `image ${image}: tag ${tag} is not an exact version (e.g. 1.2.3)`;
  return null;
}

/** Base images of a Dockerfile, with `ARG NAME=default` substituted. */
export function dockerfileBaseImages(text: string): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of text.split('\n')) {
    const arg = /^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)/i.exec(line);
    if (arg) args[arg[1]!] = arg[2]!;
    const from = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const image = from[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => args[n] ?? '');
      if (!stages.has(image)) images.push(image);
      if (from[2]) stages.add(from[2]);
    }
  }
  return images;
}

/** The Dockerfile a service builds from, or null when it runs a pulled image. */
export function dockerfileOf(service: Doc, root = repoRoot): string | null {
  if (service.build === undefined) return null;
  const build = isMap(service.build) ? service.build : { context: service.build };
  return path.resolve(root, String(build.context ?? '.'), String(build.dockerfile ?? 'Dockerfile'));
}

function dockerfileHasHealthcheck(service: Doc, root: string): boolean {
  const file = dockerfileOf(service, root);
  return file !== null && existsSync(file) && /^\s*HEALTHCHECK\s+(?!NONE)/im.test(readFileSync(file, 'utf8'));
}

/** Environment the image sets (every `ENV` of the Dockerfile's last stage, `A=b` form). */
export function dockerfileEnv(text: string): Record<string, string> {
  const joined = text.replace(/\\\r?\n/g, ' ');
  let env: Record<string, string> = {};
  for (const line of joined.split('\n')) {
    if (/^\s*FROM\s/i.test(line)) env = {};
    const m = /^\s*ENV\s+(.*)$/i.exec(line);
    if (!m) continue;
    for (const pair of m[1]!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env[pair[1]!] = pair[2]!.replace(/^"|"$/g, '');
  }
  return env;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Everything the schema cannot check. `root` is the directory of docker-compose.yml. */
export function composeProblems(doc: Doc, root = repoRoot): string[] {
  const problems: string[] = [];
  const all = services(doc);
  const declaredVolumes = new Set(Object.keys(isMap(doc.volumes) ? doc.volumes : {}));
  const usedVolumes = new Set<string>();
  if (Object.keys(all).length === 0) problems.push('docker-compose.yml defines no services');

  for (const [name, svc] of Object.entries(all)) {
    const at = `service ${name}`;
    if (typeof svc.image !== 'string' && svc.build === undefined) problems.push(`${at}: has neither image nor build`);

    if (svc.build !== undefined) {
      const build = isMap(svc.build) ? svc.build : { context: svc.build };
      const context = path.resolve(root, String(build.context ?? '.'));
      const dockerfile = dockerfileOf(svc, root)!;
      if (!isDir(context)) problems.push(`${at}: build context ${String(build.context)} is not a directory`);
      else if (!existsSync(dockerfile)) problems.push(`${at}: Dockerfile ${path.relative(root, dockerfile)} does not exist`);
      else {
        for (const base of dockerfileBaseImages(readFileSync(dockerfile, 'utf8'))) {
          const why = imagePinProblem(base);
          if (why) problems.push(`${at}: ${path.relative(root, dockerfile)} base ${why}`);
        }
      }
      if (typeof svc.image === 'string' && !svc.image.includes(':')) problems.push(`${at}: built image ${svc.image} needs an explicit local tag`);
    } else if (typeof svc.image === 'string') {
      const why = imagePinProblem(svc.image);
      if (why) problems.push(`${at}: ${why}`);
    }

    const targets: string[] = [];
    for (const m of mountsOf(svc)) {
      targets.push(m.target);
      if (!m.target.startsWith('/')) problems.push(`${at}: mount target ${m.target} is not an absolute container path`);
      if (m.kind === 'volume') {
        usedVolumes.add(m.source);
        if (!declaredVolumes.has(m.source)) problems.push(`${at}: named volume ${m.source} is not declared under volumes:`);
        continue;
      }
      const rel = path.relative(root, path.resolve(root, m.source));
      if (existsSync(path.join(root, rel))) continue;
      const output = BUILD_OUTPUTS[rel];
      if (!output) {
        problems.push(`${at}: mounted host path ${m.source} does not exist`);
        continue;
      }
      const pkg = path.join(root, output.workspace, 'package.json');
      const scripts = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {} : {};
      if (!scripts[output.script]) problems.push(`${at}: mounted ${m.source} is a build output, but ${output.workspace}/package.json has no "${output.script}" script to make it`);
    }

    // Config files named on the command line or in the environment must be mounted.
    const texts = [svc.command, svc.entrypoint].flatMap((v) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []));
    texts.push(...Object.values(environmentOf(svc)));
    for (const text of texts) {
      for (const m of text.matchAll(/\/etc\/[^\s,"'=:]+/g)) {
        const p = m[0];
        if (!targets.some((t) => p === t || p.startsWith(`${t}/`))) problems.push(`${at}: ${p} is used but nothing is mounted there`);
      }
    }

    const mine = profilesOf(svc);
    for (const dep of dependenciesOf(svc)) {
      const target = all[dep.name];
      if (!target) {
        problems.push(`${at}: depends_on ${dep.name}, which is not a service`);
        continue;
      }
      if (dep.condition === 'service_healthy' && target.healthcheck === undefined && !dockerfileHasHealthcheck(target, root)) {
        problems.push(`${at}: waits for ${dep.name} to be healthy, but ${dep.name} has no healthcheck (in the compose file or its Dockerfile)`);
      }
      if (!dep.required) continue;
      const theirs = profilesOf(target);
      if (theirs.length === 0) continue;
      const missing = mine.length === 0 ? ['(no profile)'] : mine.filter((p) => !theirs.includes(p));
      if (missing.length) problems.push(`${at}: depends_on ${dep.name}, which is only in profile(s) ${theirs.join(', ')} while ${name} runs under ${missing.join(', ')}: add the profile or mark the dependency required: false`);
    }
  }
  for (const v of declaredVolumes) if (!usedVolumes.has(v)) problems.push(`volume ${v} is declared but no service mounts it`);
  return problems;
}
