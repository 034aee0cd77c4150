// The sessionLimits and retention settings: defaults, environment variables, and clear
// refusals of values that would silently disable or break them; and the warnings for
// body caps too small for the largest legal segment.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SegmentLimits } from '@otel-replay/protocol';
import { ConfigError, configWarnings, loadConfig, MIN_SAFE_BODY_BYTES } from './config.ts';

describe('config: session limits and retention', () => {
  it('has defaults above the SDK session limit and a 30-day retention', () => {
    const c = loadConfig({ env: {} });
    assert.deepEqual(c.sessionLimits, { maxDurationMs: 4.5 * 3600_000, maxBytes: 256 * 1024 * 1024 });
    assert.deepEqual(c.retention, { days: 30, tenants: [], intervalMs: 3600_000, objectMarginDays: 1, deleteObjects: true });
  });

  it('reads environment variables, per-tenant overrides as JSON', () => {
    const c = loadConfig({
      env: { MAX_SESSION_DURATION_MS: '0', MAX_SESSION_BYTES: '1048576', RETENTION_DAYS: '7', RETENTION_TENANTS: '[{"tenant":"shop","days":90}]', RETENTION_DELETE_OBJECTS: 'false', RETENTION_INTERVAL_MS: '60000' },
    });
    assert.deepEqual([c.sessionLimits.maxDurationMs, c.sessionLimits.maxBytes], [0, 1048576]);
    assert.deepEqual([c.retention.days, c.retention.tenants, c.retention.deleteObjects, c.retention.intervalMs], [7, [{ tenant: 'shop', days: 90 }], false, 60000]);
  });

  it('refuses values that make no sense, naming the setting', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sessionLimits: { maxBytes: -1 } }, /sessionLimits\.maxBytes must be an integer >= 0/],
      [{ sessionLimits: { maxDurationMs: 1.5 } }, /sessionLimits\.maxDurationMs/],
      [{ retention: { days: '30' } }, /retention\.days/],
      [{ retention: { tenants: [{ tenant: '../x', days: 1 }] } }, /retention\.tenants\[0\]\.tenant must be a safe id/],
      [{ retention: { tenants: [{ tenant: 'a', days: 1 }, { tenant: 'a', days: 2 }] } }, /repeats tenant a/],
      [{ retention: { tenants: { a: 1 } } }, /retention\.tenants must be a list/],
      [{ retention: { intervalMs: 10 } }, /retention\.intervalMs must be an integer >= 1000/],
      [{ retention: { deleteObjects: 'yes' } }, /retention\.deleteObjects must be true or false/],
      [{ retention: { keepForever: true } }, /unknown setting retention\.keepForever/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => loadConfig({ env: {}, overrides }), (err: Error) => err instanceof ConfigError && message.test(err.message), JSON.stringify(overrides));
    }
  });
});

describe('config: body caps that would lose legal segments', () => {
  it('the defaults fit a largest legal segment; smaller caps start but are warned about, by name', () => {
    assert.deepEqual(configWarnings(loadConfig({ env: {} })), []);
    const small = loadConfig({ env: {}, overrides: { server: { maxBodyBytes: 256 * 1024, maxDecompressedBytes: MIN_SAFE_BODY_BYTES } } });
    const warnings = configWarnings(small);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^server\.maxBodyBytes is 262144 bytes, under the \d+ .*raise it to at least \d+$/);
    assert.ok(MIN_SAFE_BODY_BYTES > SegmentLimits.maxBodyBytes * 1.33, 'base64 of the largest segment fits');
    assert.equal(configWarnings(loadConfig({ env: {}, overrides: { server: { maxDecompressedBytes: 1024 } } })).length, 1);
  });
});
