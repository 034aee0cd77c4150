import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RrwebEvent } from '@otel-replay/protocol';
import { maskText, scrubEvent, scrubUrl } from './scrub.ts';
import type { ScrubConfig } from './scrub.ts';

const config: ScrubConfig = { attributes: new Set(['title', 'placeholder', 'aria-label', 'alt']), urlQuery: true };

test('scrubUrl drops credentials, query and fragment and leaves data URLs alone', () => {
  assert.equal(scrubUrl('https://user:secret@shop.example/cart?token=abc#frag'), 'https://shop.example/cart');
  assert.equal(scrubUrl('/search?q=private'), '/search');
  assert.equal(scrubUrl('#access_token=xyz'), '');
  assert.equal(scrubUrl('https://a.example/path'), 'https://a.example/path');
  assert.equal(scrubUrl('data:image/png;base64,AAAA'), 'data:image/png;base64,AAAA');
});

test('full snapshots: sensitive attributes masked and URLs scrubbed at any depth', () => {
  const innermost = { type: 2, id: 10_000, tagName: 'a', attributes: { href: 'https://x.example/p?email=a@b.c', title: 'Jane Doe' } as Record<string, unknown>, childNodes: [] };
  let deep: { type: number; id: number; tagName: string; attributes: Record<string, unknown>; childNodes: unknown[] } = { type: 2, id: 10_000, tagName: 'a', attributes: { href: 'https://x.example/p?email=a@b.c', title: 'Jane Doe' }, childNodes: [] };
  deep = innermost;
  // deeper than a recursive walk could go (JSON.stringify itself would overflow here)
  for (let i = 0; i < 50_000; i++) deep = { type: 2, id: i, tagName: 'div', attributes: {}, childNodes: [deep] };
  const event: RrwebEvent = {
    type: 2,
    timestamp: 1,
    data: {
      node: {
        type: 0, id: 1, childNodes: [
          { type: 2, id: 2, tagName: 'input', attributes: { placeholder: 'Your email', 'aria-label': 'Email', class: 'field' }, childNodes: [] },
          { type: 2, id: 3, tagName: 'img', attributes: { alt: 'Photo of Jane', srcset: 'a.png?sig=1 1x, b.png?sig=2 2x', src: 'x.png?u=1' }, childNodes: [] },
          deep,
        ],
      },
    },
  };
  scrubEvent(event, config);
  assert.deepEqual(innermost.attributes, { href: 'https://x.example/p', title: '**** ***' });
  (event.data as { node: { childNodes: unknown[] } }).node.childNodes.pop();
  const json = JSON.stringify(event);
  for (const secret of ['Your email', 'Email', 'Photo of Jane', 'sig=', 'u=1']) assert.equal(json.includes(secret), false, secret);
  assert.ok(json.includes('"placeholder":"**** *****"'));
  assert.ok(json.includes('"class":"field"'), 'other attributes are kept');
  assert.ok(json.includes('"srcset":"a.png 1x, b.png 2x"'));
});

test('mutations (added nodes and attribute changes) and the Meta href are scrubbed', () => {
  const add: RrwebEvent = { type: 3, timestamp: 1, data: { source: 0, texts: [], removes: [], adds: [{ parentId: 1, nextId: null, node: { type: 2, id: 5, tagName: 'span', attributes: { title: 'secret title' }, childNodes: [] } }], attributes: [{ id: 6, attributes: { 'aria-label': 'secret label', href: '/x?y=1', style: { color: 'red' }, title: null } }] } };
  const json = JSON.stringify(scrubEvent(add, config));
  assert.equal(json.includes('secret'), false);
  assert.equal(json.includes('y=1'), false);
  assert.ok(json.includes('"title":null'), 'removed attributes stay removed');
  assert.ok(json.includes('"color":"red"'));
  const meta: RrwebEvent = { type: 4, timestamp: 1, data: { href: 'https://shop.example/cart?coupon=ME', width: 1, height: 1 } };
  assert.equal((scrubEvent(meta, config)!.data as { href: string }).href, 'https://shop.example/cart');
});

test('relaxing: unmasked nodes keep their attributes; urlQuery false keeps query strings; an empty list scrubs nothing', () => {
  const relaxed: ScrubConfig = { attributes: new Set(['title']), urlQuery: false, isUnmasked: (id) => id === 2 };
  const event: RrwebEvent = { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [
    { type: 2, id: 2, tagName: 'p', attributes: { title: 'public' }, childNodes: [] },
    { type: 2, id: 3, tagName: 'a', attributes: { title: 'private', href: '/p?q=1' }, childNodes: [] },
  ] } } };
  const json = JSON.stringify(scrubEvent(event, relaxed));
  assert.ok(json.includes('"title":"public"'));
  assert.equal(json.includes('private'), false);
  assert.ok(json.includes('/p?q=1'));
  assert.equal(maskText('a b\tc'), '* *\t*');
});

test('hostile shapes do not throw', () => {
  for (const e of [{ type: 2, timestamp: 1 }, { type: 2, timestamp: 1, data: { node: null } }, { type: 3, timestamp: 1, data: { source: 0, adds: [{}], attributes: [{ id: 1 }] } }, { type: 4, timestamp: 1, data: { href: 5 } }] as RrwebEvent[]) {
    assert.doesNotThrow(() => scrubEvent(e, config));
  }
});

