// Checks of otel-collector-config.yaml, the way the Collector itself resolves it: every
// component a pipeline or the service names is defined, every defined one is used, a
// connector is an exporter of one pipeline and a receiver of another of the same signal,
// routing targets are pipelines the connector feeds, extensions that exporters lean on
// (queue storage, authenticators) are enabled. Then the product's own rules: replay
// segments are routed by the protocol's event name to the receiver and never to Loki,
// every other log reaches Loki, spans reach Tempo, memory_limiter comes first, every
// exporter retries from a disk-backed queue, and browsers' origins are listed for CORS.

import { isMap } from './files.ts';
import type { Doc } from './files.ts';

const SIGNALS = ['traces', 'metrics', 'logs'] as const;

export interface CollectorExpectations {
  /** LogRecord.event_name of replay segments (@otel-replay/protocol SEGMENT_EVENT_NAME). */
  segmentEventName: string;
  /** Where each role lives: exporters are recognised by endpoint host (and path for Loki). */
  receiverHost: string;
  lokiHost: string;
  tempoHost: string;
  /** X-Scope-OrgID the Loki and Tempo exporters must send; null when not multi-tenant. */
  tenant: string | null;
  /** Browser origins that must be allowed by the OTLP/HTTP receiver's CORS. */
  browserOrigins: string[];
}

