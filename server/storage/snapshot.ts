// Snapshot files: the whole SQLite database as of one journal sequence number.
// Layout = "MEOWSNAP" | u32 format | u32 header length | header JSON {seq} | SQLite image | u32 crc32(all before).
// The checksum proves the file whole; opening it with sql.js proves it readable.
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Database, SqlJsStatic } from 'sql.js';
import { writeFileDurably, type FileLayer } from './files.ts';
import { snapshotName } from './layout.ts';

const MAGIC = Buffer.from('MEOWSNAP', 'ascii');
const FORMAT = 1;

export class SnapshotCorrupt extends Error {}

export function encodeSnapshotHeader(seq: number): Buffer {
  const header = Buffer.from(JSON.stringify({ seq }), 'utf8');
  const fixed = Buffer.alloc(16);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt32LE(FORMAT, 8);
  fixed.writeUInt32LE(header.length, 12);
  return Buffer.concat([fixed, header]);
}

/** The file's chunks; the checksum is computed over header and image. */
export function snapshotChunks(seq: number, image: Uint8Array): Uint8Array[] {
  const head = encodeSnapshotHeader(seq);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(image, crc32(head)), 0);
  return [head, image, sum];
}

export interface DecodedSnapshot {
  seq: number;
  image: Uint8Array;
}

export function decodeSnapshot(bytes: Uint8Array, file: string): DecodedSnapshot {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 20 || !buf.subarray(0, 8).equals(MAGIC)) throw new SnapshotCorrupt(`${file} is not a Meowtrix snapshot`);
  const format = buf.readUInt32LE(8);
  if (format !== FORMAT) throw new SnapshotCorrupt(`${file} has snapshot format ${format}, which this Meowtrix cannot read`);
  const headerLength = buf.readUInt32LE(12);
  const imageStart = 16 + headerLength;
  if (imageStart + 4 > buf.length) throw new SnapshotCorrupt(`${file} is truncated`);
  const stored = buf.readUInt32LE(buf.length - 4);
  if (crc32(buf.subarray(0, buf.length - 4)) !== stored) throw new SnapshotCorrupt(`${file} fails its checksum`);
  let seq: unknown;
  try {
    seq = (JSON.parse(buf.subarray(16, imageStart).toString('utf8')) as { seq?: unknown }).seq;
  } catch {
    throw new SnapshotCorrupt(`${file} has an unreadable header`);
  }
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new SnapshotCorrupt(`${file} has no valid sequence number`);
  return { seq: seq as number, image: buf.subarray(imageStart, buf.length - 4) };
}

/** Opens a snapshot image with sql.js and touches the schema, so an unreadable one throws. */
export function openImage(SQL: SqlJsStatic, image: Uint8Array, file: string): Database {
  let db: Database | null = null;
  try {
    db = new SQL.Database(image);
    db.exec('SELECT count(*) FROM sqlite_master');
    return db;
  } catch (err) {
    db?.close();
    throw new SnapshotCorrupt(`${file} is not a readable SQLite database: ${(err as Error).message}`);
  }
}

export function loadSnapshot(SQL: SqlJsStatic, files: FileLayer, file: string): { seq: number; db: Database } {
  const { seq, image } = decodeSnapshot(files.readFile(file), file);
  return { seq, db: openImage(SQL, image, file) };
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Writes the image (a db.export()) as snapshot-<seq>.db durably, then reads it back to prove it
 * whole: its checksum covers the image as exported, so opening it again with sql.js would only
 * cost the memory of another copy.
 */
export function writeSnapshot(files: FileLayer, dir: string, seq: number, image: Uint8Array): { file: string; bytes: number } {
  const file = path.join(dir, snapshotName(seq));
  const chunks = snapshotChunks(seq, image);
  writeFileDurably(files, file, chunks);
  try {
    const check = decodeSnapshot(files.readFile(file), file);
    if (check.seq !== seq) throw new SnapshotCorrupt(`${file} read back with seq ${check.seq}, expected ${seq}`);
    if (!SQLITE_MAGIC.equals(check.image.subarray(0, SQLITE_MAGIC.length))) throw new SnapshotCorrupt(`${file} does not hold an SQLite database`);
  } catch (err) {
    files.unlink(file); // never leave an unproven snapshot to be mistaken for the newest
    throw err;
  }
  return { file, bytes: chunks.reduce((n, c) => n + c.length, 0) };
}
