// The server-side search index (migration 007): one FTS4 row per searchable event, docid = stream_pos.
import type { SqlReader, SqlWriter } from '../types.ts';

export type SearchKey = 'body' | 'name' | 'topic';

export function indexEvent(db: SqlWriter, streamPos: number, tokens: Record<SearchKey, string>): void {
  db.run(`INSERT INTO search_fts (docid, body, name, topic) VALUES (?, ?, ?, ?)`, [streamPos, tokens.body, tokens.name, tokens.topic]);
}

export function unindexEvent(db: SqlWriter, streamPos: number): void {
  db.run(`DELETE FROM search_fts WHERE docid = ?`, [streamPos]);
}

export interface SearchHit {
  stream_pos: number;
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key: string | null;
  /** The matched column's tokens, for ranking. */
  tokens: string;
}

/**
 * Events whose `key` column matches the FTS query, in the given rooms, newest first; at most `cap`.
 * CROSS JOIN keeps SQLite from driving the join from `events` (one full-text query per event row).
 */
export function searchKey(db: SqlReader, key: SearchKey, match: string, roomIds: string[], cap: number): SearchHit[] {
  if (!roomIds.length) return [];
  return db.all<SearchHit>(
    `SELECT e.stream_pos AS stream_pos, e.event_id AS event_id, e.room_id AS room_id, e.sender AS sender, e.type AS type, e.state_key AS state_key, f.tokens AS tokens
       FROM (SELECT docid, ${key} AS tokens FROM search_fts WHERE ${key} MATCH ?) f CROSS JOIN events e ON e.stream_pos = f.docid
      WHERE e.room_id IN (${roomIds.map(() => '?').join(', ')})
      ORDER BY e.stream_pos DESC LIMIT ?`,
    [match, ...roomIds, cap],
  );
}
