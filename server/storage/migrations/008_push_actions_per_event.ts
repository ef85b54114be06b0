// Migration 8: push actions as one row per notifying event instead of one per (member, event).
// A message in a room of n members wrote n - 1 rows into two indexes; now it writes one row
// that lists who was notified. Existing rows are folded into the new layout in SQL (no row
// objects in JavaScript, so a 1M-event database migrates in bounded memory).
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 8,
  name: 'push_actions_per_event',
  up(db) {
    // stream_ordering is the event's stream position (unique across rooms), so GET /notifications
    // walks the rowid backwards; push_events_room gives one room's range for unread counts.
    //  notified:      ' @a:x @b:x '  every member notified (space-separated: user IDs have no spaces)
    //  highlighted:   the same for the members it highlights, or ''
    //  actions:       JSON actions shared by the notified members not in other_actions
    //  other_actions: NULL, or JSON {userId: actions} for members whose actions differ
    db.run(`CREATE TABLE push_events (
      stream_ordering INTEGER PRIMARY KEY,
      room_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      thread_id TEXT NOT NULL,
      ts INTEGER NOT NULL,
      notified TEXT NOT NULL,
      highlighted TEXT NOT NULL,
      actions TEXT NOT NULL,
      other_actions TEXT
    )`);
    db.run(`CREATE INDEX push_events_room ON push_events (room_id, stream_ordering)`);
    // Highlights are rare: their own per-user rows keep GET /notifications?only=highlight a
    // range read instead of a walk through every notification.
    db.run(`CREATE TABLE push_highlights (
      user_id TEXT NOT NULL,
      stream_ordering INTEGER NOT NULL,
      room_id TEXT NOT NULL,
      PRIMARY KEY (user_id, stream_ordering)
    ) WITHOUT ROWID`);
    // Per user and room: notifications at or before this stream ordering were read long ago and
    // are no longer listed (what deleting the user's rows did before).
    db.run(`CREATE TABLE push_pruned (
      room_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      stream_ordering INTEGER NOT NULL,
      PRIMARY KEY (room_id, user_id)
    ) WITHOUT ROWID`);

    // Grouping by event through an index on it: sorting the narrow keys and reading the rows in
    // that order takes about half the time of sorting the rows themselves.
    db.run(`CREATE INDEX push_actions_event ON push_actions (stream_ordering)`);
    // Events whose members had different actions are marked with other_actions = '' and fixed below.
    db.run(`INSERT INTO push_events (stream_ordering, room_id, event_id, thread_id, ts, notified, highlighted, actions, other_actions)
      SELECT stream_ordering, min(room_id), min(event_id), min(thread_id), min(ts),
             ' ' || group_concat(user_id, ' ') || ' ',
             coalesce(' ' || group_concat(CASE WHEN highlight = 1 THEN user_id END, ' ') || ' ', ''),
             coalesce(min(CASE WHEN highlight = 0 THEN actions END), min(actions)),
             CASE WHEN min(actions) != max(actions) THEN '' END
        FROM push_actions GROUP BY stream_ordering`);
    // Members whose actions differ from the event's shared ones (mentions, custom rules): few events.
    const mixed = db.all<{ stream_ordering: number; actions: string }>(`SELECT stream_ordering, actions FROM push_events WHERE other_actions = ''`);
    for (const event of mixed) {
      const byUser: Record<string, unknown> = {};
      const rows = db.all<{ user_id: string; actions: string }>(`SELECT user_id, actions FROM push_actions WHERE stream_ordering = ? ORDER BY user_id`, [event.stream_ordering]);
      for (const r of rows) if (r.actions !== event.actions) byUser[r.user_id] = JSON.parse(r.actions);
      db.run(`UPDATE push_events SET other_actions = ? WHERE stream_ordering = ?`, [JSON.stringify(byUser), event.stream_ordering]);
    }
    db.run(`INSERT INTO push_highlights (user_id, stream_ordering, room_id) SELECT user_id, stream_ordering, room_id FROM push_actions WHERE highlight = 1`);
    // A member's rows that are left start after those pruning already deleted: recording that
    // hides nothing and saves the first prune after the migration a walk through older rows.
    db.run(`INSERT INTO push_pruned (room_id, user_id, stream_ordering) SELECT room_id, user_id, min(stream_ordering) - 1 FROM push_actions GROUP BY user_id, room_id`);
    db.run(`DROP TABLE push_actions`);
  },
};
