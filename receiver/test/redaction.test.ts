// Redaction rules end to end: the real OpenTelemetry JS exporters (JSON and protobuf) send
// logs, spans and replay segments carrying an e-mail address and a card number to a
// receiver configured with rules; what reaches the Loki/Tempo stand-in, what the session
// index says and what the query API streams back are all redacted, while everything the
// rules do not cover (protocol attributes, other keys, unmatched text) arrives unchanged.
// Invalid rules are refused when the configuration loads, naming the rule.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { EventName, SEGMENT_EVENT_NAME, segmentAttributes, segmentMetaOf } from '@otel-replay/protocol';
import type { RrwebEvent } from '@otel-replay/protocol';
import { ConfigError, loadConfig } from '../src/config.ts';
import { decodeLogs } from '../src/otlp/decode-logs.ts';
import { decodeTraces } from '../src/otlp/decode-traces.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { LOGS_PATH, TRACES_PATH, startOtlpSink } from './peers/otlp-sink.ts';
import type { OtlpSink } from './peers/otlp-sink.ts';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';

const RULES = [
  { name: 'emails', pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', replacement: '[email]', applyTo: ['log.body', 'log.attributes', 'resource.attributes', 'span.name', 'span.attributes', 'segment.text'] },
  { name: 'cards', pattern: '\\b\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{4}\\b', replacement: '[card]', applyTo: ['log.body', 'log.attributes', 'span.attributes', 'segment.text'], attributes: ['payment.note'] },
];

/** A recorded checkout page: the e-mail in a text node, an attribute, an input value and a later text change. */
function recording(start: number): RrwebEvent[] {
  const el = (id: number, tagName: string, attributes: Record<string, string>, childNodes: unknown[] = []) => ({ type: 2, tagName, attributes, childNodes, id });
  return [
    { type: 4, timestamp: start, data: { href: `https://shop.example/account?user=${EMAIL}`, width: 800, height: 600 } },
    {
      type: 2,
      timestamp: start + 1,
      data: {
        node: { type: 0, id: 1, childNodes: [el(2, 'html', {}, [el(3, 'head', {}, [el(9, 'style', {}, [{ type: 3, id: 10, isStyle: true, textContent: '.x[data-a="a@b.co"]{color:red}' }])]), el(4, 'body', {}, [
          el(5, 'p', { id: 'who', title: `Signed in as ${EMAIL}` }, [{ type: 3, id: 6, textContent: `Hello ${EMAIL}` }]),
          el(7, 'input', { id: 'card', value: CARD }),
        ])])] },
        initialOffset: { left: 0, top: 0 },
      },
    },
    { type: 3, timestamp: start + 100, data: { source: 5, id: 7, text: `${CARD} and ${EMAIL}`, isChecked: false } },
    { type: 3, timestamp: start + 200, data: { source: 0, texts: [{ id: 6, value: `Bye ${EMAIL}` }], attributes: [{ id: 5, attributes: { 'data-user': EMAIL } }], removes: [], adds: [{ parentId: 4, nextId: null, node: { type: 3, id: 8, textContent: `card ${CARD}` } }] } },
  ];
}

for (const variant of ['http-json', 'proto'] as const) {
  describe(`redaction rules (${variant})`, () => {
    let sink: OtlpSink;
    let rx: RunningReceiver;
    const sessionId = `redact-${variant}-1`;

    before(async () => {
      sink = await startOtlpSink();
      rx = await startReceiver({
        forward: { logsUrl: `${sink.url}${LOGS_PATH}`, tracesUrl: `${sink.url}${TRACES_PATH}`, retry: { initialDelayMs: 20, maxDelayMs: 200 } },
        redaction: { rules: RULES },
      });
    });
    after(async () => {
      await rx?.stop();
      await sink?.stop();
    });

    const resource = () => resourceFromAttributes({ 'service.name': 'shop-web', 'enduser.email': EMAIL });

    test('logs forwarded to Loki and segments stored are redacted; protocol attributes are not', async () => {
      const exporter = variant === 'proto' ? new ProtoLogExporter({ url: `${rx.url}/v1/logs` }) : new JsonLogExporter({ url: `${rx.url}/v1/logs` });
      const provider = new LoggerProvider({ resource: resource(), processors: [new SimpleLogRecordProcessor({ exporter })] });
      const logger = provider.getLogger('redaction-test');
      const start = Date.now() - 60_000;
      const events = recording(start);
      const json = JSON.stringify(events);
      const meta = segmentMetaOf(events, { sessionId, windowId: 'w1', seq: 0 }, 'gzip-json');
      logger.emit({ eventName: SEGMENT_EVENT_NAME, timestamp: start, body: new Uint8Array(gzipSync(json)), attributes: segmentAttributes(meta) });
      logger.emit({
        eventName: EventName.console,
        timestamp: start + 10,
        body: `payment by ${EMAIL} with ${CARD}`,
        attributes: { 'session.id': sessionId, 'user.id': EMAIL, 'payment.note': `card ${CARD}`, 'other.note': `card ${CARD}`, 'a.map': { inner: `to ${EMAIL}` }, 'a.list': [EMAIL, 'plain'], 'an.int': 7 } as never,
      });
      await provider.forceFlush();
      await provider.shutdown();

      await sink.waitFor((rs) => rs.some((r) => r.path === LOGS_PATH), 10_000);
      const forwarded = sink.requests.filter((r) => r.path === LOGS_PATH).flatMap((r) => decodeLogs(r.body!, variant === 'proto' ? 'protobuf' : 'json').resources.flatMap((rl) => rl.scopes.flatMap((s) => s.records.map((rec) => ({ rec, resource: rl.resource })))));
      assert.equal(forwarded.length, 1, 'only the console record is forwarded');
      const { rec, resource: res } = forwarded[0]!;
      assert.equal(rec.body, 'payment by [email] with [card]');
      assert.equal(rec.attributes['user.id'], '[email]');
      assert.equal(rec.attributes['payment.note'], 'card [card]', 'the cards rule covers payment.note');
      assert.equal(rec.attributes['other.note'], `card ${CARD}`, 'but no other key');
      assert.deepEqual(rec.attributes['a.map'], { inner: 'to [email]' }, 'nested maps are walked');
      assert.deepEqual(rec.attributes['a.list'], ['[email]', 'plain'], 'and lists');
      assert.equal(rec.attributes['an.int'], 7, 'non-string values are untouched');
      assert.equal(rec.attributes['session.id'], sessionId);
      assert.equal(res['enduser.email'], '[email]', 'resource attributes too');
      for (const r of sink.requests.filter((x) => x.path === LOGS_PATH)) {
        assert.ok(!r.body!.includes(EMAIL), 'the raw forwarded bytes do not carry the e-mail');
        assert.equal(r.body!.toString('latin1').split(CARD).length - 1, 1, 'the card is left only where no rule covers it (other.note)');
      }

      // The session index learned the redacted user id, not the address.
      const summary = await (await fetch(`${rx.url}/api/v1/sessions/${sessionId}`)).json() as Record<string, unknown>;
      assert.equal(summary.userId, '[email]');
      assert.equal(summary.segments, 1, 'the segment was stored under its own session.id');

      // The stored recording: every text place redacted, stylesheet text and structure unchanged.
      const stream = await (await fetch(`${rx.url}/api/v1/sessions/${sessionId}/events`)).text();
      assert.ok(!stream.includes(EMAIL) && !stream.includes(CARD), 'the events stream carries neither');
      const stored = stream.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; events?: RrwebEvent[] }).flatMap((l) => l.events ?? []);
      assert.equal(stored.length, events.length);
      const s = JSON.stringify(stored);
      for (const expected of ['account?user=[email]', 'Hello [email]', 'Signed in as [email]', '"value":"[card]"', '"text":"[card] and [email]"', 'Bye [email]', '"data-user":"[email]"', 'card [card]', '.x[data-a=\\"a@b.co\\"]{color:red}']) {
        assert.ok(s.includes(expected), `stored events contain ${expected}`);
      }
    });

    test('spans forwarded to Tempo are redacted: names, attributes, event attributes', async () => {
      const exporter = variant === 'proto' ? new ProtoTraceExporter({ url: `${rx.url}/v1/traces` }) : new JsonTraceExporter({ url: `${rx.url}/v1/traces` });
      const provider = new TracerProvider({ resource: resource(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      const span = provider.getTracer('redaction-test').startSpan(`GET /users/${EMAIL}`, { attributes: { 'session.id': sessionId, 'url.full': `https://shop.example/users/${EMAIL}`, 'payment.note': CARD } });
      span.addEvent('lookup', { who: EMAIL });
      span.end();
      await provider.forceFlush();
      await provider.shutdown();
      await sink.waitFor((rs) => rs.some((r) => r.path === TRACES_PATH), 10_000);
      const req = sink.requests.find((r) => r.path === TRACES_PATH)!;
      assert.ok(!req.body!.includes(EMAIL) && !req.body!.includes(CARD));
      const spans = decodeTraces(req.body!, variant === 'proto' ? 'protobuf' : 'json').resources.flatMap((rs) => rs.scopes.flatMap((s) => s.spans));
      assert.equal(spans[0]!.name, 'GET /users/[email]');
      assert.equal(spans[0]!.attributes['url.full'], 'https://shop.example/users/[email]');
      assert.equal(spans[0]!.attributes['payment.note'], '[card]');
      assert.equal(spans[0]!.attributes['session.id'], sessionId);
    });
  });
}

describe('redaction rules at start', () => {
  const load = (rules: unknown[]) => loadConfig({ env: {}, overrides: { dataDir: '/tmp/otel-replay-redaction-config', redaction: { rules } } });
  const rule = (over: Record<string, unknown>) => ({ name: 'r1', pattern: 'secret', applyTo: ['log.body'], ...over });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an invalid regular expression', rule({ name: 'broken-regex', pattern: '([a-z' }), /redaction rule "broken-regex": pattern is not a valid regular expression/],
    ['nested quantifiers', rule({ name: 'nested', pattern: '(a+)+$' }), /redaction rule "nested": pattern refused because a quantified group contains another quantifier/],
    ['a backreference', rule({ name: 'backref', pattern: '(a)\\1' }), /redaction rule "backref": pattern refused because it uses a backreference/],
    ['overlapping alternatives (caught by the timed probe)', rule({ name: 'overlap', pattern: '(a|a)*b' }), /redaction rule "overlap": its pattern takes more than 50 ms/],
    ['a pattern matching the empty string', rule({ name: 'empty-match', pattern: 'x*' }), /redaction rule "empty-match": pattern matches the empty string/],
    ['an unknown target', rule({ name: 'bad-target', applyTo: ['log.nothing'] }), /redaction rule "bad-target": applyTo must list/],
    ['the g flag', rule({ name: 'bad-flags', flags: 'g' }), /redaction rule "bad-flags": flags may only combine/],
    ['a missing pattern', { name: 'no-pattern', applyTo: ['log.body'] }, /redaction rule "no-pattern": pattern must be a non-empty string/],
  ];
  for (const [what, r, message] of refused) {
    test(`refuses ${what}, naming the rule`, () => {
      assert.throws(() => load([r]), (err: unknown) => err instanceof ConfigError && message.test((err as Error).message));
    });
  }

  test('refuses two rules with one name', () => {
    assert.throws(() => load([rule({}), rule({})]), /redaction rule "r1" is defined twice/);
  });

  test('accepts ordinary rules, and no rules means no redaction work in the pipeline', async () => {
    assert.doesNotThrow(() => load(RULES));
    const rx = await startReceiver();
    try {
      assert.equal((rx.receiver.services.pipeline as unknown as { deps: { redaction?: unknown } }).deps.redaction, undefined);
    } finally {
      await rx.stop();
    }
  });
});
