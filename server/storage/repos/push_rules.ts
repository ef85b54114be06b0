// What push rule evaluation stores: one push_events row per notifying event, listing the members
// it notified (migration 008), and which thread an event belongs to. (The rules themselves are
// the user's m.push_rules account data.) A member is found in a row's lists as ' userId '.
// GET /notifications' list is in ./notification_list.ts.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface PushEventRow {
  room_id: string;
  stream_ordering: number;
  event_id: string;
  thread_id: string;
  ts: number;
}

/** One member an event notifies: the JSON of its actions, and whether they highlight. */
export interface NotifiedMember {
  userId: string;
  actions: string;
  highlight: boolean;
}

export const needle = (userId: string): string => ` ${userId} `;

/**
 * Stores who an event notified: one row whatever the room size. The actions most members share
 * are stored once; members with others (a mention's highlight, custom rules) are listed apart.
 */
export function insertPushEvent(db: SqlWriter, row: PushEventRow, members: readonly NotifiedMember[]): void {
  if (!members.length) return;
  const uses = new Map<string, number>();
  let shared = members[0]!.actions;
  let best = 0;
  for (const m of members) {
    const n = (uses.get(m.actions) ?? 0) + 1;
    uses.set(m.actions, n);
    if (n > best) [best, shared] = [n, m.actions];
  }
  let notified = ' ';
  let highlighted = '';
  let others = '';
  const highlights: string[] = [];
  for (const m of members) {
    notified += `${m.userId} `;
    if (m.highlight) {
      highlighted += highlighted ? `${m.userId} ` : ` ${m.userId} `;
      highlights.push(m.userId);
    }
    if (m.actions !== shared) others += `${others ? ',' : '{'}${JSON.stringify(m.userId)}:${m.actions}`;
  }
  db.run(
    `INSERT INTO push_events (stream_ordering, room_id, event_id, thread_id, ts, notified, highlighted, actions, other_actions)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [row.stream_ordering, row.room_id, row.event_id, row.thread_id, row.ts, notified, highlighted, shared, others ? `${others}}` : null],
  );
  if (highlights.length) {
    db.run(
      `INSERT INTO push_highlights (user_id, stream_ordering, room_id) VALUES ${highlights.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
      highlights.flatMap((u) => [u, row.stream_ordering, row.room_id]),
    );
  }
}

/** One member's push action for an event (tests and benchmarks build rows this way). */
export function insertPushAction(db: SqlWriter, userId: string, a: PushEventRow & { highlight: number; actions: string }): void {
  insertPushEvent(db, a, [{ userId, actions: a.actions, highlight: a.highlight === 1 }]);
}

/** The JSON actions a row holds for one of the members it notified. */
export function actionsFor(row: { actions: string; other_actions: string | null }, userId: string): string {
  if (row.other_actions === null || !row.other_actions.includes(JSON.stringify(userId))) return row.actions;
  const own = (JSON.parse(row.other_actions) as Record<string, unknown>)[userId];
  return own === undefined ? row.actions : JSON.stringify(own);
}

export interface UnreadCount {
  thread_id: string;
  notifications: number;
  highlights: number;
}

/**
 * Unread notifications of a user in a room, per thread: those after both the unthreaded read
 * position and the thread's own read position. A range of the room's rows after the unthreaded
 * position, filtered to the user's and counted in SQL.
 */
export function unreadCounts(db: SqlReader, userId: string, roomId: string): UnreadCount[] {
  const me = needle(userId);
  const positions = readPositionsIn(db, userId, roomId);
  const unthreaded = positions.find((p) => p.thread_id === '')?.stream_ordering ?? 0;
  const counts = db.all<UnreadCount>(
    `SELECT thread_id, count(*) AS notifications, coalesce(sum(instr(highlighted, ?) > 0), 0) AS highlights
       FROM push_events WHERE room_id = ? AND stream_ordering > ? AND instr(notified, ?) > 0 GROUP BY thread_id`,
    [me, roomId, unthreaded, me],
  );
  for (const p of positions) {
    if (p.thread_id === '' || p.stream_ordering <= unthreaded) continue;
    const c = counts.find((x) => x.thread_id === p.thread_id);
    if (!c) continue;
    // Read in that thread up to its own position: take those back out.
    const read = db.get<{ n: number; h: number }>(
      `SELECT count(*) AS n, coalesce(sum(instr(highlighted, ?) > 0), 0) AS h FROM push_events
        WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ? AND thread_id = ? AND instr(notified, ?) > 0`,
      [me, roomId, unthreaded, p.stream_ordering, p.thread_id, me],
    )!;
    c.notifications -= read.n;
    c.highlights -= read.h;
  }
  return counts.filter((c) => c.notifications > 0);
}

/**
 * The user's read positions in a room: '' is the unthreaded one, others are per thread. In no
 * particular order: with ORDER BY the statement cost ≈ 8× as much (measured 15–20 vs 2–3 µs).
 */
export function readPositionsIn(db: SqlReader, userId: string, roomId: string): { thread_id: string; stream_ordering: number }[] {
  return db.all<{ thread_id: string; stream_ordering: number }>(
    `SELECT thread_id, stream_ordering FROM read_positions WHERE user_id = ? AND room_id = ?`,
    [userId, roomId],
  );
}

