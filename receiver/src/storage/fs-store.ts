// The embedded object store: objects as files under one root directory, the way Loki's
// and Tempo's `filesystem` backend works. A put is durable when it resolves: the bytes
// are fsynced in a temporary file, renamed into place, and every directory whose entries
// changed is fsynced too, so a crash leaves either the whole object or nothing.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InvalidObjectKeyError, checkObjectKey, checkPrefix, checkRange } from './object-key-check.ts';
import type { ObjectStore } from './object-store.ts';
import { ObjectNotFoundError, StoreUnavailableError } from './object-store.ts';

/** errno codes that mean "there is no such object" when reading. */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export class FilesystemStore implements ObjectStore {
  readonly description: string;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `filesystem:${this.root}`;
  }

  /** The file path of a key, checked to stay inside the root. */
  private pathOf(key: string): string {
    const file = path.resolve(this.root, ...checkObjectKey(key).split('/'));
    // The key rules already prevent escaping; this is a second, independent guard.
    if (!file.startsWith(this.root + path.sep)) throw new StoreUnavailableError(`object key ${JSON.stringify(key)} resolves outside ${this.root}; refusing it`);
    return file;
  }

  private unavailable(action: string, key: string, err: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`filesystem store: cannot ${action} ${JSON.stringify(key)} under ${this.root} (${(err as Error).message}); check free space and permissions of the storage directory`, { cause: err });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    let tmpCreated = false;
    try {
      const firstCreated = await mkdir(dir, { recursive: true });
      const handle = await open(tmp, 'wx', 0o644);
      tmpCreated = true;
      try {
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, written);
          written += bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
      tmpCreated = false;
      // Directories whose entries changed: the object's own, and for each directory
      // mkdir created, its parent (which gained the new entry).
      const changed = [dir];
      if (firstCreated !== undefined) {
        const stop = path.dirname(firstCreated);
        for (let d = dir; d !== stop && d !== path.dirname(d); d = path.dirname(d)) changed.push(path.dirname(d));
      }
      for (const d of new Set(changed)) await syncDirectory(d);
    } catch (err) {
      if (tmpCreated) await unlink(tmp).catch(() => undefined);
      if (err instanceof StoreUnavailableError) throw err;
      throw this.unavailable('write', key, err);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(key, offset, length);
    return this.readFile(key, async (handle) => {
      const out = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(out, read, length - read, offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      if (read < length) throw new RangeError(`object ${JSON.stringify(key)} ends before byte ${offset + length} (range ${offset}+${length}, only ${read} bytes there); the index points past the object, which suggests a truncated or replaced object`);
      return out;
    });
  }

  async get(key: string): Promise<Uint8Array> {
    return this.readFile(key, async (handle) => {
      const buf = await handle.readFile();
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    });
  }

  /** Opens an object for reading and maps I/O errors: missing → ObjectNotFoundError, else StoreUnavailableError. */
  private async readFile<T>(key: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
    const file = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (NOT_FOUND_CODES.has(errnoCode(err) ?? '')) throw new ObjectNotFoundError(`object ${JSON.stringify(key)} does not exist in ${this.description}`, { cause: err });
      throw this.unavailable('open', key, err);
    }
    try {
      return await use(handle);
    } catch (err) {
      if (err instanceof RangeError) throw err;
      if (NOT_FOUND_CODES.has(errnoCode(err) ?? '')) throw new ObjectNotFoundError(`object ${JSON.stringify(key)} is not a readable file in ${this.description}`, { cause: err });
      throw this.unavailable('read', key, err);
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
      throw this.unavailable('delete', key, err);
    }
    try {
      await syncDirectory(path.dirname(file));
    } catch (err) {
      throw this.unavailable('delete', key, err);
    }
    // The object's own directory goes when it empties (a day whose objects all expired),
    // so listings do not keep finding old days. Never an ancestor: puts only write today's
    // directory, and rmdir refuses a directory that is not empty.
    const dir = path.dirname(file);
    if (dir !== this.root) await rmdir(dir).catch(() => undefined);
  }

  async listChildren(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    if (prefix !== '' && !prefix.endsWith('/')) throw new InvalidObjectKeyError(`object prefix ${JSON.stringify(prefix)} must end with '/' to list what is below it`);
    const dir = prefix ? path.join(this.root, ...prefix.slice(0, -1).split('/')) : this.root;
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries.filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile())).map((e) => e.name).sort();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
      throw this.unavailable('list', prefix, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    // Start at the deepest directory the prefix names completely, then filter by the rest.
    const slash = prefix.lastIndexOf('/');
    const startRel = slash < 0 ? '' : prefix.slice(0, slash);
    const keys: string[] = [];
    try {
      await this.walk(startRel, prefix, keys);
    } catch (err) {
      throw this.unavailable('list', prefix, err);
    }
    return keys.sort();
  }

  private async walk(rel: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(rel ? path.join(this.root, ...rel.split('/')) : this.root, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      // Hidden names are temporary files of puts in progress (keys never start with '.').
      if (entry.name.startsWith('.')) continue;
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // Descend only where keys can still match the prefix.
        if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix)) await this.walk(key, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, fsConstants.W_OK);
    } catch (err) {
      throw new StoreUnavailableError(`filesystem store: ${this.root} is not a writable directory (${(err as Error).message}); create it or fix its permissions`, { cause: err });
    }
  }

  async close(): Promise<void> {}

  /** Removes the whole root (tests and tooling only). */
  async destroy(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** fsync of a directory makes its new or removed entries durable (Linux, macOS). */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    // Windows cannot open directories; NTFS journals metadata itself.
    if (process.platform === 'win32') return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (process.platform === 'win32' || errnoCode(err) === 'EINVAL') return;
    throw err;
  } finally {
    await handle.close();
  }
}
