// Migration 7: the server-side search index, content reports and pushers.
import type { Migration } from '../types.ts';
import { indexTokens } from '../../search/tokens.ts';

const SEARCHABLE: Record<string, 'body' | 'name' | 'topic'> = { 'm.room.message': 'body', 'm.room.name': 'name', 'm.room.topic': 'topic' };

export const migration: Migration = {
  version: 7,
  name: 'directory_search_push',
  up(db) {
    // sql.js is built with FTS3/4 but not FTS5. Text is tokenised in TypeScript (server/search/tokens.ts:
    // lower-cased, accents stripped, CJK as overlapping bigrams) and stored space-separated, so
    // the 'simple' tokenizer only has to split on spaces. docid = the event's stream_pos.
    db.run(`CREATE VIRTUAL TABLE search_fts USING fts4(body, name, topic, tokenize=simple)`);
    // Events from before this migration are indexed now (tokenising is deterministic TypeScript).
    const rows = db.all<{ stream_pos: number; type: string; json: string }>(
      `SELECT stream_pos, type, json FROM events WHERE type IN ('m.room.message', 'm.room.name', 'm.room.topic') AND redacted_by IS NULL
         AND room_id NOT IN (SELECT room_id FROM room_state WHERE type = 'm.room.encryption')`,
    );
    for (const row of rows) {
      const field = SEARCHABLE[row.type]!;
      const text = (JSON.parse(row.json) as { content?: Record<string, unknown> }).content?.[field];
      const tokens = typeof text === 'string' ? indexTokens(text) : '';
      if (!tokens) continue;
      const cols = { body: '', name: '', topic: '', [field]: tokens };
      db.run(`INSERT INTO search_fts (docid, body, name, topic) VALUES (?, ?, ?, ?)`, [row.stream_pos, cols.body, cols.name, cols.topic]);
    }
    // Reports: of an event (event_id set), of a room (neither set), or of a user (target_user_id, room_id '').
    db.run(`CREATE TABLE event_reports (
      id INTEGER PRIMARY KEY,
      received_ts INTEGER NOT NULL,
      room_id TEXT NOT NULL,
      event_id TEXT,
      target_user_id TEXT,
      user_id TEXT NOT NULL,
      reason TEXT,
      score INTEGER
    )`);
    db.run(`CREATE TABLE pushers (
      user_id TEXT NOT NULL,
      app_id TEXT NOT NULL,
      pushkey TEXT NOT NULL,
      kind TEXT NOT NULL,
      app_display_name TEXT NOT NULL,
      device_display_name TEXT NOT NULL,
      profile_tag TEXT,
      lang TEXT NOT NULL,
      data TEXT NOT NULL,
      device_id TEXT,
      created_ts INTEGER NOT NULL,
      PRIMARY KEY (user_id, app_id, pushkey)
    )`);
    db.run(`CREATE INDEX pushers_app_key ON pushers (app_id, pushkey)`);
  },
};
