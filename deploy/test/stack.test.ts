// Checks across the stack's files: one tenant from the browser to Grafana, the receiver
// services' settings accepted by the receiver's own config loader, MinIO's bucket and
// credentials, Loki and Tempo configured for what the rest expects, and the demo's
// settings named as demo/ reads them. Each check is also shown failing on a mutated copy.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clone } from './checks/files.ts';
import { loadStack, receiverConfigs, stackProblems } from './checks/stack.ts';
import type { Stack } from './checks/stack.ts';

type Any = any;

const stack = loadStack();

function problemsAfter(fn: (s: Any) => void): string[] {
  const copy = clone(stack) as Any;
  fn(copy);
  return stackProblems(copy as Stack);
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`);
}

test('the files of the stack agree with each other', () => {
  assert.deepEqual(stackProblems(stack), []);
});

test('each receiver service starts with the config the receiver itself would load', () => {
  const { configs, problems } = receiverConfigs(stack);
  assert.deepEqual(problems, []);
  assert.deepEqual(configs.map(([name]) => name), ['receiver', 'receiver-2']);
  const [[, first], [, second]] = configs as [[string, Any], [string, Any]];
  assert.equal(first.storage.backend, 's3');
  assert.equal(first.index.engine, 'sqlite');
  assert.equal(first.forward.logsUrl, null, 'behind the Collector the receiver forwards nothing');
  assert.equal(second.index.engine, 'postgres');
  assert.equal(second.forward.logsUrl, 'http://loki:3100/otlp/v1/logs');
  assert.equal(second.forward.tracesUrl, 'http://tempo:4318/v1/traces');
  // The direct topology for the default receiver, switched on from the shell.
  const direct = receiverConfigs(stack, { RECEIVER_FORWARD_LOGS_URL: 'http://loki:3100/otlp/v1/logs', OTEL_REPLAY_INDEX_ENGINE: 'postgres' });
  assert.equal(direct.configs[0]![1].forward.logsUrl, 'http://loki:3100/otlp/v1/logs');
  assert.equal(direct.configs[0]![1].index.engine, 'postgres');
});

test('a receiver setting the receiver would refuse, or does not know, fails the check', () => {
  assertProblem(problemsAfter((s) => void (s.compose.services.receiver.environment.INDEX_ENGINE = 'mysql')), /service receiver: the receiver would refuse its configuration: index\.engine must be sqlite or postgres, got "mysql"/);
  assertProblem(problemsAfter((s) => void (s.compose.services.receiver.environment.FORWARD_LOG_URL = 'http://loki:3100/otlp/v1/logs')), /service receiver: environment FORWARD_LOG_URL is not a receiver setting/);
  assertProblem(problemsAfter((s) => void (s.receiver.storage.s3.endpoint = 'minio:9000')), /storage\.s3\.endpoint must be an http\(s\) URL/);
  assertProblem(problemsAfter((s) => void (s.compose.services.receiver.environment.HOST = '127.0.0.1')), /service receiver: the receiver listens on 127\.0\.0\.1; in a container it must be 0\.0\.0\.0/);
  assertProblem(problemsAfter((s) => void (s.receiver.server.port = 4319)), /service receiver: the receiver listens on 4319, which the service does not publish or expose/);
  assertProblem(problemsAfter((s) => void (s.compose.services['receiver-2'].environment.PORT = '8080')), /service receiver-2: the receiver listens on 8080/);
  assertProblem(problemsAfter((s) => void (s.compose.services['receiver-2'].environment.INSTANCE_ID = 'receiver-1')), /distinct INSTANCE_IDs \(have receiver-1, receiver-1\)/);
  assertProblem(problemsAfter((s) => void (s.compose.services.receiver.environment.INDEX_ENGINE = 'sqlite')), /with OTEL_REPLAY_INDEX_ENGINE=postgres the receivers do not share one index/);
});

test('one tenant from the browser to Grafana', () => {
  assertProblem(problemsAfter((s) => void (s.apps.apps[0].secureJsonData.receiverToken = 'rt_someone_else_entirely')), /receiverToken is not a read token of any tenant/);
  assertProblem(problemsAfter((s) => void (s.apps.apps[0].jsonData.tenant = 'shop')), /token reads tenant demo but its jsonData\.tenant is shop/);
  assertProblem(problemsAfter((s) => void (s.receiver.auth.defaultTenant = 'default')), /keyless browser data lands in tenant default, which the Grafana app \(tenant demo\) does not read/);
  assertProblem(problemsAfter((s) => void (s.datasources.datasources[0].secureJsonData.httpHeaderValue1 = 'fake')), /data source loki sends X-Scope-OrgID fake, not the stack's tenant demo/);
  assertProblem(problemsAfter((s) => void (s.collector.exporters['otlp_http/tempo'].headers['X-Scope-OrgID'] = 'default')), /Collector exporter otlp_http\/tempo sends X-Scope-OrgID default/);
  assertProblem(problemsAfter((s) => void (s.collector.exporters['otlp_http/receiver'].headers['X-Otel-Replay-Key'] = 'wk_not_a_known_key_at_all')), /Collector's write key for the receiver is not a write key of tenant demo/);
});

test('MinIO: bucket created with an expiry rule, credentials shared', () => {
  assertProblem(problemsAfter((s) => void (s.receiver.storage.s3.bucket = 'replays')), /bucket replays is not created by minio-init/);
  assertProblem(problemsAfter((s) => void (s.compose.services['minio-init'].command = [String(s.compose.services['minio-init'].command[0]).replace(/mc ilm rule add[^\n]*/, 'true')])), /minio-init: no lifecycle expiry rule on bucket otel-replay/);
  assertProblem(problemsAfter((s) => void (s.compose.services.minio.environment.MINIO_ROOT_PASSWORD = 'rotated-password')), /S3 credentials differ from MinIO's/);
  assertProblem(problemsAfter((s) => void (s.receiver.storage.s3.endpoint = 'http://minio:9002')), /storage\.s3\.endpoint http:\/\/minio:9002 is not a port of a compose service/);
  assertProblem(problemsAfter((s) => void (s.receiver.storage.s3.forcePathStyle = false)), /forcePathStyle must be true for MinIO/);
  assertProblem(
    problemsAfter((s) => void (s.compose.services['minio-init'].command = [String(s.compose.services['minio-init'].command[0]).replace(/--expire-days \d+/, '--expire-days 30')])),
    /expires objects after 30 days, before service receiver's retention \(30 days \+ 1 margin\) removes their index rows; use at least 32/,
  );
});

test('Loki keeps session.id as structured metadata, multi-tenant, on the port the rest uses', () => {
  assertProblem(problemsAfter((s) => void (s.loki.limits_config.allow_structured_metadata = false)), /allow_structured_metadata must be true/);
  assertProblem(problemsAfter((s) => void (s.loki.schema_config.configs[0].schema = 'v12')), /schema v13 and store tsdb/);
  assertProblem(problemsAfter((s) => void (s.loki.limits_config.otlp_config.log_attributes[0].action = 'index_label')), /session\.id must not be an index label/);
  assertProblem(problemsAfter((s) => void (s.loki.auth_enabled = false)), /auth_enabled must be true/);
  assertProblem(problemsAfter((s) => void (s.loki.server.http_listen_port = 3101)), /Loki listens on 3101, which service loki does not expose/);
});

test('Tempo listens on 0.0.0.0, indexes session.id in a dedicated column, multi-tenant', () => {
  assertProblem(problemsAfter((s) => void (s.tempo.distributor.receivers.otlp.protocols.http.endpoint = 'localhost:4318')), /OTLP http receiver must listen on 0\.0\.0\.0:4318 \(is localhost:4318\)/);
  assertProblem(problemsAfter((s) => void (s.tempo.storage.trace.block.parquet_dedicated_columns[0].scope = 'resource')), /no dedicated column for the span attribute session\.id/);
  assertProblem(problemsAfter((s) => void (s.tempo.multitenancy_enabled = false)), /multitenancy_enabled must be true/);
  assertProblem(problemsAfter((s) => void (s.tempo.server.http_listen_port = 3201)), /Tempo data source url http:\/\/tempo:3200 does not use Tempo's http_listen_port 3201/);
});

test('the demo is configured with the settings demo/ reads, reachable from the browser', () => {
  assertProblem(problemsAfter((s) => void (s.compose.services.demo.environment.RECEIVER_URL = 'http://localhost:4318')), /service demo: environment RECEIVER_URL is not read by the demo/);
  assertProblem(problemsAfter((s) => void (s.compose.services.demo.environment.DEMO_RECEIVER_URL = 'http://otelcol:4318')), /DEMO_RECEIVER_URL http:\/\/otelcol:4318 is not a port the Collector or the receiver publishes on the host/);
  assertProblem(problemsAfter((s) => void (s.compose.services.demo.environment.DEMO_TRACES_URL = 'http://localhost:4318/v1/traces')), /DEMO_TRACES_URL http:\/\/localhost:4318\/v1\/traces is not a port of a compose service/);
  assertProblem(problemsAfter((s) => void (s.compose.services.demo.ports = ['127.0.0.1:8081:8080'])), /CORS allowed_origins do not list the demo page http:\/\/localhost:8081/);
  assertProblem(problemsAfter((s) => void (s.receiver.server.corsAllowedOrigins = ['http://localhost:3000'])), /service receiver: corsAllowedOrigins do not list the demo page http:\/\/localhost:8080/);
});
