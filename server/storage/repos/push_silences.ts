// Silences (migration 009): per member and room, stretches of stream positions [since, until) in
// which the member was not notified there; until is null while the silence is open. Only the push
// hook writes them (server/push/silences.ts), GET /notifications reads them to skip those rows.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface Silence {
  since: number;
  /** Exclusive; null while open (it then reaches past the newest event). */
  until: number | null;
}

/** The room's open silences, by member. */
export function openSilencesIn(db: SqlReader, roomId: string): Map<string, number> {
  const rows = db.all<{ user_id: string; since_pos: number }>(
    `SELECT user_id, since_pos FROM push_silences INDEXED BY push_silences_open WHERE room_id = ? AND until_pos IS NULL`,
    [roomId],
  );
  return new Map(rows.map((r) => [r.user_id, r.since_pos]));
}

export function openSilence(db: SqlWriter, roomId: string, userId: string, since: number): void {
  db.run(`INSERT INTO push_silences (user_id, room_id, since_pos, until_pos) VALUES (?, ?, ?, NULL) ON CONFLICT DO NOTHING`, [userId, roomId, since]);
}

/** Ends the member's open silence that began at `since` before `until` (the event that notified them). */
export function closeSilence(db: SqlWriter, roomId: string, userId: string, since: number, until: number): void {
  db.run(`UPDATE push_silences SET until_pos = ? WHERE user_id = ? AND room_id = ? AND since_pos = ? AND until_pos IS NULL`, [until, userId, roomId, since]);
}

/** SQL: 1 if the member `m` of a memberships row has silences in its room. */
export const SILENCED = `EXISTS (SELECT 1 FROM push_silences s WHERE s.user_id = m.user_id AND s.room_id = m.room_id)`;

/**
 * The user's silences in their rooms that overlap [low, high), by room, newest first. Per room two
 * seeks: the last silence that began at or before `low` (the only older one that can reach into
 * the range: a member's silences in a room do not overlap), and those that began inside it. (CROSS
 * JOIN keeps memberships first: SQLite would otherwise walk all of the user's silences.)
 */
export function silencesOverlapping(db: SqlReader, userId: string, low: number, high: number): Map<string, Silence[]> {
  const rows = db.all<{ room_id: string; since_pos: number; until_pos: number | null }>(
    `SELECT s.room_id, s.since_pos, s.until_pos FROM memberships m CROSS JOIN push_silences s
        ON s.user_id = m.user_id AND s.room_id = m.room_id AND s.since_pos < ?
       AND s.since_pos >= coalesce((SELECT max(x.since_pos) FROM push_silences x WHERE x.user_id = m.user_id AND x.room_id = m.room_id AND x.since_pos <= ?), 0)
      WHERE m.user_id = ? AND (s.until_pos IS NULL OR s.until_pos > ?) ORDER BY s.room_id, s.since_pos DESC`,
    [high, low, userId, low],
  );
  const out = new Map<string, Silence[]>();
  for (const r of rows) {
    let list = out.get(r.room_id);
    if (!list) out.set(r.room_id, (list = []));
    list.push({ since: r.since_pos, until: r.until_pos });
  }
  return out;
}
