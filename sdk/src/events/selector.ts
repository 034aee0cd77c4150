// A CSS selector path for a clicked element, like `main > div.cart > button#checkout`:
// stable enough to group clicks on "the same button" across sessions, short enough for
// an index column. Pure over a minimal element shape, so it is unit-tested in Node.

export interface SelectorElement {
  readonly tagName: string;
  readonly id: string;
  readonly classList: { readonly length: number; [index: number]: string } | ArrayLike<string>;
  readonly parentElement: SelectorElement | null;
  readonly previousElementSibling: SelectorElement | null;
  readonly nextElementSibling?: SelectorElement | null;
}

const MAX_DEPTH = 5;
const MAX_CLASSES = 2;
const MAX_LENGTH = 256;
/** Generated class names (CSS modules, styled-components, emotion) change every build. */
const GENERATED_CLASS = /(^|[-_])([a-z0-9]{5,}[0-9][a-z0-9]*|css-[a-z0-9]+|sc-[a-z0-9]+)$/i;

function escapeIdent(ident: string): string {
  const css = (globalThis as { CSS?: { escape?: (s: string) => string } }).CSS;
  if (css?.escape) return css.escape(ident);
  return ident.replace(/^(-?\d)/, '\\3$1 ').replace(/[^A-Za-z0-9_-]/g, (c) => `\\${c}`);
}

function nthOfType(el: SelectorElement): number | null {
  let index = 1;
  let same = false;
  for (let s = el.previousElementSibling; s; s = s.previousElementSibling) {
    if (s.tagName === el.tagName) {
      index++;
      same = true;
    }
  }
  if (!same) for (let s = el.nextElementSibling ?? null; s; s = s.nextElementSibling ?? null) if (s.tagName === el.tagName) return 1;
  return same ? index : null;
}

function part(el: SelectorElement): { text: string; unique: boolean } {
  const tag = el.tagName.toLowerCase();
  if (el.id && !GENERATED_CLASS.test(el.id)) return { text: `${tag}#${escapeIdent(el.id)}`, unique: true };
  let text = tag;
  let classes = 0;
  for (let i = 0; i < el.classList.length && classes < MAX_CLASSES; i++) {
    const c = el.classList[i];
    if (!c || GENERATED_CLASS.test(c)) continue;
    text += `.${escapeIdent(c)}`;
    classes++;
  }
  const nth = nthOfType(el);
  if (nth !== null) text += `:nth-of-type(${nth})`;
  return { text, unique: false };
}

export function selectorPath(element: SelectorElement): string {
  const parts: string[] = [];
  for (let el: SelectorElement | null = element; el && parts.length < MAX_DEPTH; el = el.parentElement) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'html') break;
    if (tag === 'body') {
      parts.unshift('body');
      break;
    }
    const p = part(el);
    parts.unshift(p.text);
    if (p.unique) break;
  }
  const path = parts.join(' > ');
  return path.length > MAX_LENGTH ? path.slice(path.length - MAX_LENGTH).replace(/^[^>]*> /, '') : path;
}
