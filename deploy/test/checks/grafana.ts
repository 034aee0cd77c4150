// Checks of the Grafana side of docker-compose.yml: the data source and app provisioning
// files parse, every URL in them names a compose service on a port that service listens
// on, uids are unique and the app's lokiUid/tempoUid point at data sources of the right
// type, Tempo links spans to Loki on session_id, Loki links session_id to the app's
// Session page, and the grafana service mounts the built plugin under its plugin id with
// unsigned loading allowed for that id only.

import { containerPorts, environmentOf, mountsOf, services } from './compose.ts';
import { isMap, urlParts } from './files.ts';
import type { Doc } from './files.ts';

export interface GrafanaInputs {
  compose: Doc;
  datasources: Doc;
  apps: Doc;
  /** grafana-plugin/src/plugin.json id. */
  pluginId: string;
  /** Path segment of the app's Session page (grafana-plugin/src/constants.ts ROUTES.Session). */
  sessionRoute: string;
}

/**
 * A provisioning value as Grafana reads it: `$VAR` and `${VAR}` are environment variables
 * (none are set for these names, so they vanish) and `$$` is a literal `$`.
 */
export function unescapeProvisioning(v: string): string {
  return v.replace(/\$\$|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, (m) => (m === '$$' ? '$' : ''));
}

function serviceUrlProblem(compose: Doc, what: string, url: unknown): string | null {
  if (typeof url !== 'string') return `${what}: url is missing`;
  const parts = urlParts(url);
  if (!parts) return `${what}: ${url} is not a URL`;
  const svc = services(compose)[parts.host];
  if (!svc) return `${what}: ${url} names host ${parts.host}, which is not a service of docker-compose.yml`;
  if (!containerPorts(svc).includes(parts.port)) return `${what}: ${url} uses port ${parts.port}, but service ${parts.host} declares ${containerPorts(svc).join(', ') || 'no ports'} (ports/expose)`;
  return null;
}

export function datasourcesOf(doc: Doc): Doc[] {
  return Array.isArray(doc.datasources) ? (doc.datasources as Doc[]).filter(isMap) : [];
}

