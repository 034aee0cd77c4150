import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionActivity } from '../index/session-index.ts';
import { DescribedSessions } from './described-sessions.ts';

function delta(sessionId: string, extra: Partial<SessionActivity> = {}): SessionActivity {
  return {
    tenant: 't', sessionId, firstSeen: 1, lastSeen: 2, service: 'shop', userId: null, entryUrl: null, urls: [], browser: 'Chrome 156', os: 'Linux', device: 'desktop', userAgent: 'UA',
    pageViews: 0, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0, segments: 0, replayBytes: 0, ...extra,
  };
}

test('a description already written is skipped; anything new or counted is kept', () => {
  const described = new DescribedSessions();
  const first = [delta('a'), delta('b')];
  assert.deepEqual(described.needed(first), first, 'nothing is known yet');
  described.remember(first);
  assert.deepEqual(described.needed([delta('a')]), [], 'same description again: no write');
  const changed = delta('a', { userId: 'u1' });
  assert.deepEqual(described.needed([changed]), [changed], 'a new user id is written');
  const counted = delta('b', { clicks: 1 });
  assert.deepEqual(described.needed([counted]), [counted], 'counters are always written');
  const otherTenant = { ...delta('a'), tenant: 'u' };
  assert.deepEqual(described.needed([otherTenant]), [otherTenant], 'tenants are apart');
});

test('the memory is bounded: the oldest entry is forgotten first', () => {
  const described = new DescribedSessions(2);
  described.remember([delta('a'), delta('b'), delta('c')]);
  assert.equal(described.needed([delta('a')]).length, 1, 'a was forgotten');
  assert.equal(described.needed([delta('b'), delta('c')]).length, 0);
});
