// `npm run keys -- <command>`: creates, lists, rotates and revokes write keys, read
// tokens and admin tokens in the key file that running receivers reload within a second or two. A secret
// is printed once, when made, and only its digest is kept. The secret alone goes to
// stdout (so `KEY=$(npm run -s keys -- create ...)` works); everything else to stderr.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isSafeId } from '@otel-replay/protocol';
import { ConfigError, loadConfig } from '../config.ts';
import { KeyFileError, ROLES, digestOf, newKeyId, newSecret, readKeyFile, roleNoun, unusableReason, updateKeyFile } from '../keys/key-file.ts';
import type { KeyRecord, Role } from '../keys/key-file.ts';

const USAGE = `usage: npm run keys -- <command> [options]

commands:
  create --tenant <id> --role write|read|admin [--label <text>] [--expires <30d|12h|ISO time>]
         [--origin <https://site.example>]... [--requests-per-second <n>] [--bytes-per-second <n>]
                      make a key; prints its secret once. write: ingest; read: query the
                      tenant's sessions; admin: query and delete them. --origin and
                      --bytes-per-second apply to write keys; --requests-per-second to any
                      (ingest for write keys, the query API for read and admin tokens)
  list [--tenant <id>] [--json]
                      keys and their state (never secrets)
  rotate <key id> [--grace <7d|...>] [--label <text>] [--expires <...>]
                      make a replacement with the same tenant, role, scope and limits; the old
                      key stays valid until revoked (or until --grace has passed)
  revoke <key id>     refuse the key from now on (receivers notice within ~1 s)

options for every command:
  --file <path>       key file (default: auth.keyFile of the receiver config, <dataDir>/keys.json)
  --config <path>     receiver config file to read auth.keyFile / dataDir from (or OTEL_REPLAY_CONFIG)`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `45s`, `2w` → milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new UsageError(`--${option} ${JSON.stringify(text)} is not a duration like 30d, 12h, 90m or 45s`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (!(ms > 0)) throw new UsageError(`--${option} must be longer than zero`);
  return ms;
}

/** A duration from now, or an absolute ISO time. */
function parseExpiry(text: string, now: number): string {
  if (/^\d{4}-\d\d-\d\dT/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isFinite(t)) throw new UsageError(`--expires ${JSON.stringify(text)} is not a valid ISO-8601 time`);
    if (t <= now) throw new UsageError(`--expires ${text} is in the past`);
    return new Date(t).toISOString();
  }
  return new Date(now + parseDuration(text, 'expires')).toISOString();
}

function parseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--origin ${JSON.stringify(text)} is not a URL; give an origin like https://shop.example`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, '')) {
    throw new UsageError(`--origin ${JSON.stringify(text)} must be a bare origin (scheme://host[:port]), like ${url.origin}`);
  }
  return url.origin;
}

