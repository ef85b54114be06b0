// Backup and restore of a data dir as one file.
//
// The database is read the way start-up reads it (newest readable snapshot + journal), which
// needs no lock: files are only ever appended, renamed into place or deleted once two newer
// snapshots exist, so a read that races a prune simply retries. The result is the state after
// some prefix of the committed writes: at least everything acknowledged before the backup began.
// The other files of the data dir (signing key, config, media, ...) are copied as they are.
//
// Backup file = "MEOWBKUP" | u32 format | entries | end entry | u32 crc32(all before), where an
// entry is u16 name length | name (UTF-8, relative, '/'-separated) | u64 size | bytes. The entry
// named DATABASE_ENTRY holds a snapshot file (snapshot.ts format).
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../log.ts';
import { diskFiles, type FileLayer } from './files.ts';
import { loadSqlJs } from './sqlite.ts';
import { recover } from './recovery.ts';
import { decodeSnapshot, openImage, snapshotChunks } from './snapshot.ts';
import { liveImage } from './image.ts';
import { LOCK_FILE, listStorageFiles, snapshotName } from './layout.ts';
import { lockDataDir } from './lock.ts';
import { StorageError } from './errors.ts';

const MAGIC = Buffer.from('MEOWBKUP', 'ascii');
const FORMAT = 1;
const DATABASE_ENTRY = '.database';
const END = '';
const CHUNK = 1 << 20;

/** Engine files and runtime leftovers that are not copied: the database travels as one snapshot. */
function isEngineFile(name: string): boolean {
  return /^(snapshot-\d+\.db(\.tmp|\.corrupt)?|journal-\d+\.log|meowtrix\.lock(\.\d+)?)$/.test(name) || name.endsWith('.sock');
}

class BackupWriter {
  private sum = 0;
  private position = 0;
  private readonly fd: number;
  private readonly files: FileLayer;
  constructor(files: FileLayer, fd: number) {
    this.files = files;
    this.fd = fd;
    this.put(MAGIC);
    this.put(u32(FORMAT));
  }
  put(bytes: Uint8Array): void {
    this.files.writeAtSync(this.fd, bytes, this.position);
    this.position += bytes.length;
    this.sum = crc32(bytes, this.sum);
  }
  entryHeader(name: string, size: number): void {
    const encoded = Buffer.from(name, 'utf8');
    const head = Buffer.alloc(2 + encoded.length + 8);
    head.writeUInt16LE(encoded.length, 0);
    encoded.copy(head, 2);
    head.writeBigUInt64LE(BigInt(size), 2 + encoded.length);
    this.put(head);
  }
  finish(): number {
    this.entryHeader(END, 0);
    this.put(u32(this.sum));
    return this.position;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** Reads the database as start-up would, retrying if a concurrent snapshot moved files away. */
async function readDatabase(dir: string, log: Logger): Promise<{ seq: number; image: Uint8Array }> {
  const SQL = await loadSqlJs();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const { db, image, lastSeq } = recover(SQL, diskFiles, dir, log, { repairTail: false });
      try {
        // The loaded storage itself while it provably is the database file: no second copy (image.ts).
        return { seq: lastSeq, image: (image && liveImage(image)) ?? db.export() };
      } finally {
        db.close();
      }
    } catch (err) {
      lastError = err;
      if (err instanceof StorageError && !/missing|continues at/.test(err.message)) throw err;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
  throw lastError;
}

function otherFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...otherFiles(dir, rel));
    else if (entry.isFile() && !(prefix === '' && isEngineFile(entry.name)) && !entry.name.endsWith('.tmp')) out.push(rel);
  }
  return out.sort();
}

export interface BackupResult {
  seq: number;
  bytes: number;
  files: number;
}

export async function backupDataDir(dir: string, out: string, log: Logger, files: FileLayer = diskFiles): Promise<BackupResult> {
  if (!fs.existsSync(dir)) throw new StorageError(`data directory ${dir} does not exist`);
  const { seq, image } = await readDatabase(dir, log);
  const temp = `${out}.tmp`;
  if (files.exists(temp)) files.unlink(temp);
  const fd = files.open(temp, true);
  let bytes: number;
  let copied = 0;
  try {
    const w = new BackupWriter(files, fd);
    const snapshot = snapshotChunks(seq, image);
    w.entryHeader(DATABASE_ENTRY, snapshot.reduce((n, c) => n + c.length, 0));
    for (const chunk of snapshot) w.put(chunk);
    const buf = Buffer.alloc(CHUNK);
    for (const rel of otherFiles(dir)) {
      let src: number;
      try {
        src = fs.openSync(path.join(dir, rel), 'r');
      } catch {
        continue; // removed since listing (e.g. a temp upload)
      }
      try {
        const size = fs.fstatSync(src).size;
        w.entryHeader(rel, size);
        for (let done = 0; done < size; ) {
          const n = fs.readSync(src, buf, 0, Math.min(CHUNK, size - done), done);
          if (n === 0) throw new StorageError(`${rel} shrank while it was being copied`);
          w.put(buf.subarray(0, n));
          done += n;
        }
        copied++;
      } finally {
        fs.closeSync(src);
      }
    }
    bytes = w.finish();
    files.fsyncSync(fd);
  } catch (err) {
    files.close(fd);
    files.unlink(temp);
    throw err;
  }
  files.close(fd);
  files.rename(temp, out);
  files.fsyncDir(path.dirname(path.resolve(out)));
  return { seq, bytes, files: copied };
}

