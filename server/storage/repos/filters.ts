// Stored sync filters: per user, numbered from 0; identical JSON is stored once.
import type { SqlReader, SqlWriter } from '../types.ts';

export function getFilterJson(db: SqlReader, userId: string, filterId: number): string | undefined {
  return db.get<{ filter_json: string }>(`SELECT filter_json FROM user_filters WHERE user_id = ? AND filter_id = ?`, [userId, filterId])?.filter_json;
}

/** Stores the (canonicalised) filter JSON unless the user already has it; returns its ID. */
export function putFilter(db: SqlWriter, userId: string, json: string): number {
  const existing = db.get<{ filter_id: number }>(`SELECT filter_id FROM user_filters WHERE user_id = ? AND filter_json = ?`, [userId, json]);
  if (existing) return existing.filter_id;
  const max = db.get<{ m: number | null }>(`SELECT max(filter_id) AS m FROM user_filters WHERE user_id = ?`, [userId])?.m;
  const id = max === null || max === undefined ? 0 : max + 1;
  db.run(`INSERT INTO user_filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)`, [userId, id, json]);
  return id;
}
