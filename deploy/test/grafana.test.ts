// Grafana provisioning: the files parse, their URLs name compose services on ports those
// services listen on, uids and the plugin id line up, and the links between Tempo, Loki
// and the replay page are there. Each check is also shown failing on a mutated copy.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grafanaProblems } from './checks/grafana.ts';
import type { GrafanaInputs } from './checks/grafana.ts';
import { clone, readJson } from './checks/files.ts';
import { loadStack } from './checks/stack.ts';

type Any = any;

const stack = loadStack();
const inputs: GrafanaInputs = { compose: stack.compose, datasources: stack.datasources, apps: stack.apps, pluginId: stack.pluginId, sessionRoute: stack.sessionRoute };

function problemsAfter(fn: (x: Any) => void): string[] {
  const copy = clone(inputs) as Any;
  fn(copy);
  return grafanaProblems(copy as GrafanaInputs);
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`);
}

const ds = (x: Any, type: string): Any => x.datasources.datasources.find((d: Any) => d.type === type);

test('the provisioning files line up with the compose file and the plugin', () => {
  assert.equal(stack.pluginId, readJson('grafana-plugin/src/plugin.json').id);
  assert.equal(stack.pluginId, 'otel-replay-app');
  assert.deepEqual(grafanaProblems(inputs), []);
});

test('data source URLs must name a compose service on a port it listens on', () => {
  assertProblem(problemsAfter((x) => void (ds(x, 'loki').url = 'http://loki-gateway:3100')), /data source Loki: http:\/\/loki-gateway:3100 names host loki-gateway, which is not a service/);
  assertProblem(problemsAfter((x) => void (ds(x, 'tempo').url = 'http://tempo:3100')), /data source Tempo: http:\/\/tempo:3100 uses port 3100, but service tempo declares 3200, 4317, 4318/);
  assertProblem(problemsAfter((x) => void delete ds(x, 'tempo').url), /data source Tempo: url is missing/);
});

test('uids are fixed and unique; header values accompany header names', () => {
  assertProblem(problemsAfter((x) => void (ds(x, 'tempo').uid = 'loki')), /uid loki is used twice/);
  assertProblem(problemsAfter((x) => void delete ds(x, 'loki').uid), /data source Loki: needs a fixed uid/);
  assertProblem(problemsAfter((x) => void delete ds(x, 'loki').secureJsonData), /jsonData\.httpHeaderName1 has no secureJsonData\.httpHeaderValue1/);
  assertProblem(problemsAfter((x) => void (x.datasources.datasources = x.datasources.datasources.filter((d: Any) => d.type !== 'tempo'))), /no Tempo data source is provisioned/);
});

test('Tempo links spans to the Loki lines of the same session', () => {
  assertProblem(problemsAfter((x) => void (ds(x, 'tempo').jsonData.tracesToLogsV2.datasourceUid = 'logs')), /tracesToLogsV2\.datasourceUid logs is not a Loki data source uid/);
  assertProblem(problemsAfter((x) => void (ds(x, 'tempo').jsonData.tracesToLogsV2.query = '{service_name="x"} | session_id="$${__span.tags["session_id"]}"')), /must use a custom query filtering session_id/);
  assertProblem(problemsAfter((x) => void delete ds(x, 'tempo').jsonData.tracesToLogsV2), /tracesToLogsV2 is missing/);
  assertProblem(problemsAfter((x) => void (ds(x, 'tempo').jsonData.lokiSearch.datasourceUid = 'gone')), /lokiSearch\.datasourceUid gone is not a provisioned uid/);
});

test('Loki links session_id to the app\'s Session page', () => {
  assertProblem(problemsAfter((x) => void (ds(x, 'loki').jsonData.derivedFields[0].url = '/a/otel-replay-app/sessions/$${__value.raw}')), /goes to \/a\/otel-replay-app\/sessions\/\$\{__value\.raw\}, not the app's Session page \/a\/otel-replay-app\/session\/\$\{__value\.raw\}/);
  // Unescaped, Grafana would expand ${__value.raw} from its own environment (to nothing).
  assertProblem(problemsAfter((x) => void (ds(x, 'loki').jsonData.derivedFields[0].url = '/a/otel-replay-app/session/${__value.raw}')), /not the app's Session page/);
  assertProblem(problemsAfter((x) => void (ds(x, 'loki').jsonData.derivedFields[0].matcherRegex = 'session\\.id')), /no derived field of matcherType label on session_id/);
  assertProblem(problemsAfter((x) => void (x.pluginId = 'acme-replay-app')), /not the app's Session page \/a\/acme-replay-app\/session/);
});

test('the app is provisioned for the plugin id, with data source uids of the right type', () => {
  assertProblem(problemsAfter((x) => void (x.apps.apps[0].type = 'otel-replay')), /no app of type otel-replay-app .*found otel-replay/);
  assertProblem(problemsAfter((x) => void (x.apps.apps[0].jsonData.lokiUid = 'tempo')), /jsonData\.lokiUid tempo is not a Loki data source uid/);
  assertProblem(problemsAfter((x) => void (x.apps.apps[0].jsonData.tempoUid = undefined)), /jsonData\.tempoUid undefined is not a Tempo data source uid/);
  assertProblem(problemsAfter((x) => void (x.apps.apps[0].jsonData.receiverUrl = 'http://receiver:8080')), /receiverUrl: http:\/\/receiver:8080 uses port 8080, but service receiver declares 4318/);
  assertProblem(problemsAfter((x) => void (x.apps.apps[0].secureJsonData.receiverToken = '')), /secureJsonData\.receiverToken is empty/);
  assertProblem(problemsAfter((x) => void (x.apps.apps[0].disabled = true)), /provisioned as disabled/);
});

test('grafana mounts the built plugin under its id and allows only that unsigned plugin', () => {
  assertProblem(problemsAfter((x) => void (x.compose.services.grafana.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS = 'otel-replay-app,other-app')), /must be exactly otel-replay-app \(is "otel-replay-app,other-app"\)/);
  assertProblem(problemsAfter((x) => void delete x.compose.services.grafana.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS), /must be exactly otel-replay-app \(is unset\)/);
  assertProblem(problemsAfter((x) => void (x.compose.services.grafana.volumes[0] = './grafana-plugin/dist:/var/lib/grafana/plugins/replay:ro')), /grafana-plugin\/dist must be mounted at \/var\/lib\/grafana\/plugins\/otel-replay-app/);
  assertProblem(problemsAfter((x) => void (x.compose.services.grafana.volumes[1] = './grafana-plugin/provisioning:/etc/grafana/provisioning:ro')), /deploy\/grafana\/provisioning must be mounted at \/etc\/grafana\/provisioning/);
});

test('provisioning values are read as Grafana expands them', async () => {
  const { unescapeProvisioning } = await import('./checks/grafana.ts');
  assert.equal(unescapeProvisioning('$${__value.raw}'), '${__value.raw}');
  assert.equal(unescapeProvisioning('${__value.raw}'), '');
  assert.equal(unescapeProvisioning('a $HOME b'), 'a  b');
  assert.equal(unescapeProvisioning(String(inputs.datasources.datasources instanceof Array ? (inputs.datasources.datasources as Any[])[1].jsonData.tracesToLogsV2.query : '')), '{service_name="${__span.tags["service.name"]}"} | session_id="${__span.tags["session.id"]}"');
});
