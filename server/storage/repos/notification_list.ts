// GET /notifications' list (server/api/notifications.ts): the user's notifications newest first,
// read from push_events (one row per notifying event, migration 008) so that a page costs what
// the user's own rooms hold, not the server's history.
import type { SqlReader } from '../types.ts';
import { actionsFor, needle, type PushEventRow } from './push_rules.ts';
import { SILENCED, silencesOverlapping, type Silence } from './push_silences.ts';

export interface NotificationRow extends PushEventRow {
  /** JSON of the user's actions. */
  actions: string;
  highlight: number;
  read: number;
}

/** Stream positions the first window of a GET /notifications page spans; each next one is twice as wide. */
const FIRST_WINDOW = 64;

/** A room the user is or was in: where its rows that may be theirs end and begin. */
interface TheirRoom {
  roomId: string;
  /** Exclusive end: only joined members are notified, so a room they left ends at their leaving. */
  end: number;
  /** Their rows at or before this were pruned (push_pruned). */
  pruned: number;
  /** Whether they have silences there (most members have none anywhere: their pages skip the reads). */
  silenced: boolean;
}

/** [room_id, first, end) ranges of push rows to read. */
type Span = [string, number, number];

/**
 * The user's notifications, newest first, before `before` (a stream ordering). Highlights come
 * from their own per-user rows. The others are in rooms the user is or was in (only members are
 * notified, and memberships rows stay after leaving): those rooms' rows are read through
 * push_events_room in windows of stream positions going back from `before`, each twice as wide
 * as the last, until the page is full. So a page costs what the user's rooms hold since its oldest
 * notification (at most ≈ 2× that), not the server's history. Left out of each room's range: what
 * came after the user left it, what was pruned for them, and their silences there (stretches in
 * which they were not notified, e.g. a muted busy room: migration 009). Where the rest of the
 * user's rooms holds a good share of the rows anyway, walking down all rows is cheaper (see
 * mostlyTheirs).
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
    const rooms = theirRooms(db, userId);
    const silenced = rooms.some((r) => r.silenced);
    // Windows [low, high): `high` starts just past the newest row (or at `before`) and walks down to 0.
    let high = newest === null ? 0 : Math.min(before, newest + 1);
    for (let width = FIRST_WINDOW; high > 0 && found.length < limit; width *= 2) {
      const low = Math.max(0, high - width);
      const spans = spansOf(rooms, silenced ? silencesOverlapping(db, userId, low, high) : null, low, high);
      if (width > 1024 && spans.length && mostlyTheirs(db, spans, high - low)) {
        // The rest of the page in one walk down all rows, which stops at its last notification.
        found.push(...notifiedBelow(db, userId, high, limit).slice(0, limit - found.length));
        break;
      }
      if (spans.length) found.push(...notifiedIn(db, spans, userId, limit).slice(0, limit - found.length));
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

const NOT_PRUNED = `pe.stream_ordering > coalesce((SELECT stream_ordering FROM push_pruned p WHERE p.room_id = pe.room_id AND p.user_id = ?), 0)`;

function theirRooms(db: SqlReader, userId: string): TheirRoom[] {
  return db
    .all<{ room_id: string; membership: string; stream_pos: number; pruned: number; silenced: number }>(
      `SELECT m.room_id, m.membership, m.stream_pos, coalesce(p.stream_ordering, 0) AS pruned, ${SILENCED} AS silenced
         FROM memberships m LEFT JOIN push_pruned p ON p.room_id = m.room_id AND p.user_id = m.user_id WHERE m.user_id = ?`,
      [userId],
    )
    .map((r) => ({ roomId: r.room_id, end: r.membership === 'join' ? Number.MAX_SAFE_INTEGER : r.stream_pos + 1, pruned: r.pruned, silenced: r.silenced === 1 }));
}

/**
 * The ranges of [low, high) to read in each of the user's rooms: from the pruned position (or
 * `low`) to where they left (or `high`), less their silences there (given newest first; an open
 * one reaches past `high`).
 */
function spansOf(rooms: readonly TheirRoom[], silences: Map<string, Silence[]> | null, low: number, high: number): Span[] {
  const spans: Span[] = [];
  for (const room of rooms) {
    const first = Math.max(low, room.pruned + 1);
    let top = Math.min(high, room.end);
    for (const s of silences?.get(room.roomId) ?? []) {
      if (top <= first) break;
      const after = s.until ?? Number.MAX_SAFE_INTEGER;
      if (after < top) spans.push([room.roomId, Math.max(after, first), top]);
      top = Math.min(top, s.since);
    }
    if (top > first) spans.push([room.roomId, first, top]);
  }
  return spans.length > MAX_SPANS ? fewerSpans(spans, MAX_SPANS) : spans;
}