/** The user's push actions in a room after a stream ordering (the room's range, filtered to the user). */
export function pushActionsAfter(db: SqlReader, userId: string, roomId: string, after: number): { thread_id: string; stream_ordering: number; highlight: number }[] {
  const me = needle(userId);
  return db.all<{ thread_id: string; stream_ordering: number; highlight: number }>(
    `SELECT thread_id, stream_ordering, instr(highlighted, ?) > 0 AS highlight FROM push_events
      WHERE room_id = ? AND stream_ordering > ? AND instr(notified, ?) > 0`,
    [me, roomId, after, me],
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
  const me = needle(userId);
  return db.all<{ kind: 'read' | 'action'; thread_id: string; stream_ordering: number; highlight: number }>(
    `SELECT 'read' AS kind, thread_id, stream_ordering, 0 AS highlight FROM read_positions WHERE user_id = ? AND room_id = ?
     UNION ALL
     SELECT 'action' AS kind, thread_id, stream_ordering, instr(highlighted, ?) > 0 AS highlight FROM push_events
      WHERE room_id = ? AND stream_ordering > ? AND instr(notified, ?) > 0`,
    [userId, roomId, me, roomId, after, me],
  );
}

/** The push action stored for one user and one event, if their rules said notify. */
export function pushActionFor(db: SqlReader, userId: string, roomId: string, streamPos: number): { actions: string; highlight: number } | undefined {
  const me = needle(userId);
  const row = db.get<{ actions: string; other_actions: string | null; highlight: number }>(
    `SELECT actions, other_actions, instr(highlighted, ?) > 0 AS highlight FROM push_events
      WHERE stream_ordering = ? AND room_id = ? AND instr(notified, ?) > 0`,
    [me, streamPos, roomId, me],
  );
  return row && { actions: actionsFor(row, userId), highlight: row.highlight };
}

export function getEventThread(db: SqlReader, eventId: string): string | undefined {
  return db.get<{ thread_id: string }>(`SELECT thread_id FROM event_threads WHERE event_id = ?`, [eventId])?.thread_id;
}

export function putEventThread(db: SqlWriter, eventId: string, threadId: string): void {
  db.run(`INSERT INTO event_threads (event_id, thread_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, [eventId, threadId]);
}

/** Rows looked at per prune: a receipt's write stays short; the rest is pruned by later receipts. */
const PRUNE_BATCH = 2_000;

/**
 * Stops listing a room's notifications of the user that are read (at or before `readUpTo`) and
 * older than `before` (ms): moves the user's pruned position in the room up to the first row too
 * new to prune. Events' timestamps rise with their stream order, so that is the rows the old
 * per-member layout deleted; a timestamp out of order only keeps later rows listed until it is
 * old enough. A row is deleted once every member it notified has pruned it.
 */
export function pruneReadNotifications(db: SqlWriter, userId: string, roomId: string, readUpTo: number, before: number): void {
  const done = db.get<{ s: number }>(`SELECT stream_ordering AS s FROM push_pruned WHERE room_id = ? AND user_id = ?`, [roomId, userId])?.s ?? 0;
  if (readUpTo <= done) return;
  // Usually the first row after the pruned ones is too new: nothing to do, one row looked at.
  const tooNew = db.get<{ s: number }>(
    `SELECT stream_ordering AS s FROM push_events WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ? AND ts >= ? ORDER BY stream_ordering LIMIT 1`,
    [roomId, done, readUpTo, before],
  )?.s;
  let upTo = tooNew !== undefined ? tooNew - 1 : readUpTo;
  if (upTo <= done) return;
  const rows = db.all<{ stream_ordering: number; notified: string }>(
    `SELECT stream_ordering, notified FROM push_events WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ? ORDER BY stream_ordering LIMIT ?`,
    [roomId, done, upTo, PRUNE_BATCH],
  );
  if (!rows.length) return; // nothing listed there to hide
  if (rows.length === PRUNE_BATCH) upTo = rows[rows.length - 1]!.stream_ordering;
  db.run(
    `INSERT INTO push_pruned (room_id, user_id, stream_ordering) VALUES (?, ?, ?)
     ON CONFLICT (room_id, user_id) DO UPDATE SET stream_ordering = excluded.stream_ordering`,
    [roomId, userId, upTo],
  );
  db.run(`DELETE FROM push_highlights WHERE user_id = ? AND stream_ordering > ? AND stream_ordering <= ? AND room_id = ?`, [userId, done, upTo, roomId]);
  const pruned = new Map(
    db.all<{ user_id: string; s: number }>(`SELECT user_id, stream_ordering AS s FROM push_pruned WHERE room_id = ?`, [roomId]).map((r) => [r.user_id, r.s]),
  );
  const gone: number[] = [];
  for (const r of rows) {
    const members = r.notified.trim().split(' ');
    if (members.every((m) => (pruned.get(m) ?? 0) >= r.stream_ordering)) gone.push(r.stream_ordering);
  }
  for (let i = 0; i < gone.length; i += 500) {
    const chunk = gone.slice(i, i + 500);
    db.run(`DELETE FROM push_events WHERE stream_ordering IN (${chunk.map(() => '?').join(', ')})`, chunk);
  }
}
