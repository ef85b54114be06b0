// Read receipts (the receipts sync stream) and each user's read position per room and thread.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface ReceiptRow {
  room_id: string;
  user_id: string;
  receipt_type: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_pos: number;
}

export function latestReceiptPos(db: SqlReader): number {
  return db.get<{ m: number | null }>(`SELECT max(stream_pos) AS m FROM receipts`)?.m ?? 0;
}

/** Replaces the user's receipt of that type (and thread) in the room; returns the new stream position. */
export function putReceipt(db: SqlWriter, r: Omit<ReceiptRow, 'stream_pos'>): number {
  const pos = latestReceiptPos(db) + 1;
  db.run(
    `INSERT INTO receipts (room_id, user_id, receipt_type, thread_id, event_id, ts, stream_pos) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts, stream_pos = excluded.stream_pos`,
    [r.room_id, r.user_id, r.receipt_type, r.thread_id, r.event_id, r.ts, pos],
  );
  return pos;
}

/** All current receipts of a room up to `to` (complete sync of a room). */
export function roomReceipts(db: SqlReader, roomId: string, to: number): ReceiptRow[] {
  return db.all<ReceiptRow>(`SELECT * FROM receipts WHERE room_id = ? AND stream_pos <= ?`, [roomId, to]);
}

/** Receipts changed in (from, to], in every room — O(changes) through the stream index. */
export function receiptChanges(db: SqlReader, from: number, to: number): ReceiptRow[] {
  return db.all<ReceiptRow>(`SELECT * FROM receipts WHERE stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos`, [from, to]);
}

export function getReadPosition(db: SqlReader, userId: string, roomId: string, threadId: string): number {
  return db.get<{ s: number }>(`SELECT stream_ordering AS s FROM read_positions WHERE user_id = ? AND room_id = ? AND thread_id = ?`, [userId, roomId, threadId])?.s ?? 0;
}

/** Moves the read position forward (never back); returns whether it moved. */
export function advanceReadPosition(db: SqlWriter, userId: string, roomId: string, threadId: string, streamOrdering: number): boolean {
  return db.run(
    `INSERT INTO read_positions (user_id, room_id, thread_id, stream_ordering) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, room_id, thread_id) DO UPDATE SET stream_ordering = excluded.stream_ordering
     WHERE excluded.stream_ordering > read_positions.stream_ordering`,
    [userId, roomId, threadId, streamOrdering],
  ).changes > 0;
}

export function getReceiptEventId(db: SqlReader, roomId: string, userId: string, receiptType: string, threadId: string): string | undefined {
  return db.get<{ event_id: string }>(
    `SELECT event_id FROM receipts WHERE room_id = ? AND user_id = ? AND receipt_type = ? AND thread_id = ?`,
    [roomId, userId, receiptType, threadId],
  )?.event_id;
}
