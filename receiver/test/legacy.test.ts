// Legacy rrweb-era records (Splunk's and HyperDX's `rr-web.*` format) in, playable events
// out: records built the way those SDKs build them are posted over OTLP/JSON, including
// events cut into chunks that arrive in separate requests, and the query API streams
// back the original rrweb events in order.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeLegacySdk, recording } from '../../protocol/src/legacy-sdk.fixture.ts';
import type { SdkRecord } from '../../protocol/src/legacy-sdk.fixture.ts';
import { legacyAttributes } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';

let rx: RunningReceiver;
before(async () => { rx = await startReceiver(); });
after(async () => { await rx?.stop(); });

function legacyRequest(records: SdkRecord[]): string {
  return JSON.stringify({
    resourceLogs: [{
      resource: { attributes: legacyAttributes(records[0]!.resource) },
      scopeLogs: [{
        scope: { name: 'splunk.rr-web', version: '0.24.0' },
        logRecords: records.map((r) => ({ timeUnixNano: String(r.timeUnixNano), body: { stringValue: r.body }, attributes: legacyAttributes(r.attributes) })),
      }],
    }],
  });
}

async function post(body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}

async function streamedEvents(sessionId: string, windowId: string): Promise<{ lines: Record<string, unknown>[]; events: unknown[] }> {
  const res = await fetch(`${rx.url}/api/v1/sessions/${sessionId}/events?at=0&window=${windowId}`);
  assert.equal(res.status, 200);
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const events = lines.filter((l) => l.type === 'segment').flatMap((l) => l.events as unknown[]);
  return { lines, events };
}

for (const flavour of ['splunk', 'hyperdx'] as const) {
  test(`${flavour} rrweb-era recording replays: chunked events across requests, in order, with no gap`, async () => {
    const sessionId = `legacy${flavour}0123456789abcdef`;
    const sdk = new FakeLegacySdk({ flavour, sessionId, instance: `inst${flavour}`, chunkBytes: 700 });
    const start = Date.now() - 120_000;
    const events = recording(start, 30);
    const perEvent = events.map((e) => sdk.emit(e));
    // The full snapshot is several chunks; send its chunks split over two requests, the
    // second one first, and the rest as the SDK's batch processor would (several per request).
    const snapshot = perEvent[1]!;
    assert.ok(snapshot.length >= 3, 'the snapshot is cut into several chunks');
    const half = Math.ceil(snapshot.length / 2);
    const requests = [
      [...perEvent[0]!],
      snapshot.slice(half),
      snapshot.slice(0, half),
      ...chunk(perEvent.slice(2).flat(), 8),
    ];
    for (const records of requests) {
      const { status, json } = await post(legacyRequest(records));
      assert.equal(status, 200);
      assert.equal(json.partialSuccess, undefined, `no record refused: ${JSON.stringify(json)}`);
    }
    // A retried request (the whole snapshot again, and a batch again) changes nothing.
    assert.equal((await post(legacyRequest(snapshot))).status, 200);
    assert.equal((await post(legacyRequest(requests[3]!))).status, 200);

    const windowId = `legacy-inst${flavour}`;
    const { lines, events: replayed } = await streamedEvents(sessionId, windowId);
    assert.deepEqual(replayed, events, 'the reassembled events are the recorded ones, in recorded order');
    assert.equal(lines.filter((l) => l.type === 'gap').length, 0);
    assert.equal(lines.filter((l) => l.type === 'damaged').length, 0);
    assert.equal(lines.at(-1)!.type, 'end');

    const summary = await (await fetch(`${rx.url}/api/v1/sessions/${sessionId}`)).json() as { hasReplay: boolean; service: string | null; windows: { windowId: string }[] };
    assert.equal(summary.hasReplay, true);
    assert.deepEqual(summary.windows.map((w) => w.windowId), [windowId]);
  });
}

test('two page loads of one legacy session keep both recordings (counters restart per page load)', async () => {
  const sessionId = 'legacytwopages0123456789';
  const first = new FakeLegacySdk({ flavour: 'splunk', sessionId, instance: 'pageA', chunkBytes: 100_000 });
  const second = new FakeLegacySdk({ flavour: 'splunk', sessionId, instance: 'pageB', chunkBytes: 100_000 });
  const a = recording(Date.now() - 60_000, 5, 'first page');
  const b = recording(Date.now() - 30_000, 5, 'second page');
  assert.equal((await post(legacyRequest(a.flatMap((e) => first.emit(e))))).status, 200);
  assert.equal((await post(legacyRequest(b.flatMap((e) => second.emit(e))))).status, 200);
  assert.deepEqual((await streamedEvents(sessionId, 'legacy-pageA')).events, a);
  assert.deepEqual((await streamedEvents(sessionId, 'legacy-pageB')).events, b);
});

test('broken legacy records are refused in partial_success; good ones in the same request are kept', async () => {
  const sessionId = 'legacybroken0123456789';
  const sdk = new FakeLegacySdk({ flavour: 'hyperdx', sessionId, instance: 'x1', chunkBytes: 100_000 });
  const events = recording(Date.now() - 10_000, 3);
  const records = events.flatMap((e) => sdk.emit(e));
  const broken = { ...records[2]!, body: '{"type": 3, "timesta' };
  const noSession = { ...records[3]!, resource: {} };
  const { status, json } = await post(legacyRequest([records[0]!, records[1]!, broken]));
  assert.equal(status, 200);
  const partial = json.partialSuccess as { rejectedLogRecords: string | number; errorMessage: string };
  assert.equal(Number(partial.rejectedLogRecords), 1);
  assert.match(partial.errorMessage, /JSON|rrweb/i);
  const r2 = await post(legacyRequest([noSession]));
  assert.equal(Number((r2.json.partialSuccess as { rejectedLogRecords: number }).rejectedLogRecords), 1);
  assert.deepEqual((await streamedEvents(sessionId, 'legacy-x1')).events, events.slice(0, 2));
});

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
