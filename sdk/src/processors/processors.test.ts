import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SessionLogRecordProcessor } from './session-log-processor.ts';
import { SessionSpanProcessor } from './session-span-processor.ts';
import { SegmentRoutingLogRecordProcessor } from './routing-log-processor.ts';
import { UserContext } from '../session/user.ts';
import type { SessionProvider } from '../session/session.ts';

const session: SessionProvider = {
  current: () => ({ id: 'sess-1', previousId: null, startedAt: 0, sampled: true }),
  windowId: () => 'w1',
  touch: () => {},
  onChange: () => () => {},
};

function fakeRecord(attributes: Record<string, unknown> = {}, eventName?: string) {
  return { attributes, eventName, setAttribute(k: string, v: unknown) { attributes[k] = v; return this; } };
}

test('SessionSpanProcessor stamps session.id, and user.id once identified', () => {
  const user = new UserContext();
  const p = new SessionSpanProcessor(session, user);
  const attrs: Record<string, unknown> = {};
  const span = { setAttribute: (k: string, v: unknown) => void (attrs[k] = v) };
  p.onStart(span as never, ROOT_CONTEXT);
  assert.deepEqual({ ...attrs }, { 'session.id': 'sess-1' } as Record<string, unknown>);
  user.set('u-42', { email: 'a@b.c', plan: 'pro', nested: { no: 1 } });
  p.onStart(span as never, ROOT_CONTEXT);
  assert.equal(attrs['user.id'], 'u-42');
  assert.deepEqual(user.attributes, { 'user.id': 'u-42', 'user.email': 'a@b.c', 'user.plan': 'pro' });
});

test('SessionLogRecordProcessor stamps records that lack session.id and leaves others alone', () => {
  const p = new SessionLogRecordProcessor(session);
  const plain = fakeRecord();
  p.onEmit(plain as never);
  assert.equal(plain.attributes['session.id'], 'sess-1');
  const segment = fakeRecord({ 'session.id': 'older-session' });
  p.onEmit(segment as never);
  assert.equal(segment.attributes['session.id'], 'older-session');
});

test('SegmentRoutingLogRecordProcessor sends segments one way and everything else the other', async () => {
  const seen: string[] = [];
  const sink = (name: string) => ({ onEmit: () => void seen.push(name), forceFlush: async () => void seen.push(`${name}:flush`), shutdown: async () => {} });
  const p = new SegmentRoutingLogRecordProcessor({ segments: sink('segments'), others: sink('others') });
  p.onEmit(fakeRecord({}, 'otel_replay.segment') as never);
  p.onEmit(fakeRecord({}, 'browser.click') as never);
  p.onEmit(fakeRecord({}) as never);
  await p.forceFlush();
  assert.deepEqual(seen, ['segments', 'others', 'others', 'segments:flush', 'others:flush']);
});
