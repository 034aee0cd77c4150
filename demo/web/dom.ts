// One helper to build elements: text always goes in as text (never as HTML), so names
// typed by a user cannot inject markup.

type Child = Node | string | null | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== false) el.append(child);
  return el;
}
