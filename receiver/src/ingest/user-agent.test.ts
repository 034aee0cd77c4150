import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUserAgent } from './user-agent.ts';

test('reads browser, OS and device from common user agents', () => {
  assert.deepEqual(parseUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'), { browser: 'Chrome 156', os: 'Linux', device: 'desktop' });
  assert.deepEqual(parseUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91'), { browser: 'Edge 120', os: 'Windows', device: 'desktop' });
  assert.deepEqual(parseUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1'), { browser: 'Safari 17', os: 'iOS 17', device: 'mobile' });
  assert.deepEqual(parseUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0'), { browser: 'Firefox 121', os: 'macOS', device: 'desktop' });
  assert.deepEqual(parseUserAgent('Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'), { browser: 'Chrome 120', os: 'Android 14', device: 'tablet' });
});

test('unknown, empty and hostile strings give nulls or a best guess, never a throw', () => {
  assert.deepEqual(parseUserAgent(''), { browser: null, os: null, device: null });
  assert.deepEqual(parseUserAgent(undefined), { browser: null, os: null, device: null });
  const r = parseUserAgent('x'.repeat(1_000_000));
  assert.equal(r.browser, null);
  assert.equal(r.os, null);
});
