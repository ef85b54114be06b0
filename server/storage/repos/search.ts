// The server-side search index (migration 007): one FTS4 row per searchable event, docid = stream_pos.
import type { SqlReader, SqlWriter } from '../types.ts';

export type SearchKey = 'body' | 'name' | 'topic';

export function indexEvent(db: SqlWriter, streamPos: number, tokens: Record<SearchKey, string>): void {
  db.run(`INSERT INTO search_fts (docid, body, name, topic) VALUES (?, ?, ?, ?)`, [streamPos, tokens.body, tokens.name, tokens.topic]);
}

/** indexEvent() that replaces a row already there (data written by a tool that indexed it, not moving the mark). */
export function indexOrReplaceEvent(db: SqlWriter, streamPos: number, tokens: Record<SearchKey, string>): void {
  db.run(`INSERT OR REPLACE INTO search_fts (docid, body, name, topic) VALUES (?, ?, ?, ?)`, [streamPos, tokens.body, tokens.name, tokens.topic]);
}

const INDEXED_TO = 'search_indexed_to';

/** Every event at or before this stream position has been considered for the index (undefined: never set). */
export function indexedTo(db: SqlReader): number | undefined {
  const value = db.get<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, [INDEXED_TO])?.value;
  return value === undefined ? undefined : Number(value);
}

export function setIndexedTo(db: SqlWriter, pos: number): void {
  db.run(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [INDEXED_TO, String(pos)]);
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
 * The FTS table drives the join (CROSS JOIN) and yields docids newest first itself, so SQLite
 * neither runs one full-text query per event row nor sorts every match: it stops at `cap`.
 */
export function searchKey(db: SqlReader, key: SearchKey, match: string, roomIds: string[], cap: number): SearchHit[] {
  if (!roomIds.length) return [];
  return db.all<SearchHit>(
    `SELECT e.stream_pos AS stream_pos, e.event_id AS event_id, e.room_id AS room_id, e.sender AS sender, e.type AS type, e.state_key AS state_key, f.${key} AS tokens
       FROM search_fts f CROSS JOIN events e ON e.stream_pos = f.docid
      WHERE f.${key} MATCH ? AND e.room_id IN (${roomIds.map(() => '?').join(', ')})
      ORDER BY f.docid DESC LIMIT ?`,
    [match, ...roomIds, cap],
  );
}
