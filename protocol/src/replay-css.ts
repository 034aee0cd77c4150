// Makes recorded CSS unable to fetch anything: every url(...) and every string used as a
// URL (@import "…", image-set("…"), image("…"), src("…")) is checked against the URL
// policy and replaced when refused. The text is tokenized the way the CSS Syntax standard
// tokenizes it (escapes in names, strings, comments, url tokens), so `\75 rl(…)`, `URL(…)`,
// or a URL hidden behind escapes is seen exactly as the browser sees it. Where the
// tokenizer is unsure it errs towards rewriting: rewriting a harmless token only changes
// how the replay looks, missing a real one would let the replay reach out.

import { inertUrl, safeUrl } from './replay-urls.ts';

/** Functions whose string arguments are URLs. */
const URL_FUNCTIONS = new Set(['url', 'src', 'image', 'image-set', '-webkit-image-set', 'cross-fade', '-webkit-cross-fade']);

const isHex = (c: string | undefined) => {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  return (k >= 48 && k <= 57) || (k >= 65 && k <= 70) || (k >= 97 && k <= 102);
};
const isNameStartCode = (k: number) => (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95 || k >= 0x80;
const isNameCode = (k: number) => isNameStartCode(k) || (k >= 48 && k <= 57) || k === 45;
const isNameStart = (c: string | undefined) => c !== undefined && isNameStartCode(c.charCodeAt(0));
const isWs = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n';
const isNonPrintable = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0x08 || code === 0x0b || (code >= 0x0e && code <= 0x1f) || code === 0x7f;
};

/** CSS input preprocessing: newlines normalised, NUL replaced (positions below refer to this text). */
function preprocess(css: string): string {
  return css.replace(/\r\n?|\f/g, '\n').replace(/\u0000/g, '\uFFFD');
}

class Tokenizer {
  i = 0;
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  validEscape(at = this.i): boolean {
    return this.s[at] === '\\' && this.s[at + 1] !== '\n' && at + 1 < this.s.length;
  }

  startsIdent(at = this.i): boolean {
    const c = this.s[at];
    if (c === '-') return isNameStart(this.s[at + 1]) || this.s[at + 1] === '-' || this.validEscape(at + 1);
    if (isNameStart(c)) return true;
    return this.validEscape(at);
  }

  /** Consumes an escape (the backslash already consumed); returns the character. */
  escape(): string {
    const s = this.s;
    if (this.i >= s.length) return '\uFFFD';
    if (isHex(s[this.i])) {
      let hex = '';
      while (hex.length < 6 && isHex(s[this.i])) hex += s[this.i++];
      if (isWs(s[this.i])) this.i++;
      const cp = parseInt(hex, 16);
      return cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ? '\uFFFD' : String.fromCodePoint(cp);
    }
    const cp = s.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return String.fromCodePoint(cp);
  }

  name(): string {
    const s = this.s;
    // Fast path: a name without escapes is a slice of the input.
    const start = this.i;
    while (this.i < s.length && isNameCode(s.charCodeAt(this.i))) this.i++;
    if (!this.validEscape()) return s.slice(start, this.i);
    let out = s.slice(start, this.i);
    while (this.i < s.length) {
      const k = s.charCodeAt(this.i);
      if (isNameCode(k)) {
        out += s[this.i];
        this.i++;
      } else if (this.validEscape()) {
        this.i++;
        out += this.escape();
      } else {
        break;
      }
    }
    return out;
  }

  /** A string token's value; the opening quote already consumed. `bad` when cut by a newline. */
  string(quote: string): { value: string; bad: boolean } {
    let value = '';
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === quote) {
        this.i++;
        return { value, bad: false };
      }
      if (c === '\n') return { value, bad: true };
      if (c === '\\') {
        if (this.i + 1 >= s.length) {
          this.i++;
        } else if (s[this.i + 1] === '\n') {
          this.i += 2;
        } else {
          this.i++;
          value += this.escape();
        }
        continue;
      }
      value += c;
      this.i++;
    }
    return { value, bad: false };
  }

  /** An unquoted url token's value; `url(` and the whitespace after it already consumed. */
  url(): { value: string; bad: boolean } {
    let value = '';
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ')') {
        this.i++;
        return { value, bad: false };
      }
      if (isWs(c)) {
        while (isWs(s[this.i])) this.i++;
        if (this.i >= s.length) return { value, bad: false };
        if (s[this.i] === ')') {
          this.i++;
          return { value, bad: false };
        }
        this.badUrlRemnants();
        return { value, bad: true };
      }
      if (c === '"' || c === "'" || c === '(' || isNonPrintable(c)) {
        this.badUrlRemnants();
        return { value, bad: true };
      }
      if (c === '\\') {
        if (this.validEscape()) {
          this.i++;
          value += this.escape();
          continue;
        }
        this.badUrlRemnants();
        return { value, bad: true };
      }
      value += c;
      this.i++;
    }
    return { value, bad: false };
  }

  badUrlRemnants(): void {
    const s = this.s;
    while (this.i < s.length) {
      if (s[this.i] === ')') {
        this.i++;
        return;
      }
      if (this.validEscape()) {
        this.i++;
        this.escape();
      } else {
        this.i++;
      }
    }
  }
}

