// Migration 9: stretches of a room's stream positions in which a member was not notified
// (a muted room, "mentions only"), so GET /notifications can skip them instead of testing every
// push row of a busy room. Written by the push hook when a member's state switches, never per event
// (server/push/silences.ts). No backfill: a room without silence rows is read as before, which is
// correct, just not faster; silences start with the events stored after this migration.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 9,
  name: 'push_silences',
  up(db) {
    // Positions since_pos <= p < until_pos of room_id held no notification of user_id; until_pos is
    // NULL while the silence is open (it ends at the newest event). A member's silences in a room
    // never overlap, so ordered by since_pos they are ordered by until_pos too.
    db.run(`CREATE TABLE push_silences (
      user_id TEXT NOT NULL,
      room_id TEXT NOT NULL,
      since_pos INTEGER NOT NULL,
      until_pos INTEGER,
      PRIMARY KEY (user_id, room_id, since_pos)
    ) WITHOUT ROWID`);
    // The push hook reads a room's open silences once per start (a notification must close them).
    db.run(`CREATE INDEX push_silences_open ON push_silences (room_id) WHERE until_pos IS NULL`);
  },
};