interface Pipeline {
  id: string;
  signal: string;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function section(cfg: Doc, name: string): Doc {
  return isMap(cfg[name]) ? (cfg[name] as Doc) : {};
}

/** Component type of an id: `otlp_http/loki` → `otlp_http`. */
export function typeOf(id: string): string {
  return id.split('/')[0]!;
}

export function pipelinesOf(cfg: Doc): Pipeline[] {
  const service = section(cfg, 'service');
  const pipelines = isMap(service.pipelines) ? service.pipelines : {};
  return Object.entries(pipelines).map(([id, p]) => ({
    id,
    signal: typeOf(id),
    receivers: list(isMap(p) ? p.receivers : undefined),
    processors: list(isMap(p) ? p.processors : undefined),
    exporters: list(isMap(p) ? p.exporters : undefined),
  }));
}

/** Structural problems: what the Collector would refuse at start. */
export function collectorStructureProblems(cfg: Doc): string[] {
  const problems: string[] = [];
  const receivers = section(cfg, 'receivers');
  const processors = section(cfg, 'processors');
  const exporters = section(cfg, 'exporters');
  const connectors = section(cfg, 'connectors');
  const extensions = section(cfg, 'extensions');
  const service = section(cfg, 'service');
  const enabledExtensions = list(service.extensions);
  const pipelines = pipelinesOf(cfg);
  if (pipelines.length === 0) problems.push('service.pipelines defines no pipeline');

  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  const connectorAsExporter = new Map<string, string[]>();
  const connectorAsReceiver = new Map<string, string[]>();
  for (const p of pipelines) {
    const at = `pipeline ${p.id}`;
    if (!(SIGNALS as readonly string[]).includes(p.signal)) problems.push(`${at}: the id must start with traces, metrics or logs`);
    if (p.receivers.length === 0) problems.push(`${at}: lists no receivers`);
    if (p.exporters.length === 0) problems.push(`${at}: lists no exporters`);
    for (const r of p.receivers) {
      if (r in connectors) connectorAsReceiver.set(r, [...(connectorAsReceiver.get(r) ?? []), p.id]);
      else if (r in receivers) used.receivers.add(r);
      else problems.push(`${at}: receiver ${r} is not defined under receivers or connectors`);
    }
    for (const x of p.processors) {
      if (x in processors) used.processors.add(x);
      else problems.push(`${at}: processor ${x} is not defined under processors`);
    }
    if (new Set(p.processors).size !== p.processors.length) problems.push(`${at}: lists a processor twice`);
    for (const e of p.exporters) {
      if (e in connectors) connectorAsExporter.set(e, [...(connectorAsExporter.get(e) ?? []), p.id]);
      else if (e in exporters) used.exporters.add(e);
      else problems.push(`${at}: exporter ${e} is not defined under exporters or connectors`);
    }
  }
  for (const r of Object.keys(receivers)) if (!used.receivers.has(r)) problems.push(`receiver ${r} is defined but no pipeline uses it`);
  for (const x of Object.keys(processors)) if (!used.processors.has(x)) problems.push(`processor ${x} is defined but no pipeline uses it`);
  for (const e of Object.keys(exporters)) if (!used.exporters.has(e)) problems.push(`exporter ${e} is defined but no pipeline uses it`);
  for (const c of Object.keys(connectors)) {
    const into = connectorAsExporter.get(c) ?? [];
    const out = connectorAsReceiver.get(c) ?? [];
    if (into.length === 0) problems.push(`connector ${c} is not an exporter of any pipeline: nothing flows into it`);
    if (out.length === 0) problems.push(`connector ${c} is not a receiver of any pipeline: nothing flows out of it`);
  }
  for (const x of enabledExtensions) if (!(x in extensions)) problems.push(`service.extensions lists ${x}, which is not defined under extensions`);
  for (const x of Object.keys(extensions)) if (!enabledExtensions.includes(x)) problems.push(`extension ${x} is defined but not listed in service.extensions`);

  // Extensions that exporters lean on must be enabled, or the Collector refuses to start.
  for (const [id, e] of Object.entries(exporters)) {
    if (!isMap(e)) continue;
    const storage = isMap(e.sending_queue) ? e.sending_queue.storage : undefined;
    if (typeof storage === 'string' && !enabledExtensions.includes(storage)) problems.push(`exporter ${id}: sending_queue.storage ${storage} is not an enabled extension`);
    const auth = isMap(e.auth) ? e.auth.authenticator : undefined;
    if (typeof auth === 'string' && !enabledExtensions.includes(auth)) problems.push(`exporter ${id}: auth.authenticator ${auth} is not an enabled extension`);
  }

  // Routing connectors: targets must be pipelines of the same signal that the connector feeds.
  for (const [id, c] of Object.entries(connectors)) {
    if (typeOf(id) !== 'routing' || !isMap(c)) continue;
    const fedSignals = new Set((connectorAsExporter.get(id) ?? []).map(typeOf));
    const outputs = new Set(connectorAsReceiver.get(id) ?? []);
    const targets = [...list(c.default_pipelines), ...(Array.isArray(c.table) ? c.table : []).flatMap((route) => list(isMap(route) ? route.pipelines : undefined))];
    if (!Array.isArray(c.table) || c.table.length === 0) problems.push(`connector ${id}: routing table is empty`);
    for (const [i, route] of (Array.isArray(c.table) ? c.table : []).entries()) {
      if (!isMap(route) || (typeof route.condition !== 'string' && typeof route.statement !== 'string')) problems.push(`connector ${id}: table[${i}] has neither condition nor statement`);
      if (isMap(route) && list(route.pipelines).length === 0) problems.push(`connector ${id}: table[${i}] routes to no pipeline`);
    }
    for (const t of targets) {
      const target = pipelines.find((p) => p.id === t);
      if (!target) problems.push(`connector ${id}: routes to pipeline ${t}, which is not defined under service.pipelines`);
      else if (!outputs.has(t)) problems.push(`connector ${id}: routes to pipeline ${t}, but ${t} does not list ${id} among its receivers`);
      else if (!fedSignals.has(target.signal)) problems.push(`connector ${id}: routes to ${target.signal} pipeline ${t}, but is fed only by ${[...fedSignals].join(', ') || 'no'} pipelines`);
    }
  }
  return problems;
}

function endpointOf(cfg: Doc, exporterId: string): URL | null {
  const e = section(cfg, 'exporters')[exporterId];
  if (!isMap(e) || typeof e.endpoint !== 'string') return null;
  try {
    return new URL(e.endpoint);
  } catch {
    return null;
  }
}

/** Exporters (not connectors) a pipeline's data reaches, following connectors. */
function reachedExporters(cfg: Doc, pipelineId: string, seen = new Set<string>()): string[] {
  if (seen.has(pipelineId)) return [];
  seen.add(pipelineId);
  const pipelines = pipelinesOf(cfg);
  const p = pipelines.find((x) => x.id === pipelineId);
  if (!p) return [];
  const connectors = section(cfg, 'connectors');
  const out: string[] = [];
  for (const e of p.exporters) {
    if (!(e in connectors)) {
      out.push(e);
      continue;
    }
    for (const next of pipelines.filter((x) => x.receivers.includes(e))) out.push(...reachedExporters(cfg, next.id, seen));
  }
  return out;
}

/** The routes of routing connectors whose condition matches `event_name == "<name>"`. */
export function segmentRoutes(cfg: Doc, eventName: string): Array<{ connector: string; pipelines: string[] }> {
  const out: Array<{ connector: string; pipelines: string[] }> = [];
  for (const [id, c] of Object.entries(section(cfg, 'connectors'))) {
    if (typeOf(id) !== 'routing' || !isMap(c) || !Array.isArray(c.table)) continue;
    for (const route of c.table) {
      if (!isMap(route) || route.context !== 'log' || typeof route.condition !== 'string') continue;
      const m = /^\s*event_name\s*==\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(route.condition);
      if (m && m[1] === eventName) out.push({ connector: id, pipelines: list(route.pipelines) });
    }
  }
  return out;
}

/** The product's rules for this config: where segments, other logs and spans go. */
export function collectorRoutingProblems(cfg: Doc, x: CollectorExpectations): string[] {
  const problems: string[] = [];
  const exporters = section(cfg, 'exporters');
  const hostIs = (id: string, host: string): boolean => endpointOf(cfg, id)?.hostname === host;
  const isLoki = (id: string): boolean => hostIs(id, x.lokiHost) && /^\/otlp\/?$/.test(endpointOf(cfg, id)!.pathname);
  const pipelines = pipelinesOf(cfg);
  const connectors = section(cfg, 'connectors');
  const entry = pipelines.filter((p) => p.receivers.some((r) => !(r in connectors)));

  const routes = segmentRoutes(cfg, x.segmentEventName);
  if (routes.length === 0) problems.push(`no routing connector routes log records with event_name == "${x.segmentEventName}" (the protocol's segment event name)`);
  for (const r of routes) {
    const reached = r.pipelines.flatMap((p) => reachedExporters(cfg, p));
    if (!reached.some((e) => hostIs(e, x.receiverHost))) problems.push(`connector ${r.connector}: replay segments are routed to ${r.pipelines.join(', ')}, which never reach the receiver (${x.receiverHost})`);
    const toLoki = reached.filter((e) => hostIs(e, x.lokiHost));
    if (toLoki.length) problems.push(`connector ${r.connector}: replay segments reach Loki through ${toLoki.join(', ')}: rrweb bodies exceed Loki's line limits`);
  }
  for (const [id, c] of Object.entries(connectors)) {
    if (typeOf(id) !== 'routing' || !isMap(c)) continue;
    const reached = list(c.default_pipelines).flatMap((p) => reachedExporters(cfg, p));
    if (!reached.some(isLoki)) problems.push(`connector ${id}: logs that are not segments (default_pipelines) never reach Loki's /otlp endpoint`);
  }

  const traceExporters = entry.filter((p) => p.signal === 'traces').flatMap((p) => reachedExporters(cfg, p.id));
  if (!traceExporters.some((e) => hostIs(e, x.tempoHost))) problems.push(`no traces pipeline exports to Tempo (${x.tempoHost})`);
  if (!entry.some((p) => p.signal === 'logs')) problems.push('no logs pipeline takes logs from a receiver');

  for (const p of entry) {
    if (p.processors[0] !== 'memory_limiter' && !p.processors[0]?.startsWith('memory_limiter/')) problems.push(`pipeline ${p.id}: memory_limiter must be the first processor (it is ${p.processors[0] ?? 'missing'})`);
  }

  for (const [id, e] of Object.entries(exporters)) {
    if (!isMap(e)) continue;
    if (!isMap(e.retry_on_failure) || e.retry_on_failure.enabled !== true) problems.push(`exporter ${id}: retry_on_failure.enabled must be true`);
    const q = e.sending_queue;
    if (!isMap(q) || q.enabled !== true) problems.push(`exporter ${id}: sending_queue.enabled must be true`);
    else if (typeof q.storage !== 'string' || typeOf(q.storage) !== 'file_storage') problems.push(`exporter ${id}: sending_queue.storage must name a file_storage extension (a persistent queue)`);
    if (x.tenant !== null && (hostIs(id, x.lokiHost) || hostIs(id, x.tempoHost))) {
      const headers = isMap(e.headers) ? e.headers : {};
      const tenant = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-scope-orgid')?.[1];
      const viaAuth = isMap(e.auth) && typeof e.auth.authenticator === 'string' && typeOf(e.auth.authenticator) === 'headers_setter';
      if (tenant !== x.tenant && !viaAuth) problems.push(`exporter ${id}: must send X-Scope-OrgID: ${x.tenant} (sends ${tenant === undefined ? 'none' : String(tenant)})`);
    }
  }

  const otlp = section(cfg, 'receivers').otlp;
  const http = isMap(otlp) && isMap(otlp.protocols) && isMap(otlp.protocols.http) ? otlp.protocols.http : null;
  if (!http) problems.push('receivers.otlp.protocols.http is missing: browsers post OTLP/HTTP');
  else {
    if (typeof http.endpoint !== 'string' || !http.endpoint.startsWith('0.0.0.0:')) problems.push(`receivers.otlp.protocols.http.endpoint must listen on 0.0.0.0 in a container (is ${String(http.endpoint)})`);
    const origins = isMap(http.cors) ? list(http.cors.allowed_origins) : [];
    if (origins.includes('*')) problems.push('receivers.otlp http cors.allowed_origins lists "*", which the Collector refuses with credentials: list the origins');
    for (const o of x.browserOrigins) if (!origins.includes(o)) problems.push(`receivers.otlp http cors.allowed_origins does not list ${o}: that page's uploads would fail the CORS preflight`);
  }
  return problems;
}
