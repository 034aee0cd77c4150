// Redaction rules: regular expressions the receiver applies to log records, spans and the
// recorded text of replay segments before anything is stored or forwarded. A rule comes from
// configuration written by people, and runs on input written by strangers, so it is checked
// at start for patterns that can take super-linear time (nested quantifiers, backreferences)
// and timed against adversarial inputs under a hard time limit; a rule that fails either is
// refused with its name. At run time a value is scanned in bounded windows, so no value,
// however long, costs more than (length / window step) × the time one window was measured to
// take; a value longer than maxValueLength is replaced whole (fail closed).

import vm from 'node:vm';

export const REDACTION_TARGETS = ['log.body', 'log.attributes', 'resource.attributes', 'span.name', 'span.attributes', 'segment.text'] as const;
export type RedactionTarget = (typeof REDACTION_TARGETS)[number];

export interface RedactionRuleConfig {
  /** Shown in errors and metrics; unique. */
  name: string;
  /** A JavaScript regular expression (source, without slashes). */
  pattern: string;
  /** Any of i, m, s, u. Matching is always global. */
  flags?: string;
  /** Replacement text; $& and $1…$99 / $<name> refer to the match. Default "[REDACTED]". */
  replacement?: string;
  applyTo: RedactionTarget[];
  /** Only these attribute keys (exact); default every key. Applies to the *.attributes targets. */
  attributes?: string[];
}

export interface RedactionConfig {
  rules: RedactionRuleConfig[];
  /** A value longer than this (UTF-16 code units) is replaced by a marker instead of scanned. */
  maxValueLength: number;
}

export class RedactionRuleError extends Error {
  override readonly name = 'RedactionRuleError';
}

/** Scan window and overlap: a match up to OVERLAP characters long is found wherever it sits. */
export const WINDOW = 1024;
export const OVERLAP = 256;
/** Time one adversarial window may take at start; a rule slower than this is refused. */
export const PROBE_BUDGET_MS = 50;
const MAX_PATTERN_LENGTH = 1000;

/** Keys of the wire contract, never rewritten: a rule must not break sessions or segments. */
export function isProtectedKey(key: string): boolean {
  return key === 'session.id' || key === 'replay.window.id' || key.startsWith('replay.segment.') || key === 'replay.protocol.version' || key.startsWith('rr-web.');
}

interface CompiledRule {
  name: string;
  regex: RegExp;
  replacement: string;
  targets: ReadonlySet<RedactionTarget>;
  attributes: ReadonlySet<string> | null;
}

/**
 * Quantifiers nested inside quantified groups ((a+)+, (a*b?)*, (\w+\s?){2,}) and
 * backreferences are the shapes that make a backtracking engine exponential. Refused
 * outright; whatever slips past this is caught by the timed probe.
 */
function catastrophicShape(pattern: string): string | null {
  if (/\\[1-9]|\\k</.test(pattern)) return 'it uses a backreference';
  /** Per open group: whether it holds a quantifier. */
  const groups: boolean[] = [];
  let lastGroupQuantified = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      lastGroupQuantified = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastGroupQuantified = false;
      continue;
    }
    if (c === '(') {
      groups.push(false);
      lastGroupQuantified = false;
      continue;
    }
    if (c === ')') {
      lastGroupQuantified = groups.pop() ?? false;
      // A group that held a quantifier makes its parent hold one too.
      if (lastGroupQuantified && groups.length) groups[groups.length - 1] = true;
      const next = pattern[i + 1];
      if ((next === '*' || next === '+' || next === '{') && lastGroupQuantified) return 'a quantified group contains another quantifier';
      continue;
    }
    const isQuantifier = c === '*' || c === '+' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (isQuantifier && groups.length) groups[groups.length - 1] = true;
    lastGroupQuantified = false;
  }
  return null;
}

/** Inputs that make backtracking patterns slow: long runs of one kind of character, and of pairs, ending in a mismatch. */
function probes(pattern: string): string[] {
  const literals = [...new Set(pattern.replace(/\\./g, '').replace(/[^\x21-\x7e]/g, ''))].slice(0, 24);
  const samples = [...new Set(['a', 'A', '0', ' ', '.', '@', '-', '_', '/', ':', '=', '\u00e9', ...literals])];
  const out: string[] = [];
  for (const a of samples) {
    out.push(a.repeat(WINDOW - 1) + '\u0000');
    for (const b of ['a', '0', ' ', '@', '.']) if (b !== a) out.push((a + b).repeat(WINDOW / 2 - 1) + '\u0000');
  }
  return out;
}

