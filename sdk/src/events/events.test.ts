import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exceptionFields, formatConsoleArgs } from './format.ts';
import { RageClickDetector } from './rage.ts';
import { selectorPath } from './selector.ts';
import type { SelectorElement } from './selector.ts';
import { pageUrl } from './url.ts';

interface FakeEl extends SelectorElement {
  parentElement: FakeEl | null;
  previousElementSibling: FakeEl | null;
  nextElementSibling: FakeEl | null;
}

function el(tagName: string, props: { id?: string; classes?: string[] } = {}, parent: FakeEl | null = null): FakeEl {
  const e: FakeEl = { tagName: tagName.toUpperCase(), id: props.id ?? '', classList: props.classes ?? [], parentElement: parent, previousElementSibling: null, nextElementSibling: null };
  return e;
}

function siblings(...els: FakeEl[]): void {
  for (let i = 0; i < els.length; i++) {
    els[i]!.previousElementSibling = els[i - 1] ?? null;
    els[i]!.nextElementSibling = els[i + 1] ?? null;
  }
}

test('selectorPath: stops at an id, keeps two stable classes, numbers same-tag siblings, drops generated class names', () => {
  const html = el('html');
  const body = el('body', {}, html);
  const main = el('main', { id: 'app' }, body);
  const list = el('ul', { classes: ['items', 'css-1x2y3z', 'big', 'extra'] }, main);
  const li1 = el('li', {}, list);
  const li2 = el('li', {}, list);
  const li3 = el('li', {}, list);
  siblings(li1, li2, li3);
  const button = el('button', { classes: ['buy', 'sc-AxjAm'] }, li2);
  assert.equal(selectorPath(button), 'main#app > ul.items.big > li:nth-of-type(2) > button.buy');
  const only = el('span', {}, body);
  assert.equal(selectorPath(only), 'body > span');
  // An id with characters that need escaping stays a valid selector.
  const odd = el('div', { id: 'a:b' }, body);
  assert.equal(selectorPath(odd), 'div#a\\:b');
});

test('selectorPath: deep trees are cut at five levels', () => {
  let parent = el('body', {}, el('html'));
  for (let i = 0; i < 20; i++) parent = el('div', {}, parent);
  assert.equal(selectorPath(parent).split(' > ').length, 5);
});

test('RageClickDetector: three quick clicks on one spot are a rage click, reported once with the final count', () => {
  const d = new RageClickDetector<string>();
  assert.equal(d.add(10, 10, 0, 'a'), null);
  assert.equal(d.add(15, 12, 300, 'a'), null);
  assert.equal(d.add(12, 20, 600, 'a'), null);
  assert.equal(d.add(12, 20, 900, 'a'), null);
  assert.equal(d.flush(1500), null, 'burst still open within the window');
  const burst = d.flush(2000);
  assert.equal(burst?.count, 4);
  assert.equal(d.flush(), null, 'reported once');
});

test('RageClickDetector: far apart or slow clicks are not rage clicks; a new spot ends the old burst', () => {
  const d = new RageClickDetector<string>();
  d.add(0, 0, 0, 'a');
  d.add(100, 100, 100, 'b');
  d.add(0, 0, 200, 'a');
  assert.equal(d.flush(), null);
  const slow = new RageClickDetector<string>();
  slow.add(0, 0, 0, 'a');
  slow.add(0, 0, 1500, 'a');
  slow.add(0, 0, 3000, 'a');
  assert.equal(slow.flush(), null);
  const r = new RageClickDetector<string>();
  r.add(0, 0, 0, 'a');
  r.add(0, 0, 100, 'a');
  r.add(0, 0, 200, 'a');
  assert.equal(r.add(500, 500, 300, 'b')?.count, 3);
});

test('pageUrl: credentials always go; query (and hash queries, OAuth fragments) go when scrubbing; hash routes stay', () => {
  assert.equal(pageUrl('https://u:p@shop.example/cart?email=a@b.c#top', true), 'https://shop.example/cart#top');
  assert.equal(pageUrl('https://shop.example/#/orders/7?token=abc', true), 'https://shop.example/#/orders/7');
  assert.equal(pageUrl('https://shop.example/cb#access_token=xyz&state=1', true), 'https://shop.example/cb');
  assert.equal(pageUrl('https://shop.example/search?q=shoes', false), 'https://shop.example/search?q=shoes');
  assert.equal(pageUrl('not a url?secret=1', true), 'not a url');
});

test('formatConsoleArgs: joins, survives cycles and throwing getters, bounded', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(formatConsoleArgs(['count', 3, cyclic]), 'count 3 {"a":1,"self":"[Circular]"}');
  const hostile = { get x() { throw new Error('nope'); } };
  assert.equal(typeof formatConsoleArgs([hostile]), 'string');
  assert.ok(formatConsoleArgs(['x'.repeat(10_000)]).length <= 4097);
  assert.equal(formatConsoleArgs([new TypeError('bad')]), 'TypeError: bad');
});

test('exceptionFields: errors, strings, null and objects', () => {
  const e = exceptionFields(new RangeError('out of range'));
  assert.equal(e.type, 'RangeError');
  assert.equal(e.message, 'out of range');
  assert.match(e.stacktrace ?? '', /RangeError: out of range/);
  assert.deepEqual(exceptionFields('just a string'), { type: 'string', message: 'just a string', stacktrace: null });
  assert.deepEqual(exceptionFields(undefined, 'Unhandled promise rejection'), { type: 'Error', message: 'Unhandled promise rejection', stacktrace: null });
  assert.equal(exceptionFields({ code: 7 }).message, '{"code":7}');
});
