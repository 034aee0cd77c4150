// Checks that span files: one tenant from browser to Grafana (receiver keys, Collector and
// data source X-Scope-OrgID, the app's token and tenant), each receiver service's
// environment plus deploy/receiver.yaml accepted by the receiver's own config loader, the
// bucket and credentials MinIO is set up with, Loki and Tempo configured for what the
// Collector and Grafana expect of them, and the demo's settings named as demo/ reads them.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_ENV } from '../../../demo/src/config.ts';
import { ENV_SETTINGS, loadConfig } from '../../../receiver/src/config.ts';
import type { ReceiverConfig } from '../../../receiver/src/config.ts';
import { containerPorts, dockerfileEnv, dockerfileOf, environmentOf, mountsOf, services } from './compose.ts';
import { datasourcesOf } from './grafana.ts';
import { STACK_FILES, isMap, readJson, readYaml, repoRoot, urlParts } from './files.ts';
import type { Doc } from './files.ts';

export interface Stack {
  compose: Doc;
  collector: Doc;
  loki: Doc;
  tempo: Doc;
  receiver: Doc;
  datasources: Doc;
  apps: Doc;
  pluginId: string;
  sessionRoute: string;
}

/** Reads every file of the stack from `root`. */
export function loadStack(root = repoRoot): Stack {
  const constants = readFileSync(path.join(root, STACK_FILES.pluginConstants), 'utf8');
  const route = /Session:\s*'([^']+)'/.exec(constants);
  if (!route) throw new Error(`${STACK_FILES.pluginConstants}: cannot find ROUTES.Session (the Session page's path segment)`);
  return {
    compose: readYaml(STACK_FILES.compose, root),
    collector: readYaml(STACK_FILES.collector, root),
    loki: readYaml(STACK_FILES.loki, root),
    tempo: readYaml(STACK_FILES.tempo, root),
    receiver: readYaml(STACK_FILES.receiver, root),
    datasources: readYaml(STACK_FILES.datasources, root),
    apps: readYaml(STACK_FILES.apps, root),
    pluginId: String(readJson(STACK_FILES.pluginJson, root).id),
    sessionRoute: route[1]!,
  };
}

function get(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const k of dotted.split('.')) cur = isMap(cur) ? cur[k] : undefined;
  return cur;
}

/** Services built from a given Dockerfile (relative to the repository root). */
export function servicesBuiltFrom(compose: Doc, dockerfile: string, root = repoRoot): Array<[string, Doc]> {
  return Object.entries(services(compose)).filter(([, s]) => dockerfileOf(s, root) === path.join(root, dockerfile));
}

/** Host file behind a container path, through the service's bind mounts. */
function hostPathOf(service: Doc, containerPath: string, root: string): string | null {
  for (const m of mountsOf(service)) {
    if (m.kind === 'bind' && (containerPath === m.target || containerPath.startsWith(`${m.target}/`))) return path.join(root, m.source, containerPath.slice(m.target.length));
  }
  return null;
}