function nonNegative(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${option} must be a number >= 0, got ${JSON.stringify(text)}`);
  return n;
}

function keyFilePath(values: { file?: string | undefined; config?: string | undefined }): string {
  if (values.file) return values.file;
  try {
    return loadConfig({ file: values.config ?? null }).auth.keyFile;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`cannot find the key file from the receiver config: ${err.message}; pass --file <path>`);
    throw err;
  }
}

function stateOf(k: Pick<KeyRecord, 'revokedAt' | 'expiresAt'>, now: number): string {
  const unusable = unusableReason(k, now);
  if (unusable) return unusable.startsWith('was revoked') ? 'revoked' : 'expired';
  if (k.revokedAt) return `revoked from ${k.revokedAt}`;
  return k.expiresAt ? `active until ${k.expiresAt}` : 'active';
}

interface Io {
  out(line: string): void;
  err(line: string): void;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** Runs one CLI invocation; returns the exit code (0 ok, 1 failed, 2 usage). */
export function runKeysCli(argv: string[], io: Io, now: () => number = Date.now): number {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string' },
        config: { type: 'string' },
        tenant: { type: 'string' },
        role: { type: 'string' },
        label: { type: 'string' },
        expires: { type: 'string' },
        grace: { type: 'string' },
        origin: { type: 'string', multiple: true },
        'requests-per-second': { type: 'string' },
        'bytes-per-second': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, ...args] = positionals;
    if (values.help || command === 'help' || command === undefined) {
      (command === undefined && !values.help ? io.err : io.out)(USAGE);
      return command === undefined && !values.help ? 2 : 0;
    }
    const file = keyFilePath(values);
    const t = now();

    if (command === 'create') {
      if (args.length) throw new UsageError(`create takes no positional arguments, got ${args.join(' ')}`);
      const tenant = values.tenant;
      if (!tenant) throw new UsageError('create needs --tenant <id>');
      if (!isSafeId(tenant)) throw new UsageError(`--tenant ${JSON.stringify(String(tenant).slice(0, 40))} must be 1-128 characters of [A-Za-z0-9._:-] without '..' (it becomes X-Scope-OrgID and the object key prefix)`);
      const role = values.role as Role | undefined;
      if (role === undefined || !ROLES.includes(role)) throw new UsageError('create needs --role write, --role read or --role admin');
      const origins = (values.origin ?? []).map(parseOrigin);
      if (origins.length && role !== 'write') throw new UsageError('--origin applies to write keys only');
      const rps = nonNegative(values['requests-per-second'], 'requests-per-second');
      const bps = nonNegative(values['bytes-per-second'], 'bytes-per-second');
      if (bps !== undefined && role !== 'write') throw new UsageError('--bytes-per-second applies to write keys only (the query API is limited by requests)');
      const expiresAt = values.expires ? parseExpiry(values.expires, t) : null;
      const secret = newSecret(role);
      const record = updateKeyFile(file, (doc) => {
        const rec: KeyRecord = {
          id: newKeyId(new Set(doc.keys.map((k) => k.id))),
          tenant,
          role,
          digest: digestOf(secret),
          label: values.label ?? '',
          createdAt: new Date(t).toISOString(),
          expiresAt,
          revokedAt: null,
          scope: origins.length ? { origins } : {},
        };
        if (rps !== undefined || bps !== undefined) {
          rec.rateLimit = {};
          if (rps !== undefined) rec.rateLimit.requestsPerSecond = rps;
          if (bps !== undefined) rec.rateLimit.bytesPerSecond = bps;
        }
        doc.keys.push(rec);
        return rec;
      });
      io.err(`created ${roleNoun(role)} ${record.id} for tenant ${tenant}${expiresAt ? `, expiring ${expiresAt}` : ''} in ${file}`);
      io.err('the secret follows; it is shown only this once, so store it now:');
      io.out(secret);
      return 0;
    }

    if (command === 'list') {
      if (args.length) throw new UsageError(`list takes no positional arguments, got ${args.join(' ')}`);
      const keys = readKeyFile(file).keys.filter((k) => !values.tenant || k.tenant === values.tenant);
      if (values.json) {
        io.out(JSON.stringify(keys.map(({ digest: _digest, ...k }) => ({ ...k, state: stateOf(k, t) })), null, 2));
        return 0;
      }
      if (keys.length === 0) {
        io.err(`no keys in ${file}${values.tenant ? ` for tenant ${values.tenant}` : ''}`);
        return 0;
      }
      const rows = [['ID', 'TENANT', 'ROLE', 'STATE', 'CREATED', 'LABEL', 'SCOPE']];
      for (const k of keys) rows.push([k.id, k.tenant, k.role, stateOf(k, t), k.createdAt, k.label || '-', k.scope.origins?.join(',') || '-']);
      for (const line of table(rows)) io.out(line);
      return 0;
    }

    if (command === 'revoke') {
      if (args.length !== 1) throw new UsageError('revoke needs exactly one key id (see `list`)');
      const id = args[0]!;
      const outcome = updateKeyFile(file, (doc) => {
        const k = doc.keys.find((x) => x.id === id);
        if (!k) throw new KeyFileError(`no key ${id} in ${file}; \`list\` shows the ids`);
        if (k.revokedAt !== null && Date.parse(k.revokedAt) <= t) return `key ${id} was already revoked at ${k.revokedAt}`;
        k.revokedAt = new Date(t).toISOString();
        return `revoked ${roleNoun(k.role)} ${id} of tenant ${k.tenant}; receivers refuse it within a few seconds`;
      });
      io.err(outcome);
      return 0;
    }

    if (command === 'rotate') {
      if (args.length !== 1) throw new UsageError('rotate needs exactly one key id (see `list`)');
      const id = args[0]!;
      const grace = values.grace ? parseDuration(values.grace, 'grace') : null;
      const expiresAt = values.expires ? parseExpiry(values.expires, t) : null;
      let made: KeyRecord | null = null;
      let secret = '';
      const old = updateKeyFile(file, (doc) => {
        const k = doc.keys.find((x) => x.id === id);
        if (!k) throw new KeyFileError(`no key ${id} in ${file}; \`list\` shows the ids`);
        const unusable = unusableReason(k, t);
        if (unusable) throw new KeyFileError(`key ${id} ${unusable}; create a new key instead of rotating it`);
        secret = newSecret(k.role);
        const rec: KeyRecord = {
          id: newKeyId(new Set(doc.keys.map((x) => x.id))),
          tenant: k.tenant,
          role: k.role,
          digest: digestOf(secret),
          label: values.label ?? k.label,
          createdAt: new Date(t).toISOString(),
          expiresAt,
          revokedAt: null,
          scope: k.scope.origins ? { origins: [...k.scope.origins] } : {},
          rotatedFrom: k.id,
        };
        if (k.rateLimit) rec.rateLimit = { ...k.rateLimit };
        if (grace !== null) {
          const until = t + grace;
          if (k.expiresAt === null || Date.parse(k.expiresAt) > until) k.expiresAt = new Date(until).toISOString();
        }
        doc.keys.push(rec);
        made = rec;
        return { ...k };
      });
      const rec = made as KeyRecord | null;
      if (!rec) throw new Error('rotate made no key');
      io.err(`created ${roleNoun(rec.role)} ${rec.id} replacing ${old.id} for tenant ${rec.tenant}`);
      io.err(old.expiresAt
        ? `${old.id} stays valid until ${old.expiresAt}; deploy the new secret before then`
        : `${old.id} stays valid until you revoke it: deploy the new secret, then run \`npm run keys -- revoke ${old.id}\``);
      io.err('the new secret follows; it is shown only this once, so store it now:');
      io.out(secret);
      return 0;
    }

    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      io.err(`keys: ${(err as Error).message}`);
      io.err('run `npm run keys -- --help` for usage');
      return 2;
    }
    if (err instanceof KeyFileError) {
      io.err(`keys: ${err.message}`);
      return 1;
    }
    io.err(`keys: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = runKeysCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
