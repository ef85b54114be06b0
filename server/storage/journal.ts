// The append-only journal: one record per committed write transaction.
// Record = u32 payload length | u32 crc32(payload) | payload, where the payload is the JSON
// [seq, [[sql, params], ...]]. Sequence numbers run 1, 2, 3, ... across journal files, so a
// snapshot taken "at seq N" tells replay exactly which records it already contains.
import { crc32 } from 'node:zlib';
import type { SqlParams, SqlValue } from './types.ts';
import type { FileLayer } from './files.ts';

export interface JournalStatement {
  sql: string;
  params: SqlParams;
}

export interface JournalRecord {
  seq: number;
  statements: JournalStatement[];
}

const HEADER = 8;

export function encodeRecord(seq: number, statements: readonly JournalStatement[]): Buffer {
  return encodeRecords([{ seq, statements }]);
}

/** Several records, back to back, in one buffer (one allocation, no copies). */
export function encodeRecords(records: readonly { seq: number; statements: readonly JournalStatement[] }[]): Buffer {
  const payloads = records.map((r) => JSON.stringify([r.seq, r.statements.map((s) => [s.sql, encodeParams(s.params)])]));
  let total = 0;
  for (const p of payloads) total += HEADER + Buffer.byteLength(p);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const p of payloads) {
    const length = out.write(p, offset + HEADER, 'utf8');
    out.writeUInt32LE(length, offset);
    out.writeUInt32LE(crc32(out.subarray(offset + HEADER, offset + HEADER + length)), offset + 4);
    offset += HEADER + length;
  }
  return out;
}

export interface DecodedJournal {
  records: JournalRecord[];
  /** Byte length of the valid prefix; anything after it is a torn or corrupt tail. */
  validLength: number;
  totalLength: number;
}

/** Decodes the longest valid prefix of records in buf. */
export function decodeRecords(buf: Uint8Array): DecodedJournal {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset + HEADER <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    const sum = bytes.readUInt32LE(offset + 4);
    const end = offset + HEADER + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(offset + HEADER, end);
    if (crc32(payload) !== sum) break;
    const record = parsePayload(payload);
    if (!record) break;
    records.push(record);
    offset = end;
  }
  return { records, validLength: offset, totalLength: bytes.length };
}

export interface ScannedJournal {
  /** Byte length of the valid prefix; anything after it is a torn or corrupt tail. */
  validLength: number;
  totalLength: number;
  records: number;
}

const SCAN_WINDOW = 8 * 1024 * 1024;

/**
 * Reads a journal's valid records a window at a time and hands each window's records to `each`,
 * so a large journal is never read, decoded or replayed all at once (memory stays bounded by
 * the window, whatever the journal's size).
 */
export function scanJournal(files: FileLayer, file: string, each: (records: JournalRecord[]) => void, windowBytes = SCAN_WINDOW): ScannedJournal {
  const totalLength = files.size(file);
  const fd = files.openRead(file);
  let offset = 0;
  let records = 0;
  try {
    let buf = Buffer.allocUnsafe(Math.max(HEADER, Math.min(windowBytes, totalLength)));
    while (offset < totalLength) {
      const window = buf.subarray(0, files.readAtSync(fd, buf.subarray(0, Math.min(buf.length, totalLength - offset)), offset));
      const decoded = decodeRecords(window);
      if (decoded.records.length) {
        records += decoded.records.length;
        each(decoded.records);
      }
      const stoppedAt = offset + decoded.validLength;
      const rest = window.length - decoded.validLength;
      offset = stoppedAt;
      if (offset + rest >= totalLength) break; // the window reached the end: whatever is left is a torn tail
      // Stopped inside the window: a record running past its end (read on), or a corrupt one (stop).
      const needed = rest >= HEADER ? HEADER + window.readUInt32LE(decoded.validLength) : HEADER;
      if (needed <= rest || offset + needed > totalLength) break;
      if (needed > buf.length) buf = Buffer.allocUnsafe(needed);
    }
  } finally {
    files.close(fd);
  }
  return { validLength: offset, totalLength, records };
}

export function readJournal(files: FileLayer, file: string): DecodedJournal {
  return decodeRecords(files.readFile(file));
}

function parsePayload(payload: Buffer): JournalRecord | null {
  try {
    const [seq, statements] = JSON.parse(payload.toString('utf8')) as [number, [string, EncodedParams][]];
    if (!Number.isSafeInteger(seq) || seq < 1 || !Array.isArray(statements)) return null;
    return { seq, statements: statements.map(([sql, params]) => ({ sql, params: decodeParams(params) })) };
  } catch {
    return null;
  }
}

// Uint8Array parameters (blobs) do not survive JSON; tag them as base64.
type EncodedValue = string | number | null | { b64: string };
type EncodedParams = EncodedValue[] | Record<string, EncodedValue>;

function encodeValue(v: SqlValue): EncodedValue {
  return v instanceof Uint8Array ? { b64: Buffer.from(v).toString('base64') } : v;
}
function decodeValue(v: EncodedValue): SqlValue {
  return v !== null && typeof v === 'object' ? new Uint8Array(Buffer.from(v.b64, 'base64')) : v;
}
function encodeParams(p: SqlParams): EncodedParams {
  if (Array.isArray(p)) return (p as SqlValue[]).some((v) => v instanceof Uint8Array) ? (p as SqlValue[]).map(encodeValue) : (p as EncodedValue[]);
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, encodeValue(v as SqlValue)]));
}
function decodeParams(p: EncodedParams): SqlParams {
  if (Array.isArray(p)) return p.map(decodeValue);
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, decodeValue(v)]));
}