/** Loads each receiver service's config as the receiver would at start, per `shellEnv`. */
export function receiverConfigs(stack: Stack, shellEnv: Record<string, string> = {}, root = repoRoot): { configs: Array<[string, ReceiverConfig]>; problems: string[] } {
  const problems: string[] = [];
  const configs: Array<[string, ReceiverConfig]> = [];
  const known = new Set(['OTEL_REPLAY_CONFIG', 'NODE_ENV', ...Object.keys(ENV_SETTINGS), ...Object.keys(ENV_SETTINGS).map((k) => `OTEL_REPLAY_${k}`)]);
  const built = servicesBuiltFrom(stack.compose, 'receiver/Dockerfile', root);
  if (built.length === 0) problems.push('no service of docker-compose.yml is built from receiver/Dockerfile');
  for (const [name, svc] of built) {
    const env = environmentOf(svc, shellEnv);
    for (const k of Object.keys(env)) if (!known.has(k)) problems.push(`service ${name}: environment ${k} is not a receiver setting (receiver/src/config.ts ENV_SETTINGS)`);
    const file = env.OTEL_REPLAY_CONFIG ? hostPathOf(svc, env.OTEL_REPLAY_CONFIG, root) : null;
    if (env.OTEL_REPLAY_CONFIG && !file) {
      problems.push(`service ${name}: OTEL_REPLAY_CONFIG ${env.OTEL_REPLAY_CONFIG} is not a bind-mounted file`);
      continue;
    }
    // As in the image (receiver/Dockerfile ENV), then the service's environment. The
    // stack's receiver file is given as loaded (so a mutated copy is what gets checked).
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-stack-'));
    const given = file !== null && path.resolve(file) === path.join(root, STACK_FILES.receiver) ? path.join(scratch, 'receiver.json') : file;
    if (given !== file) writeFileSync(given!, JSON.stringify(stack.receiver));
    const imageEnv = dockerfileEnv(readFileSync(path.join(root, 'receiver/Dockerfile'), 'utf8'));
    const containerEnv = { ...imageEnv, ...env, OTEL_REPLAY_CONFIG: given ?? '' };
    try {
      const config = loadConfig({ file: given, env: containerEnv });
      configs.push([name, config]);
      if (!containerPorts(svc).includes(config.server.port)) problems.push(`service ${name}: the receiver listens on ${config.server.port}, which the service does not publish or expose`);
      if (config.server.host !== '0.0.0.0') problems.push(`service ${name}: the receiver listens on ${config.server.host}; in a container it must be 0.0.0.0`);
    } catch (err) {
      problems.push(`service ${name}: the receiver would refuse its configuration: ${(err as Error).message.replace(given ?? '', STACK_FILES.receiver)}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { configs, problems };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isMap(headers)) return undefined;
  const hit = Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : String(hit[1]);
}

export function stackProblems(stack: Stack, root = repoRoot): string[] {
  const problems: string[] = [];
  const all = services(stack.compose);
  for (const role of ['receiver', 'loki', 'tempo', 'minio', 'otelcol', 'grafana', 'demo']) if (!all[role]) problems.push(`docker-compose.yml has no ${role} service`);

  // One tenant end to end.
  const { configs, problems: receiverProblems } = receiverConfigs(stack, {}, root);
  problems.push(...receiverProblems);
  const app = (Array.isArray(stack.apps.apps) ? stack.apps.apps : []).find((a) => isMap(a) && a.type === stack.pluginId) as Doc | undefined;
  const token = String(get(app, 'secureJsonData.receiverToken') ?? '');
  const appTenant = get(app, 'jsonData.tenant');
  for (const [name, config] of configs) {
    const owner = config.auth.tenants.find((t) => t.readTokens.includes(token));
    if (!owner) problems.push(`service ${name}: the Grafana app's receiverToken is not a read token of any tenant in ${STACK_FILES.receiver}`);
    else if (owner.id !== appTenant) problems.push(`the Grafana app's token reads tenant ${owner.id} but its jsonData.tenant is ${String(appTenant)}`);
    if (config.auth.defaultTenant !== appTenant) problems.push(`service ${name}: keyless browser data lands in tenant ${config.auth.defaultTenant}, which the Grafana app (tenant ${String(appTenant)}) does not read`);
    const key = headerValue(get(stack.collector, 'exporters.otlp_http/receiver.headers'), 'X-Otel-Replay-Key');
    if (key !== undefined && !config.auth.tenants.some((t) => t.id === appTenant && t.writeKeys.includes(key))) problems.push(`the Collector's write key for the receiver is not a write key of tenant ${String(appTenant)}`);
    const minio = all.minio ? environmentOf(all.minio) : {};
    if (config.storage.backend !== 's3') problems.push(`service ${name}: storage.backend is ${config.storage.backend}; the stack stores segments in MinIO (s3)`);
    else {
      const ep = urlParts(config.storage.s3.endpoint ?? '');
      if (!ep || !all[ep.host] || !containerPorts(all[ep.host]!).includes(ep.port)) problems.push(`service ${name}: storage.s3.endpoint ${String(config.storage.s3.endpoint)} is not a port of a compose service`);
      if (!config.storage.s3.forcePathStyle) problems.push(`service ${name}: storage.s3.forcePathStyle must be true for MinIO`);
      if (config.storage.s3.accessKeyId !== minio.MINIO_ROOT_USER || config.storage.s3.secretAccessKey !== minio.MINIO_ROOT_PASSWORD) problems.push(`service ${name}: S3 credentials differ from MinIO's MINIO_ROOT_USER/MINIO_ROOT_PASSWORD`);
      const init = JSON.stringify(all['minio-init']?.command ?? '');
      if (!new RegExp(`mc mb [^"]*local/${config.storage.s3.bucket}\\b`).test(init)) problems.push(`service ${name}: bucket ${config.storage.s3.bucket} is not created by minio-init (mc mb)`);
      const rule = new RegExp(`mc ilm rule add --expire-days (\\d+) local/${config.storage.s3.bucket}\\b`).exec(init);
      if (!rule) problems.push(`minio-init: no lifecycle expiry rule on bucket ${config.storage.s3.bucket}`);
      else {
        // Objects must outlive the index rows pointing at them, or kept sessions play as damaged.
        const r = config.retention;
        const longest = Math.max(r.days, ...r.tenants.map((t) => t.days));
        const needed = longest + r.objectMarginDays + 1;
        if (longest > 0 && Number(rule[1]) < needed) problems.push(`minio-init: the bucket expires objects after ${rule[1]} days, before service ${name}'s retention (${longest} days + ${r.objectMarginDays} margin) removes their index rows; use at least ${needed}`);
      }
      if (!init.includes(`${String(minio.MINIO_ROOT_USER)} ${String(minio.MINIO_ROOT_PASSWORD)}`)) problems.push('minio-init: mc alias does not use MinIO\'s root credentials');
    }
  }
  if (configs.length > 1) {
    const ids = configs.map(([, c]) => c.instanceId);
    if (new Set(ids).size !== ids.length) problems.push(`receivers sharing a bucket need distinct INSTANCE_IDs (have ${ids.join(', ')})`);
  }
  // With the postgres switch every receiver shares one PostgreSQL index.
  const pg = receiverConfigs(stack, { OTEL_REPLAY_INDEX_ENGINE: 'postgres' }, root);
  problems.push(...pg.problems.map((p) => `with OTEL_REPLAY_INDEX_ENGINE=postgres: ${p}`));
  const engines = new Set(pg.configs.map(([, c]) => `${c.index.engine} ${c.index.postgres.url}`));
  if (engines.size > 1) problems.push(`with OTEL_REPLAY_INDEX_ENGINE=postgres the receivers do not share one index: ${[...engines].join(' / ')}`);
  const pgUrl = urlParts(pg.configs[0]?.[1].index.postgres.url.replace(/^postgres(ql)?:/, 'http:') ?? '');
  if (!pgUrl || !all[pgUrl.host] || !containerPorts(all[pgUrl.host]!).includes(pgUrl.port)) problems.push(`index.postgres.url names ${pgUrl ? `${pgUrl.host}:${pgUrl.port}` : 'nothing'}, which is not a port of a compose service`);

  const tenants = new Map<string, string | undefined>();
  for (const ds of datasourcesOf(stack.datasources)) {
    const n = Object.entries(isMap(ds.jsonData) ? ds.jsonData : {}).find(([k, v]) => /^httpHeaderName\d+$/.test(k) && String(v).toLowerCase() === 'x-scope-orgid')?.[0].slice('httpHeaderName'.length);
    tenants.set(`data source ${String(ds.uid)}`, n === undefined ? undefined : String(get(ds, `secureJsonData.httpHeaderValue${n}`)));
  }
  for (const [id, e] of Object.entries(isMap(stack.collector.exporters) ? stack.collector.exporters : {})) {
    const host = urlParts(String(get(e, 'endpoint') ?? ''))?.host;
    if (host === 'loki' || host === 'tempo') tenants.set(`Collector exporter ${id}`, headerValue(get(e, 'headers'), 'X-Scope-OrgID'));
  }
  for (const [where, t] of tenants) if (t !== appTenant) problems.push(`${where} sends X-Scope-OrgID ${t === undefined ? '(none)' : t}, not the stack's tenant ${String(appTenant)}`);

  // Loki as the Collector, the receiver and Grafana use it.
  if (stack.loki.auth_enabled !== true) problems.push(`${STACK_FILES.loki}: auth_enabled must be true (the stack sends X-Scope-OrgID)`);
  if (get(stack.loki, 'limits_config.allow_structured_metadata') !== true) problems.push(`${STACK_FILES.loki}: limits_config.allow_structured_metadata must be true (session.id arrives as structured metadata)`);
  const schemas = get(stack.loki, 'schema_config.configs');
  if (!Array.isArray(schemas) || !schemas.some((s) => isMap(s) && s.schema === 'v13' && s.store === 'tsdb')) problems.push(`${STACK_FILES.loki}: structured metadata needs a schema_config entry with schema v13 and store tsdb`);
  for (const scope of ['resource_attributes.attributes_config', 'scope_attributes', 'log_attributes']) {
    const rules = get(stack.loki, `limits_config.otlp_config.${scope}`);
    for (const r of Array.isArray(rules) ? rules : []) {
      if (isMap(r) && r.action === 'index_label' && Array.isArray(r.attributes) && r.attributes.includes('session.id')) problems.push(`${STACK_FILES.loki}: session.id must not be an index label (unbounded cardinality); keep it structured metadata`);
    }
  }
  const lokiPort = Number(get(stack.loki, 'server.http_listen_port') ?? 3100);
  if (!containerPorts(all.loki ?? {}).includes(lokiPort)) problems.push(`${STACK_FILES.loki}: Loki listens on ${lokiPort}, which service loki does not expose`);

  // Tempo likewise.
  for (const [proto, port] of [['grpc', 4317], ['http', 4318]] as const) {
    const ep = get(stack.tempo, `distributor.receivers.otlp.protocols.${proto}.endpoint`);
    if (ep !== `0.0.0.0:${port}`) problems.push(`${STACK_FILES.tempo}: distributor OTLP ${proto} receiver must listen on 0.0.0.0:${port} (is ${String(ep)}); Tempo binds to localhost otherwise`);
  }
  const columns = get(stack.tempo, 'storage.trace.block.parquet_dedicated_columns');
  if (!Array.isArray(columns) || !columns.some((c) => isMap(c) && c.scope === 'span' && c.name === 'session.id' && c.type === 'string')) problems.push(`${STACK_FILES.tempo}: no dedicated column for the span attribute session.id (scope span, type string)`);
  if (stack.tempo.multitenancy_enabled !== true) problems.push(`${STACK_FILES.tempo}: multitenancy_enabled must be true (the stack sends X-Scope-OrgID)`);
  const tempoPort = Number(get(stack.tempo, 'server.http_listen_port') ?? 3200);
  const tempoDs = datasourcesOf(stack.datasources).find((d) => d.type === 'tempo');
  if (tempoDs && urlParts(String(tempoDs.url))?.port !== tempoPort) problems.push(`Tempo data source url ${String(tempoDs.url)} does not use Tempo's http_listen_port ${tempoPort}`);
  const lokiDs = datasourcesOf(stack.datasources).find((d) => d.type === 'loki');
  if (lokiDs && urlParts(String(lokiDs.url))?.port !== lokiPort) problems.push(`Loki data source url ${String(lokiDs.url)} does not use Loki's http_listen_port ${lokiPort}`);

  // The demo, as demo/src/config.ts reads it.
  for (const [name, svc] of servicesBuiltFrom(stack.compose, 'demo/Dockerfile', root)) {
    const env = environmentOf(svc);
    for (const k of Object.keys(env)) if (!(k in DEMO_ENV) && k !== 'NODE_ENV') problems.push(`service ${name}: environment ${k} is not read by the demo (demo/src/config.ts DEMO_ENV)`);
    const browser = urlParts(env.DEMO_RECEIVER_URL ?? '');
    const published = (s: Doc | undefined): number[] => (Array.isArray(s?.ports) ? s.ports : []).map((p) => Number(String(p).split(':').at(-2)));
    if (!browser || !['localhost', '127.0.0.1'].includes(browser.host) || !published(all.otelcol).concat(published(all.receiver)).includes(browser.port)) problems.push(`service ${name}: DEMO_RECEIVER_URL ${String(env.DEMO_RECEIVER_URL)} is not a port the Collector or the receiver publishes on the host (the browser runs there)`);
    const traces = urlParts(env.DEMO_TRACES_URL ?? '');
    if (!traces || !all[traces.host] || !containerPorts(all[traces.host]!).includes(traces.port)) problems.push(`service ${name}: DEMO_TRACES_URL ${String(env.DEMO_TRACES_URL)} is not a port of a compose service (the backend runs in the compose network)`);
    const demoPort = Number(env.DEMO_PORT ?? 8080);
    const hostPort = (Array.isArray(svc.ports) ? svc.ports : []).map(String).find((p) => p.endsWith(`:${demoPort}`))?.split(':').at(-2);
    if (!hostPort) problems.push(`service ${name}: port ${demoPort} is not published for the browser`);
    const origin = `http://localhost:${hostPort}`;
    const cors = get(stack.collector, 'receivers.otlp.protocols.http.cors.allowed_origins');
    if (!Array.isArray(cors) || !cors.includes(origin)) problems.push(`the Collector's CORS allowed_origins do not list the demo page ${origin}`);
    for (const [rname, config] of configs) if (!config.server.corsAllowedOrigins.includes(origin)) problems.push(`service ${rname}: corsAllowedOrigins do not list the demo page ${origin} (browsers posting directly)`);
  }
  return problems;
}