interface Entry {
  name: string;
  start: number;
  size: number;
}

/** Checks the whole backup (magic, structure, checksum) and lists its entries. */
function readEntries(file: string): Entry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const total = fs.fstatSync(fd).size;
    const read = (position: number, length: number): Buffer => {
      if (position + length > total) throw new StorageError(`${file} is truncated or not a Meowtrix backup`);
      const b = Buffer.alloc(length);
      fs.readSync(fd, b, 0, length, position);
      return b;
    };
    if (!read(0, 8).equals(MAGIC)) throw new StorageError(`${file} is not a Meowtrix backup`);
    const format = read(8, 4).readUInt32LE(0);
    if (format !== FORMAT) throw new StorageError(`${file} has backup format ${format}, which this Meowtrix cannot read`);
    const entries: Entry[] = [];
    let at = 12;
    for (;;) {
      const nameLength = read(at, 2).readUInt16LE(0);
      const name = read(at + 2, nameLength).toString('utf8');
      const size = Number(read(at + 2 + nameLength, 8).readBigUInt64LE(0));
      at += 2 + nameLength + 8;
      if (name === END) break;
      if (!isSafeName(name)) throw new StorageError(`${file} holds an unsafe file name: ${JSON.stringify(name)}`);
      entries.push({ name, start: at, size });
      at += size;
    }
    if (at + 4 !== total) throw new StorageError(`${file} is truncated or has trailing bytes`);
    let sum = 0;
    const buf = Buffer.alloc(CHUNK);
    for (let pos = 0; pos < at; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, at - pos), pos);
      sum = crc32(buf.subarray(0, n), sum);
      pos += n;
    }
    if (sum !== read(at, 4).readUInt32LE(0)) throw new StorageError(`${file} fails its checksum`);
    if (!entries.some((e) => e.name === DATABASE_ENTRY)) throw new StorageError(`${file} holds no database`);
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

function isSafeName(name: string): boolean {
  if (name === DATABASE_ENTRY) return true;
  if (!name || name.startsWith('/') || name.includes('\\') || name.includes('\0')) return false;
  const parts = name.split('/');
  return parts.every((p) => p !== '' && p !== '.' && p !== '..') && !isEngineFile(parts[0]!);
}

export interface RestoreResult {
  seq: number;
  files: number;
}

/** Restores a backup into dir; a non-empty dir is refused unless force, and then emptied first. */
export async function restoreDataDir(file: string, dir: string, force: boolean, files: FileLayer = diskFiles): Promise<RestoreResult> {
  const entries = readEntries(file);
  const dbEntry = entries.find((e) => e.name === DATABASE_ENTRY)!;
  const src = fs.openSync(file, 'r');
  try {
    const snapshotBytes = Buffer.alloc(dbEntry.size);
    fs.readSync(src, snapshotBytes, 0, dbEntry.size, dbEntry.start);
    const { seq, image } = decodeSnapshot(snapshotBytes, `${file} (database)`);
    openImage(await loadSqlJs(), image, `${file} (database)`).close();

    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const existing = fs.readdirSync(dir).filter((n) => n !== LOCK_FILE);
    if (existing.length && !force) {
      throw new StorageError(`${dir} is not empty (${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', ...' : ''}); use --force to replace its contents`);
    }
    const lock = lockDataDir(dir); // refuses while a server runs on it
    try {
      for (const name of fs.readdirSync(dir)) {
        if (name !== LOCK_FILE) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      }
      // The database first: a restore cut short then misses some files rather than all the data.
      const target = path.join(dir, snapshotName(seq));
      const temp = `${target}.tmp`;
      const fd = files.open(temp, true);
      try {
        files.writeAtSync(fd, snapshotBytes, 0);
        files.fsyncSync(fd);
      } finally {
        files.close(fd);
      }
      files.rename(temp, target);
      const buf = Buffer.alloc(CHUNK);
      for (const entry of entries) {
        if (entry === dbEntry) continue;
        const target = path.join(dir, ...entry.name.split('/'));
        fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
        const fd = files.open(target, true);
        try {
          for (let done = 0; done < entry.size; ) {
            const n = fs.readSync(src, buf, 0, Math.min(CHUNK, entry.size - done), entry.start + done);
            files.writeAtSync(fd, buf.subarray(0, n), done);
            done += n;
          }
          files.fsyncSync(fd);
        } finally {
          files.close(fd);
        }
      }
      for (const sub of new Set(entries.map((e) => path.dirname(path.join(dir, ...e.name.split('/')))))) files.fsyncDir(sub);
      files.fsyncDir(dir);
      if (listStorageFiles(files, dir).snapshots.length !== 1) throw new StorageError(`restore into ${dir} did not leave exactly one snapshot`);
    } finally {
      lock.release();
    }
    return { seq, files: entries.length - 1 };
  } finally {
    fs.closeSync(src);
  }
}