/** Hard stop for all probes of one rule, so a catastrophic pattern cannot hang the start. */
const PROBE_HARD_LIMIT_MS = 2000;

function probe(rule: CompiledRule): void {
  const slow = () => new RedactionRuleError(`redaction rule ${JSON.stringify(rule.name)}: its pattern takes more than ${PROBE_BUDGET_MS} ms on a ${WINDOW}-character input (catastrophic backtracking); simplify it, e.g. avoid nested or overlapping quantifiers`);
  const context = vm.createContext({ regex: rule.regex, inputs: probes(rule.regex.source), replacement: rule.replacement, now: () => performance.now(), budget: PROBE_BUDGET_MS });
  let worst: number;
  try {
    // Timed inside the context (the budget is per window, as windows are what runs at run
    // time); the vm timeout only stops a pattern that would never finish.
    worst = vm.runInContext(
      `let worst = 0;
       for (const input of inputs) {
         let t = now();
         input.replace(regex, replacement);
         let took = now() - t;
         // The first runs of a regex are interpreted before V8 compiles it: time a slow one again.
         if (took > budget) {
           t = now();
           input.replace(regex, replacement);
           took = now() - t;
         }
         worst = Math.max(worst, took);
         if (worst > budget) break;
       }
       worst`,
      context,
      { timeout: PROBE_HARD_LIMIT_MS },
    ) as number;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw slow();
    throw err;
  }
  rule.regex.lastIndex = 0;
  if (worst > PROBE_BUDGET_MS) throw slow();
}

function compileRule(r: RedactionRuleConfig, index: number, seen: Set<string>): CompiledRule {
  const where = `redaction.rules[${index}]`;
  if (typeof r !== 'object' || r === null) throw new RedactionRuleError(`${where} must be a mapping with name, pattern and applyTo`);
  if (typeof r.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(r.name)) throw new RedactionRuleError(`${where}.name must be 1-64 characters of [A-Za-z0-9._-], got ${JSON.stringify(r.name)}`);
  const label = `redaction rule ${JSON.stringify(r.name)}`;
  if (seen.has(r.name)) throw new RedactionRuleError(`${label} is defined twice; rule names must be unique`);
  seen.add(r.name);
  if (typeof r.pattern !== 'string' || r.pattern.length === 0 || r.pattern.length > MAX_PATTERN_LENGTH) throw new RedactionRuleError(`${label}: pattern must be a non-empty string of at most ${MAX_PATTERN_LENGTH} characters`);
  const flags = r.flags ?? '';
  if (typeof flags !== 'string' || !/^[imsu]*$/.test(flags) || new Set(flags).size !== flags.length) throw new RedactionRuleError(`${label}: flags may only combine i, m, s and u, got ${JSON.stringify(flags)}`);
  const replacement = r.replacement ?? '[REDACTED]';
  if (typeof replacement !== 'string') throw new RedactionRuleError(`${label}: replacement must be a string`);
  if (!Array.isArray(r.applyTo) || r.applyTo.length === 0 || !r.applyTo.every((t) => (REDACTION_TARGETS as readonly string[]).includes(t))) {
    throw new RedactionRuleError(`${label}: applyTo must list one or more of ${REDACTION_TARGETS.join(', ')}, got ${JSON.stringify(r.applyTo)}`);
  }
  if (r.attributes !== undefined && (!Array.isArray(r.attributes) || !r.attributes.every((a) => typeof a === 'string' && a.length > 0))) throw new RedactionRuleError(`${label}: attributes must be a list of attribute keys`);
  let regex: RegExp;
  try {
    regex = new RegExp(r.pattern, `${flags}g`);
  } catch (err) {
    throw new RedactionRuleError(`${label}: pattern is not a valid regular expression: ${(err as Error).message}`);
  }
  if (regex.test('')) throw new RedactionRuleError(`${label}: pattern matches the empty string, so it would rewrite every value; make it match at least one character`);
  const shape = catastrophicShape(r.pattern);
  if (shape) throw new RedactionRuleError(`${label}: pattern refused because ${shape}, which can take exponential time on hostile input; rewrite it without that`);
  const rule: CompiledRule = { name: r.name, regex, replacement, targets: new Set(r.applyTo), attributes: r.attributes ? new Set(r.attributes) : null };
  probe(rule);
  return rule;
}

