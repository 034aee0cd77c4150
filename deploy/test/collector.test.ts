// otel-collector-config.yaml: parsed, resolved the way the Collector resolves it, and held
// to the product's routing rules; the segment event name comes from @otel-replay/protocol.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LegacyAttr, SEGMENT_EVENT_NAME } from '@otel-replay/protocol';
import { collectorRoutingProblems, collectorStructureProblems, segmentRoutes } from './checks/collector.ts';
import type { CollectorExpectations } from './checks/collector.ts';
import { clone, readYaml } from './checks/files.ts';
import type { Doc } from './checks/files.ts';

const config = readYaml('otel-collector-config.yaml');
const expect: CollectorExpectations = {
  segmentEventName: SEGMENT_EVENT_NAME,
  receiverHost: 'receiver',
  lokiHost: 'loki',
  tempoHost: 'tempo',
  tenant: 'demo',
  browserOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080'],
};

type Any = any;

function mutated(fn: (c: Any) => void): Doc {
  const copy = clone(config) as Any;
  fn(copy);
  return copy as Doc;
}

function all(c: Doc): string[] {
  return [...collectorStructureProblems(c), ...collectorRoutingProblems(c, expect)];
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`);
}

test('the Collector config is complete and follows the routing rules', () => {
  assert.deepEqual(collectorStructureProblems(config), []);
  assert.deepEqual(collectorRoutingProblems(config, expect), []);
});

test('replay segments are routed by the protocol event name, legacy rr-web records too', () => {
  const routes = segmentRoutes(config, SEGMENT_EVENT_NAME);
  assert.deepEqual(routes, [{ connector: 'routing/logs', pipelines: ['logs/replay'] }]);
  const table = (config as Any).connectors['routing/logs'].table as Array<{ condition: string; pipelines: string[] }>;
  assert.ok(table.some((r) => r.condition === `attributes["${LegacyAttr.event}"] != nil` && r.pipelines.includes('logs/replay')), 'legacy rr-web.* records must reach the receiver');
  assert.deepEqual(segmentRoutes(config, 'otel_replay.segments'), [], 'a near miss of the event name is not a match');
});

test('every referenced component must be defined', () => {
  assertProblem(all(mutated((c) => c.service.pipelines.traces.exporters.push('otlp_http/jaeger'))), /pipeline traces: exporter otlp_http\/jaeger is not defined under exporters or connectors/);
  assertProblem(all(mutated((c) => c.service.pipelines['logs/in'].processors.push('filter/drop'))), /pipeline logs\/in: processor filter\/drop is not defined/);
  assertProblem(all(mutated((c) => void (c.service.pipelines.traces.receivers = ['zipkin']))), /pipeline traces: receiver zipkin is not defined under receivers or connectors/);
  assertProblem(all(mutated((c) => c.service.extensions.push('pprof'))), /service\.extensions lists pprof, which is not defined/);
  assertProblem(all(mutated((c) => void (c.service.pipelines['metrics/x'] = { receivers: ['otlp'], exporters: [] }))), /pipeline metrics\/x: lists no exporters/);
  assertProblem(all(mutated((c) => void (c.service.pipelines['spans'] = { receivers: ['otlp'], exporters: ['otlp_http/tempo'] }))), /pipeline spans: the id must start with traces, metrics or logs/);
});

test('every defined component must be used', () => {
  assertProblem(all(mutated((c) => void (c.processors['batch/unused'] = {}))), /processor batch\/unused is defined but no pipeline uses it/);
  assertProblem(all(mutated((c) => void (c.exporters['debug'] = {}))), /exporter debug is defined but no pipeline uses it/);
  assertProblem(all(mutated((c) => void (c.receivers['prometheus'] = {}))), /receiver prometheus is defined but no pipeline uses it/);
  assertProblem(all(mutated((c) => void (c.extensions['pprof'] = {}))), /extension pprof is defined but not listed in service\.extensions/);
});

test('a connector is an exporter of one pipeline and a receiver of another', () => {
  assertProblem(all(mutated((c) => void (c.service.pipelines['logs/in'].exporters = ['otlp_http/loki']))), /connector routing\/logs is not an exporter of any pipeline/);
  assertProblem(all(mutated((c) => {
    for (const id of ['logs/replay', 'logs/loki', 'logs/index']) c.service.pipelines[id].receivers = ['otlp'];
  })), /connector routing\/logs is not a receiver of any pipeline/);
});

test('routing targets must be pipelines fed by the connector, of the same signal', () => {
  assertProblem(all(mutated((c) => void (c.connectors['routing/logs'].table[0].pipelines = ['logs/replays']))), /routes to pipeline logs\/replays, which is not defined under service\.pipelines/);
  assertProblem(all(mutated((c) => void (c.connectors['routing/logs'].default_pipelines = ['logs/in']))), /routes to pipeline logs\/in, but logs\/in does not list routing\/logs among its receivers/);
  assertProblem(all(mutated((c) => {
    c.service.pipelines['traces/replay'] = { receivers: ['routing/logs'], exporters: ['otlp_http/receiver'] };
    c.connectors['routing/logs'].table[0].pipelines = ['traces/replay'];
  })), /routes to traces pipeline traces\/replay, but is fed only by logs pipelines/);
  assertProblem(all(mutated((c) => void (c.connectors['routing/logs'].table = []))), /routing table is empty/);
});

test('segments must reach the receiver and never Loki; other logs reach Loki; spans reach Tempo', () => {
  assertProblem(all(mutated((c) => void (c.connectors['routing/logs'].table[0].condition = 'event_name == "otel_replay.chunk"'))), /no routing connector routes log records with event_name == "otel_replay\.segment"/);
  assertProblem(all(mutated((c) => void (c.service.pipelines['logs/replay'].exporters = ['otlp_http/loki']))), /replay segments are routed to logs\/replay, which never reach the receiver/);
  assertProblem(all(mutated((c) => c.service.pipelines['logs/replay'].exporters.push('otlp_http/loki'))), /replay segments reach Loki through otlp_http\/loki/);
  assertProblem(all(mutated((c) => void (c.exporters['otlp_http/loki'].endpoint = 'http://loki:3100/otlp/v1/logs'))), /default_pipelines\) never reach Loki's \/otlp endpoint/);
  assertProblem(all(mutated((c) => void (c.service.pipelines.traces.exporters = ['otlp_http/receiver']))), /no traces pipeline exports to Tempo/);
});

test('memory_limiter first, retries, a persistent queue and the tenant header on every exporter', () => {
  assertProblem(all(mutated((c) => void (c.service.pipelines.traces.processors = ['batch', 'memory_limiter']))), /pipeline traces: memory_limiter must be the first processor \(it is batch\)/);
  assertProblem(all(mutated((c) => void (c.exporters['otlp_http/tempo'].retry_on_failure.enabled = false))), /exporter otlp_http\/tempo: retry_on_failure\.enabled must be true/);
  assertProblem(all(mutated((c) => void delete c.exporters['otlp_http/receiver'].sending_queue.storage)), /exporter otlp_http\/receiver: sending_queue\.storage must name a file_storage extension/);
  assertProblem(all(mutated((c) => void (c.service.extensions = ['health_check']))), /exporter otlp_http\/loki: sending_queue\.storage file_storage\/queue is not an enabled extension/);
  assertProblem(all(mutated((c) => void (c.exporters['otlp_http/loki'].headers['X-Scope-OrgID'] = 'fake'))), /exporter otlp_http\/loki: must send X-Scope-OrgID: demo \(sends fake\)/);
  assertProblem(all(mutated((c) => void delete c.exporters['otlp_http/tempo'].headers)), /exporter otlp_http\/tempo: must send X-Scope-OrgID: demo \(sends none\)/);
});

test('browsers: OTLP/HTTP on 0.0.0.0 with their origins listed for CORS, never "*"', () => {
  assertProblem(all(mutated((c) => void (c.receivers.otlp.protocols.http.cors.allowed_origins = ['*']))), /lists "\*"/);
  assertProblem(all(mutated((c) => void (c.receivers.otlp.protocols.http.cors.allowed_origins = ['http://localhost:8080']))), /does not list http:\/\/127\.0\.0\.1:8080/);
  assertProblem(all(mutated((c) => void (c.receivers.otlp.protocols.http.endpoint = 'localhost:4318'))), /must listen on 0\.0\.0\.0/);
});
