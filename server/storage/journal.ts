// The append-only journal: one record per committed write transaction.
// Record = u32 payload length | u32 crc32(payload) | payload (JSON of the statements).
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import type { SqlParams, SqlValue } from './types.ts';

export interface JournalStatement {
  sql: string;
  params: SqlParams;
}

const HEADER = 8;

export function encodeRecord(statements: JournalStatement[]): Buffer {
  const payload = Buffer.from(JSON.stringify(statements.map((s) => [s.sql, encodeParams(s.params)])), 'utf8');
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export interface ReadJournal {
  records: JournalStatement[][];
  /** Byte length of the valid prefix; anything after it is a torn or corrupt tail. */
  validLength: number;
  totalLength: number;
}

export function readJournal(file: string): ReadJournal {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validLength: 0, totalLength: 0 };
    throw err;
  }
  const records: JournalStatement[][] = [];
  let offset = 0;
  while (offset + HEADER <= buf.length) {
    const length = buf.readUInt32LE(offset);
    const sum = buf.readUInt32LE(offset + 4);
    const end = offset + HEADER + length;
    if (end > buf.length) break;
    const payload = buf.subarray(offset + HEADER, end);
    if (crc32(payload) !== sum) break;
    let decoded: [string, EncodedParams][];
    try {
      decoded = JSON.parse(payload.toString('utf8'));
    } catch {
      break;
    }
    records.push(decoded.map(([sql, params]) => ({ sql, params: decodeParams(params) })));
    offset = end;
  }
  return { records, validLength: offset, totalLength: buf.length };
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
  if (Array.isArray(p)) return (p as SqlValue[]).map(encodeValue);
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, encodeValue(v as SqlValue)]));
}
function decodeParams(p: EncodedParams): SqlParams {
  if (Array.isArray(p)) return p.map(decodeValue);
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, decodeValue(v)]));
}
