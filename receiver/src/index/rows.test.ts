// The merge rule, what stored segments add to a session, and text cleaning, shared by
// both engines and checked without a database.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activity, segmentRow } from './session-index.suite.ts';
import { MAX_SESSION_URLS, MAX_STORED_CHARS, cleanText, foldForSearch, mergeActivity, segmentActivity, sessionToParams } from './rows.ts';
import { SESSION_WRITE_COLUMNS } from './schema.ts';

describe('mergeActivity', () => {
  it('starts a row from the first delta and never lets null erase a known value', () => {
    const first = mergeActivity(null, activity('t', 's', { userId: 'u1', service: 'svc', entryUrl: 'https://a/', clicks: 2, firstSeen: 20, lastSeen: 10 }));
    assert.equal(first.firstSeen, 10);
    assert.equal(first.lastSeen, 20);
    assert.deepEqual(first.urls, ['https://a/']);
    const second = mergeActivity(first, activity('t', 's', { userId: null, service: 'svc2', entryUrl: 'https://b/', clicks: 3, firstSeen: 15, lastSeen: 30 }));
    assert.equal(second.userId, 'u1');
    assert.equal(second.service, 'svc2');
    assert.equal(second.entryUrl, 'https://a/');
    assert.deepEqual(second.urls, ['https://a/', 'https://b/']);
    assert.equal(second.clicks, 5);
    assert.deepEqual([second.firstSeen, second.lastSeen], [10, 30]);
  });

  it('bounds the URL list and drops empty URLs', () => {
    const urls = Array.from({ length: 120 }, (_, i) => `u${i}`);
    const merged = mergeActivity(null, activity('t', 's', { urls: ['', ...urls, ...urls] }));
    assert.deepEqual(merged.urls, urls.slice(0, MAX_SESSION_URLS));
  });
});

describe('segmentActivity', () => {
  it('sums inserted rows per (tenant, session): segments, bytes, widened times; nothing else', () => {
    const rows = [
      segmentRow('t1', 'S', 'w1', 1, { length: 10, firstTimestamp: 5_000, lastTimestamp: 6_000, receivedAt: 10_000 }),
      segmentRow('t1', 'S', 'w2', 0, { length: 7, firstTimestamp: 2_000, lastTimestamp: 3_000, receivedAt: 10_000 }),
      segmentRow('t2', 'S', 'w1', 1, { length: 4, firstTimestamp: 1_000, lastTimestamp: 1_500, receivedAt: 10_000 }),
      segmentRow('t1', 'other', 'w1', 0, { length: 1, firstTimestamp: 9_000, lastTimestamp: 9_000, receivedAt: 10_000 }),
    ];
    assert.deepEqual(segmentActivity(rows), [
      activity('t1', 'S', { firstSeen: 2_000, lastSeen: 6_000, segments: 2, replayBytes: 17 }),
      activity('t2', 'S', { firstSeen: 1_000, lastSeen: 1_500, segments: 1, replayBytes: 4 }),
      activity('t1', 'other', { firstSeen: 9_000, lastSeen: 9_000, segments: 1, replayBytes: 1 }),
    ]);
    assert.deepEqual(segmentActivity([]), []);
  });

  it('takes a timestamp of 0 or more than a day past receivedAt as receivedAt (a wrong browser clock)', () => {
    const received = 1_700_000_000_000;
    const [d] = segmentActivity([segmentRow('t', 'S', 'w', 0, { firstTimestamp: 0, lastTimestamp: 253402300799999, receivedAt: received })]);
    assert.deepEqual([d?.firstSeen, d?.lastSeen], [received, received]);
    const [ok] = segmentActivity([segmentRow('t', 'S', 'w', 0, { firstTimestamp: received - 5, lastTimestamp: received + 3_600_000, receivedAt: received })]);
    assert.deepEqual([ok?.firstSeen, ok?.lastSeen], [received - 5, received + 3_600_000]);
  });
});

describe('cleanText and search folding', () => {
  it('removes NUL, cuts long text without splitting a surrogate pair, and maps empty to null', () => {
    assert.equal(cleanText('a\u0000b'), 'ab');
    assert.equal(cleanText('\u0000'), null);
    assert.equal(cleanText(''), null);
    assert.equal(cleanText(null), null);
    const cut = cleanText(`${'x'.repeat(MAX_STORED_CHARS - 1)}😀tail`);
    assert.equal(cut, 'x'.repeat(MAX_STORED_CHARS - 1));
  });

  it('folds Unicode case and line breaks the same way for stored text and needles', () => {
    assert.equal(foldForSearch('ÉCOLE\r\nX'), 'école  x');
    const params = sessionToParams(mergeActivity(null, activity('t', 'Sess', { userId: 'ÜSER', browser: 'Firefox', urls: ['https://A/'] })));
    assert.equal(params.length, SESSION_WRITE_COLUMNS.length);
    assert.equal(params[SESSION_WRITE_COLUMNS.indexOf('search_text')], 'sess\nüser\nhttps://a/');
    assert.equal(params[SESSION_WRITE_COLUMNS.indexOf('search_browser')], 'firefox');
  });
});
