// What the ingest pipeline tells the index about a session's replay segments: who the
// client is and when it was seen, never a count (the index counts stored segments in the
// rows' own transaction, so counting here too would count them twice).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Attr } from '@otel-replay/protocol';
import { ActivityCollector } from './activity.ts';

const NOW = 1_700_000_000_000;
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0';

test('a segment describes its session and widens seen times without counting segments or bytes', () => {
  const c = new ActivityCollector('acme', () => NOW);
  const resource = { [Attr.serviceName]: 'shop', [Attr.userAgent]: UA, [Attr.userId]: 'alice' };
  c.describeSegment({ sessionId: 'S', firstTimestamp: NOW - 5000, lastTimestamp: NOW - 4000 }, resource);
  c.describeSegment({ sessionId: 'S', firstTimestamp: NOW - 9000, lastTimestamp: NOW - 8000 }, resource);
  const [d, ...rest] = c.result();
  assert.deepEqual(rest, []);
  assert.ok(d);
  assert.deepEqual(
    [d.sessionId, d.service, d.userId, d.userAgent, d.browser, d.os, d.device, d.firstSeen, d.lastSeen],
    ['S', 'shop', 'alice', UA, 'Firefox 121', 'macOS', 'desktop', NOW - 9000, NOW - 4000],
  );
  assert.deepEqual([d.segments, d.replayBytes, d.pageViews, d.clicks, d.spans], [0, 0, 0, 0, 0]);
});

test('a segment with an unsafe session id or a far-future clock is handled, not trusted', () => {
  const c = new ActivityCollector('acme', () => NOW);
  c.describeSegment({ sessionId: '../etc/passwd', firstTimestamp: NOW, lastTimestamp: NOW }, {});
  assert.deepEqual(c.result(), []);
  c.describeSegment({ sessionId: 'S', firstTimestamp: NOW + 10 * 86_400_000, lastTimestamp: NOW + 10 * 86_400_000 }, {});
  const [d] = c.result();
  assert.deepEqual([d?.firstSeen, d?.lastSeen, d?.segments], [NOW, NOW, 0]);
});
