// One server per data dir. The lock file records the owner's PID and, on Linux, its start
// time (so a recycled PID does not look alive); a lock whose owner is gone is stale and taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE } from './layout.ts';
import { StorageError } from './errors.ts';

export class DataDirLocked extends StorageError {}

interface LockOwner {
  pid: number;
  started: string | null;
  host: string;
}

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

/** Start time of a process in clock ticks since boot (Linux), or null when unknown. */
function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing paren.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true; // a shared disk: cannot tell, so assume it is held
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStart(owner.pid);
  return owner.started === null || started === null || started === owner.started;
}

function readOwner(file: string): { raw: string; owner: LockOwner | null } | null {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const owner = JSON.parse(raw) as LockOwner;
    return { raw, owner: Number.isInteger(owner.pid) ? owner : null };
  } catch {
    return { raw, owner: null }; // torn write by a killed process: stale
  }
}

export function lockDataDir(dir: string): DataDirLock {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, started: processStart(process.pid), host: os.hostname() };
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written aside and hard-linked into place, so the lock never exists without its owner.
    const temp = `${file}.${process.pid}`;
    fs.writeFileSync(temp, JSON.stringify(me), { mode: 0o600 });
    try {
      fs.linkSync(temp, file);
      fs.rmSync(temp, { force: true });
      return {
        file,
        release() {
          const current = readOwner(file);
          if (current?.owner?.pid === me.pid && current.owner.started === me.started) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      fs.rmSync(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const existing = readOwner(file);
    if (!existing) continue;
    if (existing.owner && isAlive(existing.owner)) {
      const who = existing.owner.pid === process.pid ? 'this process' : `process ${existing.owner.pid}`;
      throw new DataDirLocked(`the data directory ${dir} is in use by another Meowtrix server (${who}, lock ${file}); stop it first`);
    }
    // Stale: remove it only if nobody replaced it meanwhile, then try again.
    if (readOwner(file)?.raw === existing.raw) fs.rmSync(file, { force: true });
  }
  throw new DataDirLocked(`could not take the lock ${file}; another server may be starting`);
}

/** Whether a live server holds the data dir (for tools that only read, such as backup). */
export function isDataDirLocked(dir: string): boolean {
  const existing = readOwner(path.join(dir, LOCK_FILE));
  return !!existing?.owner && isAlive(existing.owner);
}
