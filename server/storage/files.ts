// Every file operation of the storage engine goes through this small layer, so that disk
// failures can be injected into a real server process in tests.
//
// Fault injection (tests only): when the environment variable MEOWTRIX_FAULT_FILE names a
// path, every operation that needs new disk space (open for writing, write, fsync, rename)
// first reads that path; if it exists and holds an errno code (ENOSPC or EIO), the operation
// fails with that error. Deleting the file "returns the space". Truncate and unlink are exempt,
// as they free space on a real full disk. Without the variable the check costs nothing.
// "EIO fdatasync" fails only the operations named (comma-separated syscalls: open, write,
// fdatasync, fsync, rename); "DELAY 800 fdatasync" makes the asynchronous fdatasync wait 800 ms
// first, as a slow disk would (so a test can act while a sync is in flight).
import fs from 'node:fs';
import path from 'node:path';

export const FAULT_FILE_ENV = 'MEOWTRIX_FAULT_FILE';
const FAULT_CODES = new Set(['ENOSPC', 'EIO', 'EDQUOT', 'EROFS']);

export interface FileLayer {
  readFile(file: string): Buffer;
  /** Opens for reading only (needs no disk space, so never fails by fault injection). */
  openRead(file: string): number;
  /** Reads into buf from position until buf is full or the file ends; returns the bytes read. */
  readAtSync(fd: number, buf: Uint8Array, position: number): number;
  /** Names in a directory; [] when it does not exist. */
  list(dir: string): string[];
  exists(file: string): boolean;
  size(file: string): number;
  /** Opens for reading and writing at explicit positions; create=true fails if it exists. 0600. */
  open(file: string, create: boolean): number;
  openAsync(file: string, create: boolean): Promise<number>;
  close(fd: number): void;
  /** Writes all of buf at position. */
  writeAt(fd: number, buf: Uint8Array, position: number): Promise<void>;
  writeAtSync(fd: number, buf: Uint8Array, position: number): void;
  datasync(fd: number): Promise<void>;
  datasyncSync(fd: number): void;
  fsyncSync(fd: number): void;
  truncate(fd: number, length: number): Promise<void>;
  truncateSync(fd: number, length: number): void;
  rename(from: string, to: string): void;
  unlink(file: string): void;
  /** Makes a directory's entries (created, renamed, removed files) durable. */
  fsyncDir(dir: string): void;
  fsyncDirAsync(dir: string): Promise<void>;
}

/** The control file's words when it applies to `op`: [code or "DELAY", ms?]; null otherwise. */
function injected(op: string): string[] | null {
  const control = process.env[FAULT_FILE_ENV];
  if (!control) return null;
  let words: string[];
  try {
    words = fs.readFileSync(control, 'utf8').trim().split(/\s+/);
  } catch {
    return null;
  }
  const ops = words[0] === 'DELAY' ? words[2] : words[1];
  return ops === undefined || ops.split(',').includes(op) ? words : null;
}

function injectedDelayMs(op: string): number {
  const words = injected(op);
  return words?.[0] === 'DELAY' ? Number(words[1]) || 0 : 0;
}

function injectedFault(op: string, target: string): NodeJS.ErrnoException | null {
  const code = injected(op)?.[0];
  if (code === undefined || !FAULT_CODES.has(code)) return null;
  const err: NodeJS.ErrnoException = new Error(`${code}: injected fault, ${op} '${target}'`);
  err.code = code;
  err.syscall = op;
  return err;
}

function check(op: string, target: string): void {
  const err = injectedFault(op, target);
  if (err) throw err;
}

function p<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

const fdNames = new Map<number, string>();

export const diskFiles: FileLayer = {
  readFile: (file) => fs.readFileSync(file),
  openRead(file) {
    const fd = fs.openSync(file, 'r');
    fdNames.set(fd, file);
    return fd;
  },
  readAtSync(fd, buf, position) {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  },
  list(dir) {
    try {
      return fs.readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  },
  exists: (file) => fs.existsSync(file),
  size: (file) => fs.statSync(file).size,
  open(file, create) {
    check('open', file);
    const fd = fs.openSync(file, create ? 'wx+' : 'r+', 0o600);
    fdNames.set(fd, file);
    return fd;
  },
  async openAsync(file, create) {
    check('open', file);
    const fd = await p<number>((cb) => fs.open(file, create ? 'wx+' : 'r+', 0o600, cb));
    fdNames.set(fd, file);
    return fd;
  },
  close(fd) {
    fdNames.delete(fd);
    fs.closeSync(fd);
  },
  async writeAt(fd, buf, position) {
    check('write', fdNames.get(fd) ?? `fd ${fd}`);
    let done = 0;
    while (done < buf.length) {
      const n = await p<number>((cb) => fs.write(fd, buf, done, buf.length - done, position + done, cb));
      done += n;
    }
  },
  writeAtSync(fd, buf, position) {
    check('write', fdNames.get(fd) ?? `fd ${fd}`);
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  },
  async datasync(fd) {
    check('fdatasync', fdNames.get(fd) ?? `fd ${fd}`);
    const delayMs = injectedDelayMs('fdatasync');
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    await p<void>((cb) => fs.fdatasync(fd, cb));
  },
  datasyncSync(fd) {
    check('fdatasync', fdNames.get(fd) ?? `fd ${fd}`);
    fs.fdatasyncSync(fd);
  },
  fsyncSync(fd) {
    check('fsync', fdNames.get(fd) ?? `fd ${fd}`);
    fs.fsyncSync(fd);
  },
  truncate: (fd, length) => p<void>((cb) => fs.ftruncate(fd, length, cb)),
  truncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  rename(from, to) {
    check('rename', to);
    fs.renameSync(from, to);
  },
  unlink: (file) => fs.unlinkSync(file),
  fsyncDir(dir) {
    check('fsync', dir);
    if (process.platform === 'win32') return; // directories cannot be opened there; NTFS orders metadata itself
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  async fsyncDirAsync(dir) {
    check('fsync', dir);
    if (process.platform === 'win32') return;
    const fd = await p<number>((cb) => fs.open(dir, 'r', cb));
    try {
      await p<void>((cb) => fs.fsync(fd, cb));
    } finally {
      fs.closeSync(fd);
    }
  },
};

const WRITE_PIECE = 1024 * 1024;
const SYNC_EVERY = 2 * 1024 * 1024;

/** Writes a whole file durably: temp file → fsync → rename → fsync directory. */
export function writeFileDurably(files: FileLayer, file: string, chunks: readonly Uint8Array[]): void {
  const temp = `${file}.tmp`;
  if (files.exists(temp)) files.unlink(temp);
  const fd = files.open(temp, true);
  try {
    // Flushed as it goes: on ext4 a journal fsync also waits for other files' dirty data, so a
    // snapshot left to flush all at once would hold up every commit behind hundreds of MB.
    let position = 0;
    let unsynced = 0;
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; at += WRITE_PIECE) {
        const piece = chunk.subarray(at, Math.min(chunk.length, at + WRITE_PIECE));
        files.writeAtSync(fd, piece, position);
        position += piece.length;
        unsynced += piece.length;
        if (unsynced >= SYNC_EVERY) {
          files.fsyncSync(fd);
          unsynced = 0;
        }
      }
    }
    files.fsyncSync(fd);
  } catch (err) {
    files.close(fd);
    try {
      files.unlink(temp);
    } catch {
      // best effort: a leftover .tmp is removed at the next start
    }
    throw err;
  }
  files.close(fd);
  files.rename(temp, file);
  files.fsyncDir(path.dirname(file));
}
