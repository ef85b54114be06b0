// Durable presence: state and status message per user, stamped with the presence stream position.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface PresenceRow {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number;
  stream_pos: number;
}

export function latestPresencePos(db: SqlReader): number {
  return db.get<{ m: number | null }>(`SELECT max(stream_pos) AS m FROM presence`)?.m ?? 0;
}

export function getPresence(db: SqlReader, userId: string): PresenceRow | undefined {
  return db.get<PresenceRow>(`SELECT * FROM presence WHERE user_id = ?`, [userId]);
}

export function listPresence(db: SqlReader): PresenceRow[] {
  return db.all<PresenceRow>(`SELECT * FROM presence`);
}

export function putPresence(db: SqlWriter, row: Omit<PresenceRow, 'stream_pos'>): number {
  const pos = latestPresencePos(db) + 1;
  db.run(
    `INSERT INTO presence (user_id, state, status_msg, last_active_ts, stream_pos) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, status_msg = excluded.status_msg,
       last_active_ts = excluded.last_active_ts, stream_pos = excluded.stream_pos`,
    [row.user_id, row.state, row.status_msg, row.last_active_ts, pos],
  );
  return pos;
}

export function presenceChanges(db: SqlReader, from: number, to: number): PresenceRow[] {
  return db.all<PresenceRow>(`SELECT * FROM presence WHERE stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos`, [from, to]);
}
