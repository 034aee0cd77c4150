// The shopping list as the page knows it, shared by the Items page and the item count in
// the navigation: every change (add, remove, reload) is pushed to all subscribers at once.

import { api } from './api.ts';

export interface Item {
  id: number;
  name: string;
}

type Listener = (items: readonly Item[]) => void;

let items: Item[] = [];
const listeners = new Set<Listener>();

function publish(): void {
  for (const listener of listeners) listener(items);
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  listener(items);
  return () => listeners.delete(listener);
}

export async function reload(): Promise<void> {
  items = (await api<{ items: Item[] }>('GET', '/items')).items;
  publish();
}

export async function add(name: string): Promise<void> {
  const item = await api<Item>('POST', '/items', { name });
  items = [...items, item];
  publish();
}

export async function remove(id: number): Promise<void> {
  await api<void>('DELETE', `/items/${id}`);
  items = items.filter((item) => item.id !== id);
  publish();
}
