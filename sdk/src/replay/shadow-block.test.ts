import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RrwebEvent } from '@otel-replay/protocol';
import { dropBlockedShadow, inBlockedShadow } from './shadow-block.ts';

// Just enough of the DOM: elements that match by id and know their root, shadow roots with a host.
interface FakeNode { nodeType: number; id?: string; host?: unknown; root?: FakeNode; getRootNode(): FakeNode; closest?(selector: string): FakeNode | null }
const doc: FakeNode = { nodeType: 9, getRootNode: () => doc };
function element(id: string, root: FakeNode): FakeNode {
  const el: FakeNode = {
    nodeType: 1, id, getRootNode: () => root,
    closest(s) {
      if (!s.startsWith('#')) throw new SyntaxError(`'${s}' is not a valid selector`);
      return s === `#${id}` ? el : null;
    },
  };
  return el;
}
function shadowOf(host: FakeNode): FakeNode {
  const root: FakeNode = { nodeType: 11, host, getRootNode: () => root };
  return root;
}
const blockedHost = element('blocked', doc);
const inBlocked = element('inner', shadowOf(blockedHost));
const nestedHost = element('nested', shadowOf(blockedHost));
const deep = element('deep', shadowOf(nestedHost));
const openHost = element('open', doc);
const inOpen = element('fine', shadowOf(openHost));
const link = { nodeType: 1, host: 'example.com', getRootNode: () => link } as FakeNode; // a detached <a>
const fragment = { nodeType: 11, getRootNode: () => fragment } as FakeNode;
const nodes = new Map<number, FakeNode>([[1, blockedHost], [2, inBlocked], [3, deep], [4, openHost], [5, inOpen], [6, link], [7, fragment]]);
const nodeOf = (id: number) => nodes.get(id) as unknown as Node | undefined;

test('inBlockedShadow: inside a blocked host\'s shadow root at any depth; the host itself, open hosts and look-alikes are not', () => {
  assert.equal(inBlockedShadow(nodeOf(2), '#blocked'), true);
  assert.equal(inBlockedShadow(nodeOf(3), '#blocked'), true, 'a shadow root inside the blocked shadow root');
  assert.equal(inBlockedShadow(nodeOf(1), '#blocked'), false, 'rrweb blocks the host itself');
  assert.equal(inBlockedShadow(nodeOf(5), '#blocked'), false);
  assert.equal(inBlockedShadow(nodeOf(6), '#blocked'), false, 'an <a> element\'s host is a string, not a shadow host');
  assert.equal(inBlockedShadow(nodeOf(7), '#blocked'), false, 'a plain document fragment');
  assert.equal(inBlockedShadow(undefined, '#blocked'), false);
  assert.equal(inBlockedShadow(nodeOf(2), '[[invalid'), false, 'an invalid selector blocks nothing');
});

const mutation = (data: Record<string, unknown>): RrwebEvent => ({ type: 3, timestamp: 1, data: { source: 0, adds: [], removes: [], texts: [], attributes: [], ...data } });

test('dropBlockedShadow: mutations lose what happens in blocked shadow roots; events aimed there or at no node are dropped', () => {
  const event = mutation({
    adds: [{ parentId: 1, nextId: null, node: { id: 2 } }, { parentId: 4, nextId: null, node: { id: 5 } }],
    texts: [{ id: 3, value: '***' }, { id: 5, value: '**' }],
    attributes: [{ id: 2, attributes: { class: 'x' } }],
    removes: [{ parentId: 4, id: 9 }],
  });
  const kept = dropBlockedShadow(event, '#blocked', nodeOf)!;
  assert.deepEqual((kept.data as { adds: { node: { id: number } }[] }).adds.map((a) => a.node.id), [5]);
  assert.deepEqual((kept.data as { texts: { id: number }[] }).texts.map((t) => t.id), [5]);
  assert.deepEqual((kept.data as { attributes: unknown[] }).attributes, []);
  assert.equal((kept.data as { removes: unknown[] }).removes.length, 1);
  assert.equal(dropBlockedShadow(mutation({ texts: [{ id: 2, value: '*' }] }), '#blocked', nodeOf), null, 'nothing left: no empty mutation');
  assert.equal(dropBlockedShadow(mutation({ removes: [{ parentId: 1, id: 2 }] }), '#blocked', nodeOf)?.type, 3, 'removes stay');
  const input = (id: number): RrwebEvent => ({ type: 3, timestamp: 1, data: { source: 5, id, text: '******' } });
  assert.equal(dropBlockedShadow(input(2), '#blocked', nodeOf), null);
  assert.equal(dropBlockedShadow(input(-1), '#blocked', nodeOf), null, 'rrweb\'s id -1: a node the recording does not have');
  assert.equal(dropBlockedShadow(input(5), '#blocked', nodeOf)?.type, 3);
  const moves: RrwebEvent = { type: 3, timestamp: 1, data: { source: 1, positions: [{ x: 1, y: 2, id: 2, timeOffset: 0 }] } };
  assert.equal(dropBlockedShadow(moves, '#blocked', nodeOf), moves, 'events without one target pass');
  const custom: RrwebEvent = { type: 5, timestamp: 1, data: { tag: 't', payload: {} } };
  assert.equal(dropBlockedShadow(custom, '#blocked', nodeOf), custom);
});
