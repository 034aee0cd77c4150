// Redaction rules applied to values: windowed scanning finds what a whole-value scan finds
// (matches up to OVERLAP characters long, wherever the windows cut), long values fail closed,
// protocol keys are never touched, and a hostile value costs bounded time.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OVERLAP, RedactionRules, WINDOW, compileRedaction } from './rules.ts';
import type { RedactionRuleConfig } from './rules.ts';

const EMAIL = '[\\w.+-]+@[\\w-]+\\.[\\w.]+';
const rules = (r: Partial<RedactionRuleConfig>[], maxValueLength = 64 * 1024) =>
  new RedactionRules({ rules: r.map((x, i) => ({ name: `r${i}`, pattern: EMAIL, applyTo: ['log.body', 'log.attributes'], ...x })), maxValueLength });

describe('RedactionRules.apply', () => {
  it('finds every match of a long value, wherever the windows cut, like one whole-value scan', () => {
    const r = rules([{ replacement: '<$&>' }]);
    const whole = new RegExp(EMAIL, 'g');
    // Addresses placed at every offset around the window boundaries (step WINDOW - OVERLAP).
    for (let shift = 0; shift < 40; shift++) {
      let value = 'x'.repeat(shift);
      for (let i = 0; value.length < 20_000; i++) value += ` filler ${'y'.repeat((i * 37) % 300)} user${i}@mail${i}.example.org `;
      assert.equal(r.apply('log.body', value), value.replace(whole, '<$&>'), `shift ${shift}`);
    }
  });

  it('expands $1 and $<name> the same in short and windowed values', () => {
    const r = rules([{ pattern: '(?<user>[a-z]+)@(corp)\\.example', replacement: '$<user>@$2.invalid ($$)' }]);
    assert.equal(r.apply('log.body', 'mail ann@corp.example'), 'mail ann@corp.invalid ($)');
    const long = `${'z '.repeat(WINDOW)}bob@corp.example`;
    assert.equal(r.apply('log.body', long), `${'z '.repeat(WINDOW)}bob@corp.invalid ($)`);
  });

  it('replaces a value longer than maxValueLength whole instead of scanning it (fail closed)', () => {
    const r = rules([{}], WINDOW * 2);
    const out = r.apply('log.body', `a@b.co ${'x'.repeat(WINDOW * 2)}`);
    assert.match(out, /^\[REDACTED: value of \d+ characters is longer than redaction\.maxValueLength\]$/);
  });

  it('never rewrites protocol keys, and honours an attribute list', () => {
    const r = rules([{ attributes: ['user.id'] }, { name: 'all', pattern: 'sess' }]);
    assert.equal(r.apply('log.attributes', 'sess-a@b.co', 'session.id'), 'sess-a@b.co');
    assert.equal(r.apply('log.attributes', 'x', 'rr-web.event'), 'x');
    assert.equal(r.apply('log.attributes', 'a@b.co', 'user.id'), '[REDACTED]');
    assert.equal(r.apply('log.attributes', 'a@b.co', 'other'), 'a@b.co');
    assert.equal(r.apply('log.attributes', 'sess', 'other'), '[REDACTED]');
  });

  it('costs nothing without rules: compileRedaction gives null', () => {
    assert.equal(compileRedaction({ rules: [], maxValueLength: 64 * 1024 }), null);
  });

  it('scans a hostile 64 KiB value (the worst input for a typical e-mail rule) in bounded time', () => {
    const r = rules([{}]);
    for (const c of ['a', '0', '_']) {
      const value = c.repeat(64 * 1024 - 1);
      const t = performance.now();
      assert.equal(r.apply('log.body', value), value);
      const ms = performance.now() - t;
      console.log(`e-mail rule on 64 KiB of '${c}': ${ms.toFixed(1)} ms (a whole-value scan is quadratic: seconds)`);
      assert.ok(ms < 2000, `took ${ms} ms`);
    }
    assert.ok(OVERLAP < WINDOW);
  });
});