export function grafanaProblems(x: GrafanaInputs): string[] {
  const problems: string[] = [];
  const sources = datasourcesOf(x.datasources);
  if (x.datasources.apiVersion !== 1) problems.push('datasources provisioning: apiVersion must be 1');
  if (sources.length === 0) problems.push('datasources provisioning: lists no data source');
  const byUid = new Map<string, Doc>();
  for (const [i, ds] of sources.entries()) {
    const at = `data source ${String(ds.name ?? i)}`;
    if (typeof ds.uid !== 'string' || !ds.uid) problems.push(`${at}: needs a fixed uid (the app and the links refer to it)`);
    else if (byUid.has(ds.uid)) problems.push(`${at}: uid ${ds.uid} is used twice`);
    else byUid.set(ds.uid, ds);
    const why = serviceUrlProblem(x.compose, at, ds.url);
    if (why) problems.push(why);
    const json = isMap(ds.jsonData) ? ds.jsonData : {};
    const secure = isMap(ds.secureJsonData) ? ds.secureJsonData : {};
    for (const key of Object.keys(json).filter((k) => /^httpHeaderName\d+$/.test(k))) {
      const n = key.slice('httpHeaderName'.length);
      if (typeof secure[`httpHeaderValue${n}`] !== 'string') problems.push(`${at}: jsonData.${key} has no secureJsonData.httpHeaderValue${n}`);
    }
  }
  const ofType = (t: string): Doc[] => sources.filter((d) => d.type === t);
  const uidOfType = (uid: unknown, t: string): boolean => typeof uid === 'string' && byUid.get(uid)?.type === t;
  if (ofType('loki').length === 0) problems.push('no Loki data source is provisioned');
  if (ofType('tempo').length === 0) problems.push('no Tempo data source is provisioned');

  for (const tempo of ofType('tempo')) {
    const json = isMap(tempo.jsonData) ? tempo.jsonData : {};
    const t2l = isMap(json.tracesToLogsV2) ? json.tracesToLogsV2 : null;
    if (!t2l) problems.push(`data source ${String(tempo.uid)}: jsonData.tracesToLogsV2 is missing (span → logs of the session)`);
    else {
      if (!uidOfType(t2l.datasourceUid, 'loki')) problems.push(`data source ${String(tempo.uid)}: tracesToLogsV2.datasourceUid ${String(t2l.datasourceUid)} is not a Loki data source uid`);
      const query = typeof t2l.query === 'string' ? unescapeProvisioning(t2l.query) : '';
      if (t2l.customQuery !== true || !/\|\s*session_id\s*=\s*"\$\{__span\.tags\["session\.id"\]\}"/.test(query)) {
        problems.push(`data source ${String(tempo.uid)}: tracesToLogsV2 must use a custom query filtering session_id="\${__span.tags["session.id"]}" (is ${JSON.stringify(query)})`);
      }
    }
    for (const key of ['lokiSearch', 'serviceMap', 'tracesToMetrics']) {
      const ref = isMap(json[key]) ? (json[key] as Doc).datasourceUid : undefined;
      if (ref !== undefined && !byUid.has(String(ref))) problems.push(`data source ${String(tempo.uid)}: ${key}.datasourceUid ${String(ref)} is not a provisioned uid`);
    }
  }

  const replayUrl = `/a/${x.pluginId}/${x.sessionRoute}/\${__value.raw}`;
  for (const loki of ofType('loki')) {
    const json = isMap(loki.jsonData) ? loki.jsonData : {};
    const fields = Array.isArray(json.derivedFields) ? json.derivedFields.filter(isMap) : [];
    const link = fields.find((f) => f.matcherType === 'label' && f.matcherRegex === 'session_id');
    if (!link) problems.push(`data source ${String(loki.uid)}: no derived field of matcherType label on session_id (the link to the replay page)`);
    else if (unescapeProvisioning(String(link.url)) !== replayUrl) problems.push(`data source ${String(loki.uid)}: the session_id link goes to ${unescapeProvisioning(String(link.url))}, not the app's Session page ${replayUrl}`);
  }

  const apps = Array.isArray(x.apps.apps) ? (x.apps.apps as unknown[]).filter(isMap) : [];
  if (x.apps.apiVersion !== 1) problems.push('app provisioning: apiVersion must be 1');
  const app = apps.find((a) => a.type === x.pluginId);
  if (!app) problems.push(`app provisioning: no app of type ${x.pluginId} (the id in grafana-plugin/src/plugin.json); found ${apps.map((a) => String(a.type)).join(', ') || 'none'}`);
  else {
    const json = isMap(app.jsonData) ? app.jsonData : {};
    const secure = isMap(app.secureJsonData) ? app.secureJsonData : {};
    if (app.disabled === true) problems.push(`app ${x.pluginId}: provisioned as disabled`);
    if (!uidOfType(json.lokiUid, 'loki')) problems.push(`app ${x.pluginId}: jsonData.lokiUid ${String(json.lokiUid)} is not a Loki data source uid`);
    if (!uidOfType(json.tempoUid, 'tempo')) problems.push(`app ${x.pluginId}: jsonData.tempoUid ${String(json.tempoUid)} is not a Tempo data source uid`);
    const why = serviceUrlProblem(x.compose, `app ${x.pluginId} jsonData.receiverUrl`, json.receiverUrl);
    if (why) problems.push(why);
    if (typeof secure.receiverToken !== 'string' || !secure.receiverToken) problems.push(`app ${x.pluginId}: secureJsonData.receiverToken is empty (the plugin route sends it as the bearer token)`);
  }

  const grafana = Object.entries(services(x.compose)).find(([, s]) => typeof s.image === 'string' && /^grafana\/grafana(-enterprise)?:/.test(s.image));
  if (!grafana) problems.push('docker-compose.yml has no grafana/grafana service');
  else {
    const [name, svc] = grafana;
    const mounts = mountsOf(svc);
    const pluginDir = `/var/lib/grafana/plugins/${x.pluginId}`;
    const plugin = mounts.find((m) => m.target === pluginDir);
    if (!plugin || plugin.kind !== 'bind' || plugin.source.replace(/^\.\//, '') !== 'grafana-plugin/dist') problems.push(`service ${name}: grafana-plugin/dist must be mounted at ${pluginDir}`);
    if (!mounts.some((m) => m.target === '/etc/grafana/provisioning' && m.source.replace(/^\.\//, '') === 'deploy/grafana/provisioning')) problems.push(`service ${name}: deploy/grafana/provisioning must be mounted at /etc/grafana/provisioning`);
    const unsigned = environmentOf(svc).GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS;
    if (unsigned !== x.pluginId) problems.push(`service ${name}: GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS must be exactly ${x.pluginId} (is ${unsigned === undefined ? 'unset' : JSON.stringify(unsigned)})`);
  }
  return problems;
}