/** Expands $&, $n, $<name> and $$ in a replacement for one match (String.replace's syntax). */
function expand(replacement: string, m: RegExpExecArray): string {
  if (!replacement.includes('$')) return replacement;
  return replacement.replace(/\$(\$|&|<([^>]*)>|\d{1,2})/g, (all, what: string, group: string | undefined) => {
    if (what === '$') return '$';
    if (what === '&') return m[0];
    if (group !== undefined) return m.groups?.[group] ?? '';
    const n = Number(what);
    return n > 0 && n < m.length ? (m[n] ?? '') : all;
  });
}

/** `value` with `rule` applied; long values window by window (matches found on the original text, then applied once). */
function applyRule(rule: CompiledRule, value: string): string {
  if (value.length <= WINDOW) return value.replace(rule.regex, rule.replacement);
  const edits: Array<[number, number, string]> = [];
  let covered = 0;
  for (let start = 0; start < value.length; start += WINDOW - OVERLAP) {
    const window = value.slice(start, start + WINDOW);
    rule.regex.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = rule.regex.exec(window)) !== null) {
      const from = start + m.index;
      const to = from + m[0].length;
      if (m[0].length === 0) rule.regex.lastIndex++;
      // A match cut by the window's end is found whole by the next window (it overlaps by OVERLAP).
      else if (from >= covered && (to < start + window.length || start + window.length >= value.length)) {
        edits.push([from, to, expand(rule.replacement, m)]);
        covered = to;
      }
    }
    if (start + WINDOW >= value.length) break;
  }
  rule.regex.lastIndex = 0;
  if (edits.length === 0) return value;
  let out = '';
  let at = 0;
  for (const [from, to, text] of edits) {
    out += value.slice(at, from) + text;
    at = to;
  }
  return out + value.slice(at);
}

/** The compiled rules of a receiver, grouped by target so a target without rules costs nothing. */
export class RedactionRules {
  readonly maxValueLength: number;
  private readonly byTarget = new Map<RedactionTarget, CompiledRule[]>();

  constructor(config: RedactionConfig) {
    if (!Number.isInteger(config.maxValueLength) || config.maxValueLength < WINDOW) throw new RedactionRuleError(`redaction.maxValueLength must be an integer >= ${WINDOW}, got ${JSON.stringify(config.maxValueLength)}`);
    if (!Array.isArray(config.rules)) throw new RedactionRuleError('redaction.rules must be a list');
    this.maxValueLength = config.maxValueLength;
    const seen = new Set<string>();
    config.rules.forEach((r, i) => {
      const rule = compileRule(r, i, seen);
      for (const t of rule.targets) this.byTarget.set(t, [...(this.byTarget.get(t) ?? []), rule]);
    });
  }

  get empty(): boolean {
    return this.byTarget.size === 0;
  }

  has(target: RedactionTarget): boolean {
    return this.byTarget.has(target);
  }

  /** `value` after every rule of `target` (for attributes, those that cover `key`). */
  apply(target: RedactionTarget, value: string, key?: string): string {
    const rules = this.byTarget.get(target);
    if (!rules) return value;
    if (key !== undefined && isProtectedKey(key)) return value;
    let out = value;
    for (const rule of rules) {
      if (key !== undefined && rule.attributes && !rule.attributes.has(key)) continue;
      if (out.length > this.maxValueLength) return `[REDACTED: value of ${out.length} characters is longer than redaction.maxValueLength]`;
      out = applyRule(rule, out);
    }
    return out;
  }
}

/** The rules of a configuration, or null when there are none (the ingest path then skips redaction entirely). */
export function compileRedaction(config: RedactionConfig): RedactionRules | null {
  const rules = new RedactionRules(config);
  return rules.empty ? null : rules;
}
