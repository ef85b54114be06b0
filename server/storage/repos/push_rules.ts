// What push rule evaluation stores: a push action per (member, notifying event), and which
// thread an event belongs to. (The rules themselves are the user's m.push_rules account data.)
import type { SqlReader, SqlWriter } from '../types.ts';

export interface PushActionRow {
  room_id: string;
  stream_ordering: number;
  event_id: string;
  thread_id: string;
  highlight: number;
  actions: string;
  ts: number;
}

export function insertPushAction(db: SqlWriter, userId: string, a: PushActionRow): void {
  insertPushActions(db, [{ userId, ...a }]);
}

/** One statement for all the members an event notifies (one bind, one journal entry, instead of one each). */
export function insertPushActions(db: SqlWriter, rows: readonly (PushActionRow & { userId: string })[]): void {
  if (!rows.length) return;
  const params: (string | number)[] = [];
  for (const a of rows) params.push(a.userId, a.room_id, a.stream_ordering, a.event_id, a.thread_id, a.highlight, a.actions, a.ts);
  db.run(
    `INSERT INTO push_actions (user_id, room_id, stream_ordering, event_id, thread_id, highlight, actions, ts) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
     ON CONFLICT DO NOTHING`,
    params,
  );
}

export interface UnreadCount {
  thread_id: string;
  notifications: number;
  highlights: number;
}

/**
 * Unread notifications of a user in a room, per thread: those after both the unthreaded read
 * position and the thread's own read position. Range scans on the primary key; rows before the
 * unthreaded position are never visited.
 */
export function unreadCounts(db: SqlReader, userId: string, roomId: string): UnreadCount[] {
  const positions = db.all<{ thread_id: string; stream_ordering: number }>(
    `SELECT thread_id, stream_ordering FROM read_positions WHERE user_id = ? AND room_id = ?`,
    [userId, roomId],
  );
  const unthreaded = positions.find((p) => p.thread_id === '')?.stream_ordering ?? 0;
  const counts = db.all<UnreadCount>(
    `SELECT thread_id, count(*) AS notifications, coalesce(sum(highlight), 0) AS highlights
       FROM push_actions WHERE user_id = ? AND room_id = ? AND stream_ordering > ? GROUP BY thread_id`,
    [userId, roomId, unthreaded],
  );
  for (const p of positions) {
    if (p.thread_id === '' || p.stream_ordering <= unthreaded) continue;
    const c = counts.find((x) => x.thread_id === p.thread_id);
    if (!c) continue;
    // Read in that thread up to its own position: take those back out.
    const read = db.get<{ n: number; h: number }>(
      `SELECT count(*) AS n, coalesce(sum(highlight), 0) AS h FROM push_actions
        WHERE user_id = ? AND room_id = ? AND stream_ordering > ? AND stream_ordering <= ? AND thread_id = ?`,
      [userId, roomId, unthreaded, p.stream_ordering, p.thread_id],
    )!;
    c.notifications -= read.n;
    c.highlights -= read.h;
  }
  return counts.filter((c) => c.notifications > 0);
}

/** The user's read positions in a room: '' is the unthreaded one, others are per thread. */
export function readPositionsIn(db: SqlReader, userId: string, roomId: string): { thread_id: string; stream_ordering: number }[] {
  return db.all<{ thread_id: string; stream_ordering: number }>(
    `SELECT thread_id, stream_ordering FROM read_positions WHERE user_id = ? AND room_id = ? ORDER BY thread_id`,
    [userId, roomId],
  );
}

/** The user's push actions in a room after a stream ordering (a range scan on the primary key). */
export function pushActionsAfter(db: SqlReader, userId: string, roomId: string, after: number): { thread_id: string; stream_ordering: number; highlight: number }[] {
  return db.all<{ thread_id: string; stream_ordering: number; highlight: number }>(
    `SELECT thread_id, stream_ordering, highlight FROM push_actions WHERE user_id = ? AND room_id = ? AND stream_ordering > ?`,
    [userId, roomId, after],
  );
}

/**
 * The user's read positions in a room (kind 'read') and their push actions there after a stream
 * ordering (kind 'action'), in one statement: what an unread count that is kept up to date needs
 * per /sync.
 */
export function readPositionsAndActionsAfter(
  db: SqlReader,
  userId: string,
  roomId: string,
  after: number,
): { kind: 'read' | 'action'; thread_id: string; stream_ordering: number; highlight: number }[] {
  return db.all<{ kind: 'read' | 'action'; thread_id: string; stream_ordering: number; highlight: number }>(
    `SELECT 'read' AS kind, thread_id, stream_ordering, 0 AS highlight FROM read_positions WHERE user_id = ? AND room_id = ?
     UNION ALL
     SELECT 'action' AS kind, thread_id, stream_ordering, highlight FROM push_actions WHERE user_id = ? AND room_id = ? AND stream_ordering > ?`,
    [userId, roomId, userId, roomId, after],
  );
}

export interface NotificationRow extends PushActionRow {
  read: number;
}

/** The user's notifications, newest first, before `before` (a stream ordering), for GET /notifications. */
export function listNotifications(db: SqlReader, userId: string, before: number, limit: number, highlightOnly: boolean): NotificationRow[] {
  return db.all<NotificationRow>(
    `SELECT pa.room_id, pa.stream_ordering, pa.event_id, pa.thread_id, pa.highlight, pa.actions, pa.ts,
            (pa.stream_ordering <= coalesce((SELECT stream_ordering FROM read_positions WHERE user_id = pa.user_id AND room_id = pa.room_id AND thread_id = ''), 0)
             OR pa.stream_ordering <= coalesce((SELECT stream_ordering FROM read_positions r WHERE r.user_id = pa.user_id AND r.room_id = pa.room_id AND r.thread_id = pa.thread_id), 0)) AS read
       FROM push_actions pa
      WHERE pa.user_id = ? AND pa.stream_ordering < ? ${highlightOnly ? 'AND pa.highlight = 1' : ''}
      ORDER BY pa.stream_ordering DESC LIMIT ?`,
    [userId, before, limit],
  );
}

export function getEventThread(db: SqlReader, eventId: string): string | undefined {
  return db.get<{ thread_id: string }>(`SELECT thread_id FROM event_threads WHERE event_id = ?`, [eventId])?.thread_id;
}

export function putEventThread(db: SqlWriter, eventId: string, threadId: string): void {
  db.run(`INSERT INTO event_threads (event_id, thread_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, [eventId, threadId]);
}

/** Drops notifications of a room that are read (at or before `readUpTo`) and older than `before` (ms). */
export function pruneReadNotifications(db: SqlWriter, userId: string, roomId: string, readUpTo: number, before: number): void {
  db.run(`DELETE FROM push_actions WHERE user_id = ? AND room_id = ? AND stream_ordering <= ? AND ts < ?`, [userId, roomId, readUpTo, before]);
}
