// The merge rule and text cleaning shared by both engines, checked without a database.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activity } from './session-index.suite.ts';
import { MAX_SESSION_URLS, MAX_STORED_CHARS, cleanText, foldForSearch, mergeActivity, sessionToParams } from './rows.ts';
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
