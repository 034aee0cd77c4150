// docker-compose.yml against the Compose Specification schema and the cross-checks of
// checks/compose.ts; every check is also shown failing on a mutated copy.

import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { composeProblems, composeSchemaProblems, dockerfileBaseImages, imagePinProblem } from './checks/compose.ts';
import { clone, interpolate, readYaml } from './checks/files.ts';
import type { Doc } from './checks/files.ts';

const compose = readYaml('docker-compose.yml');

function mutated(fn: (doc: { services: Record<string, Doc> } & Doc) => void): Doc {
  const copy = clone(compose) as { services: Record<string, Doc> } & Doc;
  fn(copy);
  return copy;
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`);
}

test('docker-compose.yml matches the Compose Specification schema', () => {
  assert.deepEqual(composeSchemaProblems(compose), []);
});

test('the schema check fails on what Compose would refuse', () => {
  assertProblem(composeSchemaProblems(mutated((d) => void (d.services.receiver!.restrat = 'always'))), /services\.receiver: must NOT have additional properties \(restrat\)/);
  assertProblem(composeSchemaProblems(mutated((d) => void (d.services.loki!.depends_on = 'tempo'))), /services\.loki\.depends_on/);
  assertProblem(composeSchemaProblems(mutated((d) => void (d.services.postgres!.healthcheck = { test: 42 }))), /services\.postgres\.healthcheck\.test: must be/);
  assertProblem(composeSchemaProblems(mutated((d) => void (d.volumez = {}))), /\(top level\): must NOT have additional properties \(volumez\)/);
});

test('the stack passes every cross-check', () => {
  assert.deepEqual(composeProblems(compose), []);
});

test('every pulled image is pinned to an exact version', () => {
  for (const image of ['grafana/grafana:13.1.0', 'postgres:17.6', 'minio/minio:RELEASE.2025-04-22T22-12-26Z', 'node:24.21.0-slim', `x@sha256:${'a'.repeat(64)}`, 'localhost:5000/x:1.2.3']) {
    assert.equal(imagePinProblem(image), null, image);
  }
  assert.match(imagePinProblem('grafana/loki') ?? '', /has no tag/);
  assert.match(imagePinProblem('localhost:5000/loki') ?? '', /has no tag/);
  assert.match(imagePinProblem('grafana/loki:latest') ?? '', /uses latest/);
  assert.match(imagePinProblem('node:24-slim') ?? '', /not an exact version/);
  assert.match(imagePinProblem('postgres:17') ?? '', /not an exact version/);
  assertProblem(composeProblems(mutated((d) => void (d.services.tempo!.image = 'grafana/tempo:latest'))), /service tempo: image grafana\/tempo:latest uses latest/);
});

test('Dockerfile base images are read through ARG defaults and checked', () => {
  const text = 'ARG NODE_IMAGE=node:24.21.0-slim\nFROM ${NODE_IMAGE} AS deps\nFROM deps AS more\nFROM --platform=linux/amd64 $NODE_IMAGE\nFROM busybox\n';
  assert.deepEqual(dockerfileBaseImages(text), ['node:24.21.0-slim', 'node:24.21.0-slim', 'busybox']);
  const root = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-compose-'));
  try {
    mkdirSync(path.join(root, 'svc'));
    writeFileSync(path.join(root, 'svc', 'Dockerfile'), 'FROM node:24\n');
    const doc = { services: { svc: { build: { context: '.', dockerfile: 'svc/Dockerfile' }, image: 'svc:local' } } };
    assertProblem(composeProblems(doc, root), /svc\/Dockerfile base image node:24: tag 24 is not an exact version/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('build contexts and Dockerfiles must exist', () => {
  assertProblem(composeProblems(mutated((d) => void (d.services.receiver!.build = { context: './nope' }))), /service receiver: build context \.\/nope is not a directory/);
  assertProblem(composeProblems(mutated((d) => void (d.services.demo!.build = { context: '.', dockerfile: 'demo/Dockerfile.missing' }))), /service demo: Dockerfile demo\/Dockerfile\.missing does not exist/);
  assertProblem(composeProblems(mutated((d) => void (d.services.demo!.image = 'otel-replay-demo'))), /built image otel-replay-demo needs an explicit local tag/);
});

test('mounted host paths exist, and named volumes are declared and used', () => {
  assertProblem(composeProblems(mutated((d) => void ((d.services.loki!.volumes as string[])[0] = './deploy/lokii.yaml:/etc/loki/loki.yaml:ro'))), /service loki: mounted host path \.\/deploy\/lokii\.yaml does not exist/);
  assertProblem(composeProblems(mutated((d) => void (d.services.tempo!.volumes as string[]).push('tempo-cache:/cache'))), /named volume tempo-cache is not declared/);
  assertProblem(composeProblems(mutated((d) => void ((d.volumes as Doc)['spare-data'] = null))), /volume spare-data is declared but no service mounts it/);
});

test('the plugin build output may be mounted only when its workspace can build it', () => {
  // grafana-plugin/dist is not committed: it is accepted as the output of `npm run build`.
  const root = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-compose-'));
  try {
    mkdirSync(path.join(root, 'grafana-plugin'));
    writeFileSync(path.join(root, 'grafana-plugin', 'package.json'), JSON.stringify({ scripts: { test: 'jest' } }));
    const doc = { services: { grafana: { image: 'grafana/grafana:13.1.0', volumes: ['./grafana-plugin/dist:/var/lib/grafana/plugins/x:ro'] } } };
    assertProblem(composeProblems(doc, root), /build output, but grafana-plugin\/package\.json has no "build" script/);
    writeFileSync(path.join(root, 'grafana-plugin', 'package.json'), JSON.stringify({ scripts: { build: 'webpack' } }));
    assert.deepEqual(composeProblems(doc, root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('config paths named in commands must be mounted', () => {
  assertProblem(composeProblems(mutated((d) => void (d.services.loki!.command = ['-config.file=/etc/loki/other.yaml']))), /service loki: \/etc\/loki\/other\.yaml is used but nothing is mounted there/);
  assertProblem(composeProblems(mutated((d) => void ((d.services.receiver!.environment as Doc).OTEL_REPLAY_CONFIG = '/etc/receiver.yaml'))), /service receiver: \/etc\/receiver\.yaml is used but nothing is mounted/);
});

test('depends_on targets exist, are healthy when waited on, and run under the same profiles', () => {
  assertProblem(composeProblems(mutated((d) => void (d.services.grafana!.depends_on = ['loki', 'prometheus']))), /service grafana: depends_on prometheus, which is not a service/);
  assertProblem(composeProblems(mutated((d) => void (d.services.demo!.depends_on = { loki: { condition: 'service_healthy' } }))), /service demo: waits for loki to be healthy, but loki has no healthcheck/);
  // The default receiver may wait for PostgreSQL only because that dependency is optional.
  assertProblem(composeProblems(mutated((d) => void delete ((d.services.receiver!.depends_on as Doc).postgres as Doc).required)), /service receiver: depends_on postgres, which is only in profile\(s\) postgres while receiver runs under \(no profile\)/);
  assertProblem(composeProblems(mutated((d) => void (d.services['receiver-2']!.profiles = ['ha']))), /service receiver-2: depends_on postgres, which is only in profile\(s\) postgres while receiver-2 runs under ha/);
});

test('compose interpolation as the checks apply it', () => {
  assert.equal(interpolate('${A:-x}', {}), 'x');
  assert.equal(interpolate('${A:-x}', { A: '' }), 'x');
  assert.equal(interpolate('${A-x}', { A: '' }), '');
  assert.equal(interpolate('${A}/$${B}', { A: 'a' }), 'a/${B}');
  assert.equal(interpolate('${RECEIVER_FORWARD_LOGS_URL:-}', {}), '');
});
