// Account data (global: room_id '', and per room), each row stamped with its account_data stream position.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface AccountDataRow {
  room_id: string;
  type: string;
  content: string;
  stream_pos: number;
}

export function getAccountData(db: SqlReader, userId: string, roomId: string, type: string): string | undefined {
  return db.get<{ content: string }>(`SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?`, [userId, roomId, type])?.content;
}

export function latestAccountDataPos(db: SqlReader): number {
  return db.get<{ m: number | null }>(`SELECT max(stream_pos) AS m FROM account_data`)?.m ?? 0;
}

/** Writes one entry at the next stream position; returns that position. */
export function putAccountData(db: SqlWriter, userId: string, roomId: string, type: string, content: string): number {
  const pos = latestAccountDataPos(db) + 1;
  db.run(
    `INSERT INTO account_data (user_id, room_id, type, content, stream_pos) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, stream_pos = excluded.stream_pos`,
    [userId, roomId, type, content, pos],
  );
  return pos;
}

/** Every entry of the user up to `to` (a complete sync). */
export function listAccountData(db: SqlReader, userId: string, to: number): AccountDataRow[] {
  return db.all<AccountDataRow>(`SELECT room_id, type, content, stream_pos FROM account_data WHERE user_id = ? AND stream_pos <= ? ORDER BY stream_pos`, [userId, to]);
}

/** Entries of one room up to `to` (a room newly joined). */
export function listRoomAccountData(db: SqlReader, userId: string, roomId: string, to: number): AccountDataRow[] {
  return db.all<AccountDataRow>(
    `SELECT room_id, type, content, stream_pos FROM account_data WHERE user_id = ? AND room_id = ? AND stream_pos <= ? ORDER BY stream_pos`,
    [userId, roomId, to],
  );
}

/** Entries changed in (from, to] — uses the (user_id, stream_pos) index, so O(changes). */
export function accountDataChanges(db: SqlReader, userId: string, from: number, to: number): AccountDataRow[] {
  return db.all<AccountDataRow>(
    `SELECT room_id, type, content, stream_pos FROM account_data WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos`,
    [userId, from, to],
  );
}
