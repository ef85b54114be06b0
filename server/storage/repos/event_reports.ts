// Content reports (migration 007), listed for admins by the Synapse-style admin API.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface EventReportRow {
  id: number;
  received_ts: number;
  room_id: string;
  event_id: string | null;
  target_user_id: string | null;
  user_id: string;
  reason: string | null;
  score: number | null;
}

export function nextReportId(db: SqlReader): number {
  return (db.get<{ id: number | null }>(`SELECT MAX(id) AS id FROM event_reports`)?.id ?? 0) + 1;
}

export function insertReport(db: SqlWriter, r: EventReportRow): void {
  db.run(`INSERT INTO event_reports (id, received_ts, room_id, event_id, target_user_id, user_id, reason, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    r.id, r.received_ts, r.room_id, r.event_id, r.target_user_id, r.user_id, r.reason, r.score,
  ]);
}

/** Event reports (not whole-room reports), newest first ('b') or oldest first ('f'). */
export function listEventReports(db: SqlReader, opts: { from: number; limit: number; dir: 'b' | 'f'; roomId?: string; userId?: string }): { rows: EventReportRow[]; total: number } {
  const where = ['event_id IS NOT NULL'];
  const params: (string | number)[] = [];
  if (opts.roomId) {
    where.push('room_id = ?');
    params.push(opts.roomId);
  }
  if (opts.userId) {
    where.push('user_id = ?');
    params.push(opts.userId);
  }
  const clause = where.join(' AND ');
  const total = db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM event_reports WHERE ${clause}`, params)?.n ?? 0;
  const rows = db.all<EventReportRow>(`SELECT * FROM event_reports WHERE ${clause} ORDER BY id ${opts.dir === 'b' ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`, [
    ...params, opts.limit, opts.from,
  ]);
  return { rows, total };
}
