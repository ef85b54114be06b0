// GET /rooms/{roomId}/messages: pages of the room's history in either direction, as far as the
// user's membership and the room's history visibility allow.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import { clientPath } from '../http/routes.ts';
import { matchable, paginationToken, parsePaginationToken, readableUpTo } from '../rooms/reader.ts';
import { formatEvents, toClientEvent, type Viewer } from '../rooms/client_event.ts';
import { resolveRoomEventFilter, type EventMatcher } from '../sync/filter.ts';
import type { VisibilityChecker } from '../rooms/visibility.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import type { EventRow } from '../storage/repos/events.ts';
import { dirParam, limitParam } from './room_params.ts';
import { hiddenByIgnore, ignoredUsers } from '../userdata/ignored_users.ts';

/** Rows examined per request at most, so a long invisible stretch cannot make one request slow. */
const SCAN_BUDGET = 5_000;

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/rooms/:roomId/messages'), ({ params, query, user }) => {
    const dir = dirParam(query.dir);
    const limit = limitParam(query.limit, 10);
    const filter = resolveRoomEventFilter(query.filter);
    return ctx.storage.read((db) => {
      const roomId = params.roomId!;
      const { upTo, visibility } = readableUpTo(db, roomId, user.userId);
      const from = query.from ? parsePaginationToken(query.from) : dir === 'b' ? upTo : 0;
      const to = query.to ? parsePaginationToken(query.to) : undefined;
      const page = paginate(db, roomId, { dir, from, to, upTo, limit, filter, visibility, ignored: ignoredUsers(db, user.userId) });
      const now = ctx.clock.now();
      const chunk = formatEvents(db, page.rows, { now, viewer: user, bundle: true });
      const body: JsonObject = { start: query.from ?? paginationToken(from), chunk };
      if (page.end !== undefined) body.end = paginationToken(page.end);
      if (filter.lazyLoadMembers) body.state = lazyMembers(db, roomId, page.rows, upTo, user, now);
      return body;
    });
  });
}

export interface PageRequest {
  dir: 'b' | 'f';
  /** Backwards: events at or below `from`; forwards: events above it. */
  from: number;
  to?: number;
  upTo: number;
  limit: number;
  filter: EventMatcher;
  visibility: VisibilityChecker;
  /** Senders whose (non-state) events the reader ignores. */
  ignored?: ReadonlySet<string>;
}

/** One page of visible, matching events, and the token position to continue from (none at the end). */
export function paginate(db: SqlReader, roomId: string, p: PageRequest): { rows: EventRow[]; end?: number } {
  const rows: EventRow[] = [];
  let cursor = p.dir === 'b' ? Math.min(p.from, p.upTo) : p.from;
  const bound = p.dir === 'b' ? (p.to ?? 0) : Math.min(p.to ?? p.upTo, p.upTo);
  let scanned = 0;
  for (;;) {
    const batchSize = Math.max(p.limit - rows.length, 1) * 2;
    const batch = p.dir === 'b' ? eventsRepo.roomEvents(db, roomId, bound, cursor, 'b', batchSize) : eventsRepo.roomEvents(db, roomId, cursor, bound, 'f', batchSize);
    for (const row of batch) {
      cursor = p.dir === 'b' ? row.stream_pos - 1 : row.stream_pos;
      scanned++;
      if (p.visibility.canSee(row.stream_pos) && !(p.ignored && hiddenByIgnore(p.ignored, row)) && p.filter.matches(matchable(row))) rows.push(row);
      if (rows.length >= p.limit || scanned >= SCAN_BUDGET) return { rows, end: cursor };
    }
    // Exhausted: no further events in this direction, so no end token (spec).
    if (batch.length < batchSize) return { rows };
  }
}

/** Member events of the senders in a page (lazy_load_members). */
export function lazyMembers(db: SqlReader, roomId: string, rows: EventRow[], upTo: number, viewer: Viewer, now: number): JsonObject[] {
  const out: JsonObject[] = [];
  for (const sender of new Set(rows.map((r) => r.sender))) {
    const member = eventsRepo.stateEventAt(db, roomId, 'm.room.member', sender, upTo);
    if (member) out.push(toClientEvent(db, member, { now, viewer }));
  }
  return out;
}
