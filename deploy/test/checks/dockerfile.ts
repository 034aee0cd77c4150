// Checks of the project's Dockerfiles (receiver/, demo/), read as text: what the final
// stage runs exists in the repository, it runs as an unprivileged user, it has a
// HEALTHCHECK, production installs name real workspaces, and every path copied from the
// build context exists and is not excluded by .dockerignore.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './files.ts';

export interface DockerfileExpectations {
  /** Script the final stage runs with node, relative to the repository root. */
  entry: string;
  /** npm workspace names the production install must include. */
  workspaces: string[];
  /** HTTP path the HEALTHCHECK asks for. */
  healthPath: string;
}

/** Instructions with line continuations joined, comments dropped. */
export function instructions(text: string): string[] {
  return text.replace(/\\\r?\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

function finalStage(text: string): string[] {
  const all = instructions(text);
  const last = all.map((l, i) => (/^FROM\s/i.test(l) ? i : -1)).filter((i) => i >= 0).at(-1) ?? 0;
  return all.slice(last);
}

/** Exec-form JSON array of an instruction (`CMD [...]`, `HEALTHCHECK ... CMD [...]`), or null. */
export function execForm(line: string): string[] | null {
  const m = /CMD\s+(\[.*\])\s*$/i.exec(line);
  if (!m) return null;
  try {
    const v: unknown = JSON.parse(m[1]!);
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** .dockerignore patterns as regular expressions over context-relative paths. */
export function dockerignoreMatchers(text: string): RegExp[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!')).map((p) => {
    const body = p.replace(/^\/+|\/+$/g, '').split('/').map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*').replaceAll('?', '[^/]'))).join('/').replaceAll('(?:.*)/', '(?:.*/)?');
    return new RegExp(`^${body}$`);
  });
}

/** True when the path or one of its parent directories is excluded. */
export function isIgnored(rel: string, matchers: RegExp[]): boolean {
  const parts = rel.replace(/^\.\/|\/$/g, '').split('/');
  return parts.some((_, i) => matchers.some((re) => re.test(parts.slice(0, i + 1).join('/'))));
}

export function dockerfileProblems(file: string, text: string, x: DockerfileExpectations, root = repoRoot): string[] {
  const problems: string[] = [];
  const stage = finalStage(text);
  const cmd = stage.filter((l) => /^CMD\s/i.test(l)).at(-1);
  const argv = cmd ? execForm(cmd) : null;
  if (!argv) problems.push(`${file}: the final stage needs an exec-form CMD ["node", "${x.entry}"]`);
  else if (argv[0] !== 'node' || argv[1] !== x.entry) problems.push(`${file}: CMD runs ${argv.join(' ')}, expected node ${x.entry}`);
  else if (!existsSync(path.join(root, x.entry))) problems.push(`${file}: CMD runs ${x.entry}, which does not exist`);

  const user = stage.filter((l) => /^USER\s/i.test(l)).at(-1)?.split(/\s+/)[1];
  if (!user || user === 'root' || user === '0' || user.startsWith('0:')) problems.push(`${file}: the final stage must switch to an unprivileged USER (is ${user ?? 'root by default'})`);

  const health = stage.find((l) => /^HEALTHCHECK\s/i.test(l));
  const probe = health ? execForm(health) : null;
  if (!probe) problems.push(`${file}: the final stage has no exec-form HEALTHCHECK`);
  else if (!probe.join(' ').includes(x.healthPath)) problems.push(`${file}: the HEALTHCHECK does not ask for ${x.healthPath}`);

  const installs = instructions(text).filter((l) => /npm ci\b.*--omit=dev/.test(l));
  if (installs.length === 0) problems.push(`${file}: no production install (npm ci --omit=dev)`);
  for (const ws of x.workspaces) {
    if (!installs.some((l) => new RegExp(`-w\\s+${ws.replace(/[/@]/g, '\\$&')}(\\s|$)`).test(l))) problems.push(`${file}: the production install does not include workspace ${ws}`);
  }

  const ignorePath = path.join(root, '.dockerignore');
  const matchers = existsSync(ignorePath) ? dockerignoreMatchers(readFileSync(ignorePath, 'utf8')) : [];
  for (const line of instructions(text).filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l))) {
    const args = line.split(/\s+/).slice(1).filter((a) => !a.startsWith('--'));
    for (const src of args.slice(0, -1)) {
      if (src === '.') continue;
      if (!existsSync(path.join(root, src))) problems.push(`${file}: COPY ${src}: no such path in the build context (the repository root)`);
      else if (isIgnored(src, matchers)) problems.push(`${file}: COPY ${src}: excluded by .dockerignore`);
    }
  }
  return problems;
}
