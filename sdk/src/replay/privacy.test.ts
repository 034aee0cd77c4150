import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../config.ts';
import { MASKED_INPUT, MEDIA_TAGS, privacyRecordOptions, scrubConfig } from './privacy.ts';

test('defaults: all text masked by rrweb itself, inputs replaced by a fixed string, media and canvas blocked', () => {
  const o = privacyRecordOptions(DEFAULTS.replay);
  assert.equal(o.maskTextSelector, '*');
  // rrweb's own masking (every non-space character to '*') is the SDK's: no call per text node.
  assert.equal(o.maskTextFn, undefined);
  assert.equal(o.maskAllInputs, true);
  assert.equal(o.maskInputFn('4242 4242 4242 4242', {} as HTMLElement), MASKED_INPUT);
  assert.equal(o.maskInputFn('', {} as HTMLElement), '');
  // Media and canvas are blocked by tag on the events (scrub.ts), not by rrweb's selector.
  assert.equal(o.blockSelector, undefined);
  assert.deepEqual([...scrubConfig(DEFAULTS.replay).blockTags!], [...MEDIA_TAGS, 'canvas']);
});

test('blocking relaxed: media and canvas can be recorded; iframes and an app selector go to rrweb', () => {
  assert.deepEqual([...scrubConfig({ ...DEFAULTS.replay, blockMedia: false }).blockTags!], ['canvas']);
  assert.equal(scrubConfig({ ...DEFAULTS.replay, blockMedia: false, recordCanvas: true }).blockTags, undefined);
  assert.equal(privacyRecordOptions({ ...DEFAULTS.replay, recordIframes: false, blockSelector: '.secret' }).blockSelector, 'iframe,.secret');
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
