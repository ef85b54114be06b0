// Migration 6: per-user data — filters, account data (incl. tags and push rules), receipts,
// read positions and push actions (unread counts), presence.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 6,
  name: 'userdata',
  up(db) {
    db.run(`CREATE TABLE user_filters (
      user_id TEXT NOT NULL,
      filter_id INTEGER NOT NULL,
      filter_json TEXT NOT NULL,
      PRIMARY KEY (user_id, filter_id)
    )`);
    // room_id '' = global account data. stream_pos orders the account_data sync stream.
    db.run(`CREATE TABLE account_data (
      user_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      type TEXT NOT NULL,
      content TEXT NOT NULL,
      stream_pos INTEGER NOT NULL,
      PRIMARY KEY (user_id, room_id, type)
    )`);
    db.run(`CREATE INDEX account_data_stream ON account_data (user_id, stream_pos)`);
    // thread_id '' = an unthreaded receipt.
    db.run(`CREATE TABLE receipts (
      room_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      receipt_type TEXT NOT NULL,
      thread_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      ts INTEGER NOT NULL,
      stream_pos INTEGER NOT NULL,
      PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
    )`);
    db.run(`CREATE INDEX receipts_stream ON receipts (stream_pos)`);
    // How far a user has read, per room and thread ('' = everything, 'main' = main timeline),
    // as an event stream ordering; notifications at or below it are read.
    db.run(`CREATE TABLE read_positions (
      user_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      thread_id TEXT NOT NULL,
      stream_ordering INTEGER NOT NULL,
      PRIMARY KEY (user_id, room_id, thread_id)
    )`);
    // One row per (event, member) whose push rules said notify.
    db.run(`CREATE TABLE push_actions (
      user_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      stream_ordering INTEGER NOT NULL,
      event_id TEXT NOT NULL,
      thread_id TEXT NOT NULL,
      highlight INTEGER NOT NULL,
      actions TEXT NOT NULL,
      ts INTEGER NOT NULL,
      PRIMARY KEY (user_id, room_id, stream_ordering)
    )`);
    db.run(`CREATE INDEX push_actions_user ON push_actions (user_id, stream_ordering)`);
    // Events that belong to a thread, so relations to them (reactions, edits) count in that thread.
    db.run(`CREATE TABLE event_threads (
      event_id TEXT PRIMARY KEY,
      thread_id TEXT NOT NULL
    )`);
    db.run(`CREATE TABLE presence (
      user_id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      status_msg TEXT,
      last_active_ts INTEGER NOT NULL,
      stream_pos INTEGER NOT NULL
    )`);
    db.run(`CREATE INDEX presence_stream ON presence (stream_pos)`);
  },
};