test('every added node of a mutation batch is scrubbed, in trees and alone, and null entries are skipped', () => {
  const adds = [
    { parentId: 1, nextId: null, node: { type: 2, id: 5, tagName: 'a', attributes: { href: '/a?x=secret-1', title: 'secret-2' }, childNodes: [] } },
    null,
    { parentId: 5, nextId: null, node: { type: 3, id: 6, textContent: '****' } },
    { parentId: 1, nextId: null, node: { type: 2, id: 7, tagName: 'div', attributes: {}, childNodes: [{ type: 2, id: 8, tagName: 'img', attributes: { alt: 'secret-3', src: 'p.png?secret-4' }, childNodes: [] }] } },
  ];
  const event: RrwebEvent = { type: 3, timestamp: 1, data: { source: 0, texts: [], removes: [], adds, attributes: [null, { id: 8, attributes: { 'ARIA-LABEL': 'secret-5' } }] } };
  const json = JSON.stringify(scrubEvent(event, config));
  for (let i = 1; i <= 5; i++) assert.equal(json.includes(`secret-${i}`), false, `secret-${i}`);
  assert.ok(json.includes('"href":"/a"') && json.includes('"src":"p.png"') && json.includes('"ARIA-LABEL":"********"'));
});

test('media blocking: a blocked element keeps its class and a placeholder size, nothing inside it or aimed at it afterwards leaves', () => {
  const blocking: ScrubConfig = { attributes: new Set(), urlQuery: true, blockTags: new Set(['img', 'video']), blocked: new Set(), sizeOf: (id) => (id === 3 ? { width: 40, height: 30 } : null) };
  const snapshot: RrwebEvent = { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [
    { type: 2, id: 2, tagName: 'div', attributes: {}, childNodes: [
      { type: 2, id: 3, tagName: 'img', attributes: { class: 'avatar', src: 'https://cdn.example/jane.png', alt: 'Jane' }, childNodes: [] },
      { type: 2, id: 4, tagName: 'video', attributes: { poster: 'https://cdn.example/p.png' }, childNodes: [{ type: 2, id: 5, tagName: 'track', attributes: { src: 'captions-jane.vtt' }, childNodes: [] }] },
    ] },
  ] } } };
  const json = JSON.stringify(scrubEvent(snapshot, blocking));
  for (const secret of ['jane', 'Jane', 'p.png', 'track']) assert.equal(json.includes(secret), false, secret);
  assert.ok(json.includes('{"type":2,"id":3,"tagName":"img","attributes":{"class":"avatar","rr_width":"40px","rr_height":"30px"},"childNodes":[]}'), json);
  assert.ok(json.includes('"id":4,"tagName":"video","attributes":{},"childNodes":[]'), 'no size known: no placeholder size');
  assert.deepEqual([...blocking.blocked!].sort(), [3, 4, 5]);
  // Later: a node added inside the video, its text, attribute changes of the img, and an
  // added img are all held back; changes elsewhere pass.
  const mutation: RrwebEvent = { type: 3, timestamp: 2, data: { source: 0,
    adds: [{ parentId: 4, nextId: null, node: { type: 2, id: 6, tagName: 'source', attributes: { src: 'jane.mp4' }, childNodes: [{ type: 3, id: 7, textContent: 'Jane' }] } },
      { parentId: 2, nextId: null, node: { type: 2, id: 8, tagName: 'img', attributes: { src: 'jane2.png' }, childNodes: [] } },
      { parentId: 2, nextId: null, node: { type: 3, id: 9, textContent: '***' } }],
    removes: [{ parentId: 4, id: 5 }, { parentId: 1, id: 2 }],
    texts: [{ id: 7, value: 'Jane' }],
    attributes: [{ id: 3, attributes: { src: 'jane3.png' } }, { id: 2, attributes: { class: 'x' } }] } };
  const out = scrubEvent(mutation, blocking)!;
  const text = JSON.stringify(out);
  assert.equal(/jane|Jane/.test(text), false, text);
  const data = out.data as { adds: { node: { id: number } }[]; removes: { id: number }[]; texts: unknown[]; attributes: { id: number }[] };
  assert.deepEqual(data.adds.map((a) => a.node.id), [8, 9]);
  assert.deepEqual(data.removes.map((r) => r.id), [2]);
  assert.deepEqual(data.texts, []);
  assert.deepEqual(data.attributes.map((a) => a.id), [2]);
  assert.ok(blocking.blocked!.has(6) && blocking.blocked!.has(7) && blocking.blocked!.has(8), 'nodes added inside, and the new img, are blocked too');
  // Other events aimed at a blocked node (media play, input, scroll) are dropped whole.
  assert.equal(scrubEvent({ type: 3, timestamp: 3, data: { source: 7, id: 4, type: 0 } }, blocking), null);
  const scroll: RrwebEvent = { type: 3, timestamp: 3, data: { source: 3, id: 2, x: 0, y: 9 } };
  assert.equal(scrubEvent(scroll, blocking), scroll);
  // A new full snapshot starts the blocked set afresh.
  scrubEvent({ type: 2, timestamp: 4, data: { node: { type: 0, id: 1, childNodes: [] } } }, blocking);
  assert.equal(blocking.blocked!.size, 0);
});
