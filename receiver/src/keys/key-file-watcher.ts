// Keeps a receiver's keys in step with the key file, so keys created, rotated or revoked
// by the CLI (or by config management replacing the file) take effect within a poll
// interval and without a restart. Polling one stat() a second is cheap and works the same
// on local disks, network volumes and Kubernetes secret mounts, where fs.watch does not.
// A file that fails to parse is reported and ignored: the previous keys stay in force.

import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readKeyFile } from './key-file.ts';
import type { KeyFile } from './key-file.ts';

export interface KeyFileLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const MISSING = 'missing';

function signature(s: { mtimeMs: number; size: number; ino: number }): string {
  // The CLI replaces the file by rename, so the inode changes even within one mtime tick.
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

export class KeyFileWatcher {
  private readonly file: string;
  private readonly apply: (doc: KeyFile) => void;
  private readonly pollMs: number;
  private log: KeyFileLog | null = null;
  private seen: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<boolean> | null = null;

  constructor(file: string, pollMs: number, apply: (doc: KeyFile) => void) {
    this.file = file;
    this.pollMs = pollMs;
    this.apply = apply;
  }

  /** Loads the file now; throws KeyFileError when it is unreadable or invalid (refuse to start). */
  loadSync(): void {
    let sig = MISSING;
    try {
      sig = signature(statSync(this.file));
    } catch { /* missing: no keys yet */ }
    this.apply(readKeyFile(this.file));
    this.seen = sig;
  }

  /** Starts polling; reload messages go to `log`. */
  start(log: KeyFileLog): void {
    this.log = log;
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.pollMs);
    this.timer.unref();
  }

  /** Reloads when the file changed since last time; true when keys were replaced. */
  check(): Promise<boolean> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<boolean> {
    let sig = MISSING;
    try {
      sig = signature(await stat(this.file));
    } catch { /* missing */ }
    if (sig === this.seen) return false;
    try {
      const doc = readKeyFile(this.file);
      this.apply(doc);
      this.seen = sig;
      this.log?.info({ keyFile: this.file, keys: doc.keys.length }, 'key file reloaded');
      return true;
    } catch (err) {
      // Remember the bad version so it is reported once, not every second.
      this.seen = sig;
      this.log?.warn({ keyFile: this.file, err }, 'key file changed but could not be loaded; keeping the previous keys');
      return false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
