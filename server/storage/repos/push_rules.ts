// What push rule evaluation stores: one push_events row per notifying event, listing the members
// it notified (migration 008), and which thread an event belongs to. (The rules themselves are
// the user's m.push_rules account data.) A member is found in a row's lists as ' userId '.
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

const needle = (userId: string): string => ` ${userId} `;

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

export interface NotificationRow extends PushEventRow {
  /** JSON of the user's actions. */
  actions: string;
  highlight: number;
  read: number;
}

/** Stream positions the first window of a GET /notifications page spans; each next one is twice as wide. */
const FIRST_WINDOW = 64;

/**
 * The user's notifications, newest first, before `before` (a stream ordering), for GET
 * /notifications. Highlights come from their own per-user rows. The others are in rooms the
 * user is or was in (only members are notified, and memberships rows stay after leaving): those
 * rooms' rows are read through push_events_room in windows of stream positions going back from
 * `before`, each twice as wide as the last, until the page is full. So a page costs what the
 * user's rooms hold since its oldest notification (at most ≈ 2× that), not the server's history.
 * Where the user's rooms hold a good share of the rows anyway, walking down all rows is cheaper
 * (mostlyTheirs()). A room the user left is read only up to their leaving (UNTIL_LEFT).
 * Notifications pruned for the user (push_pruned) are left out.
 */
export function listNotifications(db: SqlReader, userId: string, before: number, limit: number, highlightOnly: boolean): NotificationRow[] {
  const me = needle(userId);
  const columns = `pe.room_id, pe.stream_ordering, pe.event_id, pe.thread_id, pe.ts, pe.actions, pe.other_actions,
      instr(pe.highlighted, ?) > 0 AS highlight,
      (pe.stream_ordering <= coalesce((SELECT stream_ordering FROM read_positions WHERE user_id = ? AND room_id = pe.room_id AND thread_id = ''), 0)
       OR pe.stream_ordering <= coalesce((SELECT stream_ordering FROM read_positions r WHERE r.user_id = ? AND r.room_id = pe.room_id AND r.thread_id = pe.thread_id), 0)) AS read`;
  type Found = NotificationRow & { other_actions: string | null };
  let rows: Found[];
  if (highlightOnly) {
    rows = db.all<Found>(
      `SELECT ${columns} FROM push_highlights h JOIN push_events pe ON pe.stream_ordering = h.stream_ordering
        WHERE h.user_id = ? AND h.stream_ordering < ? AND ${NOT_PRUNED} ORDER BY h.stream_ordering DESC LIMIT ?`,
      [me, userId, userId, userId, before, userId, limit],
    );
  } else {
    const found: number[] = [];
    const newest = db.get<{ s: number | null }>(`SELECT max(stream_ordering) AS s FROM push_events`)?.s ?? null;
    // Windows [low, high): `high` starts just past the newest row (or at `before`) and walks down to 0.
    let high = newest === null ? 0 : Math.min(before, newest + 1);
    for (let width = FIRST_WINDOW; high > 0 && found.length < limit; width *= 2) {
      const low = Math.max(0, high - width);
      if (width > 1024 && mostlyTheirs(db, userId, low, high)) {
        // The rest of the page in one walk down all rows, which stops at its last notification.
        found.push(...notifiedBelow(db, userId, high, limit).slice(0, limit - found.length));
        break;
      }
      found.push(...notifiedInTheirRooms(db, userId, low, high, limit).slice(0, limit - found.length));
      high = low;
    }
    rows = found.length
      ? db.all<Found>(`SELECT ${columns} FROM push_events pe WHERE pe.stream_ordering IN (SELECT value FROM json_each(?)) ORDER BY pe.stream_ordering DESC`, [
          me,
          userId,
          userId,
          JSON.stringify(found),
        ])
      : [];
  }
  return rows.map(({ other_actions, ...row }) => ({ ...row, actions: actionsFor({ actions: row.actions, other_actions }, userId) }));
}

/**
 * The end (exclusive) of a room's rows that may notify the user, given `high` bound twice: a room
 * they are no longer joined to has none after their membership's last change (only joined members
 * are notified), so a room they left costs nothing for what happened there since.
 */
const UNTIL_LEFT = `iif(m.membership = 'join', ?, min(?, m.stream_pos + 1))`;

const NOT_PRUNED = `pe.stream_ordering > coalesce((SELECT stream_ordering FROM push_pruned p WHERE p.room_id = pe.room_id AND p.user_id = ?), 0)`;

/**
 * Whether the user's rooms hold a sixth or more of the window's positions. A row read through
 * push_events_room costs ≈ 4× one read walking down all rows (measured 3.3–4.2 vs 1.0 µs with
 * 100k rows: rooms' rows are interleaved, so the index walk still reads most table pages, one
 * lookup each), and the walk down all rows stops at the page's last notification where the
 * window may reach ≈ 1.5× further back. Positions stand in for the window's rows (most events
 * are messages, which notify someone). Counting costs ≈ 0.1 µs per row: not worth it for small windows.
 */
function mostlyTheirs(db: SqlReader, userId: string, low: number, high: number): boolean {
  const { n } = db.get<{ n: number }>(
    `SELECT count(*) AS n FROM memberships m JOIN push_events pe INDEXED BY push_events_room
       ON pe.room_id = m.room_id AND pe.stream_ordering >= ? AND pe.stream_ordering < ${UNTIL_LEFT}
      WHERE m.user_id = ?`,
    [low, high, high, userId],
  )!;
  return 6 * n >= high - low;
}

/**
 * Stream orderings of the user's listed notifications in [low, high), newest first, at most
 * `limit` (the page's: the LIMIT's value is part of SQLite's plan, and a new one recompiles it),
 * read through push_events_room in each of their rooms from the pruned position or `low` up to
 * where they left it. SQLite stops each room's walk once it cannot improve the page.
 */
function notifiedInTheirRooms(db: SqlReader, userId: string, low: number, high: number, limit: number): number[] {
  return db
    .all<{ s: number }>(
      `SELECT pe.stream_ordering AS s FROM memberships m LEFT JOIN push_pruned p ON p.room_id = m.room_id AND p.user_id = m.user_id
         JOIN push_events pe INDEXED BY push_events_room
           ON pe.room_id = m.room_id AND pe.stream_ordering > max(?, coalesce(p.stream_ordering, 0)) AND pe.stream_ordering < ${UNTIL_LEFT}
        WHERE m.user_id = ? AND instr(pe.notified, ?) > 0 ORDER BY pe.stream_ordering DESC LIMIT ?`,
      [low - 1, high, high, userId, needle(userId), limit],
    )
    .map((r) => r.s);
}

/** Stream orderings of the user's listed notifications before `high`, newest first, at most `limit`: a walk down all rows. */
function notifiedBelow(db: SqlReader, userId: string, high: number, limit: number): number[] {
  return db
    .all<{ s: number }>(
      `SELECT stream_ordering AS s FROM push_events pe
        WHERE pe.stream_ordering < ? AND instr(pe.notified, ?) > 0 AND ${NOT_PRUNED} ORDER BY pe.stream_ordering DESC LIMIT ?`,
      [high, needle(userId), userId, limit],
    )
    .map((r) => r.s);
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
