// Migration 3: rooms, their events (one global stream), current state, memberships and aliases.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 3,
  name: 'rooms',
  up(db) {
    db.run(`CREATE TABLE rooms (
      room_id TEXT PRIMARY KEY,
      room_version TEXT NOT NULL,
      creator TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      is_public INTEGER NOT NULL DEFAULT 0,
      last_pos INTEGER NOT NULL DEFAULT 0,
      last_event_id TEXT,
      last_depth INTEGER NOT NULL DEFAULT 0
    )`);
    // stream_pos is the "events" sync stream: global, strictly increasing, never reused.
    db.run(`CREATE TABLE events (
      stream_pos INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL UNIQUE,
      room_id TEXT NOT NULL,
      type TEXT NOT NULL,
      state_key TEXT,
      sender TEXT NOT NULL,
      origin_server_ts INTEGER NOT NULL,
      json TEXT NOT NULL,
      unsigned_json TEXT,
      membership TEXT,
      redacted_by TEXT,
      relates_to TEXT,
      rel_type TEXT,
      txn_device TEXT,
      txn_id TEXT
    )`);
    db.run(`CREATE INDEX events_by_room ON events (room_id, stream_pos)`);
    db.run(`CREATE INDEX events_state_history ON events (room_id, type, state_key, stream_pos) WHERE state_key IS NOT NULL`);
    db.run(`CREATE INDEX events_membership_of ON events (state_key, stream_pos) WHERE type = 'm.room.member'`);
    db.run(`CREATE INDEX events_relations ON events (relates_to, rel_type, stream_pos) WHERE relates_to IS NOT NULL`);
    db.run(`CREATE INDEX events_by_ts ON events (room_id, origin_server_ts)`);
    db.run(`CREATE UNIQUE INDEX events_txn ON events (sender, txn_device, txn_id) WHERE txn_id IS NOT NULL`);
    db.run(`CREATE TABLE room_state (
      room_id TEXT NOT NULL,
      type TEXT NOT NULL,
      state_key TEXT NOT NULL,
      event_id TEXT NOT NULL,
      stream_pos INTEGER NOT NULL,
      PRIMARY KEY (room_id, type, state_key)
    ) WITHOUT ROWID`);
    db.run(`CREATE TABLE memberships (
      room_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      membership TEXT NOT NULL,
      event_id TEXT NOT NULL,
      stream_pos INTEGER NOT NULL,
      forgotten INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (room_id, user_id)
    ) WITHOUT ROWID`);
    db.run(`CREATE INDEX memberships_by_user ON memberships (user_id, membership)`);
    db.run(`CREATE TABLE room_aliases (
      alias TEXT PRIMARY KEY,
      room_id TEXT NOT NULL,
      creator TEXT NOT NULL
    )`);
    db.run(`CREATE INDEX room_aliases_by_room ON room_aliases (room_id)`);
  },
};
