import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../config.ts';
import { MASKED_INPUT, MEDIA_SELECTOR, privacyRecordOptions } from './privacy.ts';

test('defaults: all text masked by rrweb itself, inputs replaced by a fixed string, media and canvas blocked', () => {
  const o = privacyRecordOptions(DEFAULTS.replay);
  assert.equal(o.maskTextSelector, '*');
  // rrweb's own masking (every non-space character to '*') is the SDK's: no call per text node.
  assert.equal(o.maskTextFn, undefined);
  assert.equal(o.maskAllInputs, true);
  assert.equal(o.maskInputFn('4242 4242 4242 4242', {} as HTMLElement), MASKED_INPUT);
  assert.equal(o.maskInputFn('', {} as HTMLElement), '');
  assert.equal(o.blockSelector, `${MEDIA_SELECTOR},canvas`);
});

test('an unmask selector brings the mask function back; text outside it stays masked the same way', () => {
  const o = privacyRecordOptions({ ...DEFAULTS.replay, unmaskSelector: '.public' });
  assert.ok(o.maskTextFn);
  assert.equal(o.maskTextFn('Jane  Doe\n42', null), '****  ***\n**');
  const inside = { closest: (s: string) => (s === '.public' ? {} : null) } as unknown as HTMLElement;
  assert.equal(o.maskTextFn('Order #42', inside), 'Order #42');
  const password = { type: 'password', closest: () => ({}) } as unknown as HTMLElement;
  assert.equal(o.maskInputFn('hunter2', password), MASKED_INPUT, 'passwords stay masked inside the unmask selector');
  assert.equal(privacyRecordOptions({ ...DEFAULTS.replay, maskAllText: false }).maskTextSelector, undefined);
});
