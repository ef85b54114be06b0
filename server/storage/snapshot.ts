// Snapshot files: the whole SQLite database as of one journal sequence number.
// Layout = "MEOWSNAP" | u32 format | u32 header length | header JSON {seq} | SQLite image | u32 crc32(all before).
// The checksum proves the file whole; opening it with sql.js proves it readable.
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Database, SqlJsStatic } from 'sql.js';
import { writeFileDurably, type FileLayer } from './files.ts';
import { snapshotName } from './layout.ts';
import { allocateImage, openShared, type SharedImage } from './image.ts';

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
  const imageStart = 16 + headerLength(buf, buf.length, file);
  const stored = buf.readUInt32LE(buf.length - 4);
  if (crc32(buf.subarray(0, buf.length - 4)) !== stored) throw new SnapshotCorrupt(`${file} fails its checksum`);
  return { seq: checkSeq(headerSeq(buf.subarray(16, imageStart)), file), image: buf.subarray(imageStart, buf.length - 4) };
}

/** Checks the 16 fixed bytes (magic, format) against a file of `size` bytes; the JSON header's length. */
function headerLength(fixed: Buffer, size: number, file: string): number {
  if (size < 20 || fixed.length < 16 || !fixed.subarray(0, 8).equals(MAGIC)) throw new SnapshotCorrupt(`${file} is not a Meowtrix snapshot`);
  const format = fixed.readUInt32LE(8);
  if (format !== FORMAT) throw new SnapshotCorrupt(`${file} has snapshot format ${format}, which this Meowtrix cannot read`);
  const length = fixed.readUInt32LE(12);
  if (16 + length + 4 > size) throw new SnapshotCorrupt(`${file} is truncated`);
  return length;
}

/** The header's seq, or undefined when it is not JSON (reported by checkSeq, unless the checksum fails first). */
function headerSeq(header: Buffer): unknown {
  try {
    return (JSON.parse(header.toString('utf8')) as { seq?: unknown }).seq;
  } catch {
    return undefined;
  }
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

const READ_PIECE = 16 * 1024 * 1024;

/** The fixed part and header of a snapshot file: its seq and where the image starts. */
function readHead(files: FileLayer, fd: number, size: number, file: string): { seq: unknown; head: Buffer } {
  const fixed = Buffer.alloc(16);
  const header = Buffer.alloc(headerLength(fixed.subarray(0, files.readAtSync(fd, fixed, 0)), size, file));
  files.readAtSync(fd, header, 16);
  return { seq: headerSeq(header), head: Buffer.concat([fixed, header]) };
}

function checkSeq(seq: unknown, file: string): number {
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new SnapshotCorrupt(`${file} has no valid sequence number`);
  return seq as number;
}

function readAt(files: FileLayer, fd: number, position: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  files.readAtSync(fd, bytes, position);
  return bytes;
}

function storedSum(files: FileLayer, fd: number, size: number): number {
  return readAt(files, fd, size - 4, 4).readUInt32LE(0);
}

/**
 * crc32 of the header and the `imageBytes` after it, read piece by piece into `piece(at, n)`
 * (the view of the image's bytes at..at+n to fill); throws when the file ends early.
 */
function checksumImage(files: FileLayer, fd: number, file: string, head: Buffer, imageBytes: number, piece: (at: number, n: number) => Uint8Array): number {
  let sum = crc32(head);
  for (let at = 0; at < imageBytes; ) {
    const view = piece(at, Math.min(READ_PIECE, imageBytes - at));
    if (files.readAtSync(fd, view, head.length + at) < view.length) throw new SnapshotCorrupt(`${file} is truncated`);
    sum = crc32(view, sum);
    at += view.length;
  }
  return sum;
}

/**
 * Loads a snapshot with its image read straight into storage that sql.js then uses as the
 * database file (see image.ts): one copy of the database in memory, with `headroom(imageBytes)`
 * bytes of room to grow. The checksum is verified as it is read; sql.js opening it proves it readable.
 */
export function loadSnapshot(SQL: SqlJsStatic, files: FileLayer, file: string, headroom: (imageBytes: number) => number = () => 0): { seq: number; image: SharedImage } {
  const fd = files.openRead(file);
  let store: Uint8Array;
  let seq: number;
  let imageBytes: number;
  try {
    const size = files.size(file);
    const head = readHead(files, fd, size, file);
    imageBytes = size - head.head.length - 4;
    const target = (store = allocateImage(imageBytes, headroom(imageBytes)));
    const sum = checksumImage(files, fd, file, head.head, imageBytes, (at, n) => target.subarray(at, at + n));
    if (sum !== storedSum(files, fd, size)) throw new SnapshotCorrupt(`${file} fails its checksum`);
    seq = checkSeq(head.seq, file);
  } finally {
    files.close(fd);
  }
  let image: SharedImage | null = null;
  try {
    image = openShared(SQL, store, imageBytes);
    image.db.exec('SELECT count(*) FROM sqlite_master');
    return { seq, image };
  } catch (err) {
    image?.db.close();
    throw new SnapshotCorrupt(`${file} is not a readable SQLite database: ${(err as Error).message}`);
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Writes the image (the database file's bytes) as snapshot-<seq>.db durably, then reads it back
 * piece by piece to prove it whole: its checksum covers the image as it was in memory, so opening
 * it again with sql.js would only cost the memory of another copy.
 */
export function writeSnapshot(files: FileLayer, dir: string, seq: number, image: Uint8Array): { file: string; bytes: number } {
  const file = path.join(dir, snapshotName(seq));
  const chunks = snapshotChunks(seq, image);
  writeFileDurably(files, file, chunks);
  try {
    verifySnapshotFile(files, file, seq);
  } catch (err) {
    files.unlink(file); // never leave an unproven snapshot to be mistaken for the newest
    throw err;
  }
  return { file, bytes: chunks.reduce((n, c) => n + c.length, 0) };
}

/** Reads a snapshot file through one reused buffer: checksum, seq and SQLite header. */
function verifySnapshotFile(files: FileLayer, file: string, seq: number): void {
  const fd = files.openRead(file);
  try {
    const size = files.size(file);
    const head = readHead(files, fd, size, file);
    const imageBytes = size - head.head.length - 4;
    if (imageBytes < SQLITE_MAGIC.length) throw new SnapshotCorrupt(`${file} does not hold an SQLite database`);
    const buffer = Buffer.allocUnsafe(Math.min(READ_PIECE, imageBytes));
    const sum = checksumImage(files, fd, file, head.head, imageBytes, (_at, n) => buffer.subarray(0, n));
    if (!SQLITE_MAGIC.equals(readAt(files, fd, head.head.length, SQLITE_MAGIC.length))) throw new SnapshotCorrupt(`${file} does not hold an SQLite database`);
    if (sum !== storedSum(files, fd, size)) throw new SnapshotCorrupt(`${file} fails its checksum`);
    if (checkSeq(head.seq, file) !== seq) throw new SnapshotCorrupt(`${file} read back with seq ${head.seq}, expected ${seq}`);
  } finally {
    files.close(fd);
  }
}