/**
 * Spans per query at most (bound parameters are limited, and each span is an index seek): a wide
 * window over many short silences (someone mentioned now and then in a busy room) could have
 * thousands.
 */
const MAX_SPANS = 256;

/**
 * Joins a room's neighbouring spans across the shortest silences between them until at most
 * `max` are left (or one per room): their rows are then read and tested like any other, which
 * is as right, only slower.
 */
function fewerSpans(spans: readonly Span[], max: number): Span[] {
  // A room's spans are next to each other, newest first: gap i lies between spans i and i + 1.
  const gaps: number[] = [];
  for (let i = 0; i + 1 < spans.length; i++) if (spans[i]![0] === spans[i + 1]![0]) gaps.push(i);
  gaps.sort((a, b) => spans[a]![1] - spans[a + 1]![2] - (spans[b]![1] - spans[b + 1]![2]));
  const join = new Set(gaps.slice(0, spans.length - max));
  const out: Span[] = [];
  for (let i = 0; i < spans.length; i++) {
    const [roomId, first, top] = spans[i]!;
    if (join.has(i - 1)) out[out.length - 1]![1] = first;
    else out.push([roomId, first, top]);
  }
  return out;
}

/**
 * The spans as a VALUES list of (?, ?, ?) rows, as many as the next power of two, so
 * that a few statements are compiled and kept; the rest are (NULL, 0, 0), which match no row.
 * (Passed as one JSON parameter through json_each, a query cost ≈ 2× as much: measured 14–29 vs
 * 12–14 µs for three rooms' spans.)
 */
function valuesFor(spans: readonly Span[]): string {
  return `VALUES ${'(?, ?, ?), '.repeat(slotsFor(spans) - 1)}(?, ?, ?)`;
}

function paramsFor(spans: readonly Span[]): (string | number | null)[] {
  const params: (string | number | null)[] = spans.flat();
  for (let i = spans.length; i < slotsFor(spans); i++) params.push(null, 0, 0);
  return params;
}

function slotsFor(spans: readonly Span[]): number {
  let slots = 1;
  while (slots < spans.length) slots *= 2;
  return slots;
}

/**
 * Whether the spans hold a sixth or more of the window's positions. A row read through
 * push_events_room costs ≈ 4× one read walking down all rows (measured 3.3–4.2 vs 1.0 µs with
 * 100k rows: rooms' rows are interleaved, so the index walk still reads most table pages, one
 * lookup each), and the walk down all rows stops at the page's last notification where the
 * window may reach ≈ 1.5× further back. Counting costs ≈ 0.1 µs per row: not worth it for small
 * windows. Silenced stretches are not counted: they hold no notification of the user, and the
 * spans skip them where the walk down all rows would read them.
 */
function mostlyTheirs(db: SqlReader, spans: readonly Span[], width: number): boolean {
  const { n } = db.get<{ n: number }>(
    `WITH span (room_id, low, high) AS (${valuesFor(spans)}) SELECT count(*) AS n FROM span JOIN push_events pe INDEXED BY push_events_room
        ON pe.room_id = span.room_id AND pe.stream_ordering >= span.low AND pe.stream_ordering < span.high`,
    paramsFor(spans),
  )!;
  return 6 * n >= width;
}

/**
 * Stream orderings of the user's notifications in the spans, newest first, at most `limit` (the
 * page's: the LIMIT's value is part of SQLite's plan, and a new one recompiles it), read through
 * push_events_room.
 */
function notifiedIn(db: SqlReader, spans: readonly Span[], userId: string, limit: number): number[] {
  return db
    .all<{ s: number }>(
      `WITH span (room_id, low, high) AS (${valuesFor(spans)}) SELECT pe.stream_ordering AS s FROM span JOIN push_events pe INDEXED BY push_events_room
          ON pe.room_id = span.room_id AND pe.stream_ordering >= span.low AND pe.stream_ordering < span.high
        WHERE instr(pe.notified, ?) > 0 ORDER BY pe.stream_ordering DESC LIMIT ?`,
      [...paramsFor(spans), needle(userId), limit],
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
