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
  room_id: string;
  /** The matched column's tokens, for ranking. */
  tokens: string;
}

/**
 * Events whose `key` column matches the FTS query, in the given rooms, below `before`, newest first.
 * `cap` bounds the rows ranked per request.
 */
export function searchKey(db: SqlReader, key: SearchKey, match: string, roomIds: string[], before: number, cap: number): SearchHit[] {
  if (!roomIds.length) return [];
  return db.all<SearchHit>(
    `SELECT e.stream_pos AS stream_pos, e.room_id AS room_id, f.${key} AS tokens
       FROM search_fts f JOIN events e ON e.stream_pos = f.docid
      WHERE f.${key} MATCH ? AND e.stream_pos < ? AND e.room_id IN (${roomIds.map(() => '?').join(', ')})
      ORDER BY e.stream_pos DESC LIMIT ?`,
    [match, before, ...roomIds, cap],
  );
}