/** CSS text (a stylesheet, a rule or a declaration list) with every URL it could fetch made safe. */
export function safeCss(css: string, allowed: ReadonlySet<string>): string {
  // Fast path: without a url token, a string, an at-rule or an escape nothing can fetch.
  if (!/url|["'@\\(]/i.test(css)) return css;
  const t = new Tokenizer(preprocess(css));
  const s = t.s;
  let out = '';
  let copiedTo = 0;
  const replace = (from: number, text: string) => {
    out += s.slice(copiedTo, from) + text;
    copiedTo = t.i;
  };
  /** Open blocks: a function name (lower-case) or '' for a plain parenthesis. */
  const stack: string[] = [];
  /** The last significant token was @import: its string is a URL. */
  let afterImport = false;
  while (t.i < s.length) {
    const start = t.i;
    const k = s.charCodeAt(t.i);
    // Digits, '#', '.', ',', ':', '%' and the like start nothing that can fetch.
    if ((k >= 48 && k <= 57) || k === 35 || k === 46 || k === 44 || k === 58 || k === 37 || k === 62 || k === 43 || k === 42 || k === 61 || k === 91 || k === 93 || k === 33 || k === 126 || k === 94 || k === 36 || k === 124) {
      t.i++;
      continue;
    }
    const c = s[t.i]!;
    if (c === '/' && s[t.i + 1] === '*') {
      const end = s.indexOf('*/', t.i + 2);
      t.i = end < 0 ? s.length : end + 2;
      continue;
    }
    if (isWs(c)) {
      t.i++;
      continue;
    }
    if (c === '"' || c === "'") {
      t.i++;
      const str = t.string(c);
      const inUrlFunction = stack.length > 0 && URL_FUNCTIONS.has(stack[stack.length - 1]!);
      if (inUrlFunction || afterImport) {
        const safe = str.bad ? inertUrl('css') : safeUrl(str.value, 'css', allowed);
        if (str.bad || safe !== str.value) replace(start, JSON.stringify(safe));
      }
      afterImport = false;
      continue;
    }
    if (c === '@' && t.startsIdent(t.i + 1)) {
      t.i++;
      afterImport = t.name().toLowerCase() === 'import';
      continue;
    }
    if (t.startsIdent()) {
      const name = t.name().toLowerCase();
      if (s[t.i] === '(') {
        t.i++;
        if (name === 'url') {
          while (isWs(s[t.i]) && isWs(s[t.i + 1])) t.i++;
          const next = isWs(s[t.i]) ? s[t.i + 1] : s[t.i];
          if (next === '"' || next === "'") {
            // url("…") is a function token followed by a string: handled as a string in a URL function.
            stack.push('url');
          } else {
            while (isWs(s[t.i])) t.i++;
            const url = t.url();
            const safe = url.bad ? inertUrl('css') : safeUrl(url.value, 'css', allowed);
            if (url.bad || safe !== url.value) replace(start, `url(${JSON.stringify(safe)})`);
          }
        } else {
          stack.push(name);
        }
      }
      afterImport = false;
      continue;
    }
    if (c === '\\') {
      // A backslash that starts no identifier (an escaped newline): a delimiter.
      t.i++;
      continue;
    }
    if (c === '(') stack.push('');
    else if (c === ')') stack.pop();
    else if (c === ';' || c === '{' || c === '}') {
      stack.length = 0;
      afterImport = false;
    }
    t.i++;
  }
  if (copiedTo === 0) return css;
  return out + s.slice(copiedTo);
}
