// Read-side helpers shared by the room APIs and sync: membership checks, state at a point of
// the stream, and pagination tokens.
import type { SqlReader } from '../storage/types.ts';
import { errors } from '../http/errors.ts';
import { decodeSyncToken } from '../sync/token.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import type { EventRow } from '../storage/repos/events.ts';
import { VisibilityChecker } from './visibility.ts';

/** "t<pos>": a point in the event stream; events at or below pos are "before" it. */
export function paginationToken(pos: number): string {
  return `t${pos}`;
}

/** Accepts our pagination tokens and /sync tokens (clients pass next_batch as `from`). */
export function parsePaginationToken(token: string): number {
  const m = /^t(\d{1,15})$/.exec(token);
  if (m) return Number(m[1]);
  if (token.startsWith('s')) return decodeSyncToken(token).events;
  throw errors.invalidParam(`Malformed pagination token "${token.slice(0, 64)}"`);
}

export function requireRoom(db: SqlReader, roomId: string): roomsRepo.RoomRow {
  const room = roomsRepo.getRoom(db, roomId);
  if (!room) throw errors.forbidden('You are not in this room, or it does not exist');
  return room;
}

/** Throws 403 unless the user is joined now. */
export function requireJoined(db: SqlReader, roomId: string, userId: string): roomsRepo.RoomRow {
  const room = requireRoom(db, roomId);
  if (roomsRepo.getMembership(db, roomId, userId)?.membership !== 'join') throw errors.forbidden('You are not in this room');
  return room;
}

/**
 * How far into the room's stream the user may read: everything for a member, up to their leave
 * for a former member, everything in a world_readable room; otherwise 403.
 */
export function readableUpTo(db: SqlReader, roomId: string, userId: string): { room: roomsRepo.RoomRow; upTo: number; visibility: VisibilityChecker } {
  const room = requireRoom(db, roomId);
  const visibility = new VisibilityChecker(db, roomId, userId);
  const membership = roomsRepo.getMembership(db, roomId, userId);
  if (membership?.membership === 'join') return { room, upTo: room.last_pos, visibility };
  if (visibility.visibilityAt(room.last_pos) === 'world_readable') return { room, upTo: room.last_pos, visibility };
  if (membership && (membership.membership === 'leave' || membership.membership === 'ban') && visibility.mayReadRoom(room.last_pos)) {
    return { room, upTo: membership.stream_pos, visibility };
  }
  throw errors.forbidden('You are not in this room');
}

/** The room's full state right after the event at `pos`. O(state size). */
export function stateAt(db: SqlReader, roomId: string, pos: number): EventRow[] {
  const out: EventRow[] = [];
  for (const current of roomsRepo.currentStateEvents(db, roomId)) {
    // Entries changed after `pos` (rare: within the page being served) need their older version.
    const row = current.stream_pos <= pos ? current : eventsRepo.stateEventAt(db, roomId, current.type, current.state_key!, pos);
    if (row) out.push(row);
  }
  return out.sort((a, b) => a.stream_pos - b.stream_pos);
}

/** Events of `rows` the user may see (history visibility), keeping order. */
export function visibleEvents(rows: EventRow[], visibility: VisibilityChecker): EventRow[] {
  return rows.filter((r) => visibility.canSee(r.stream_pos));
}

/** An event row as the filter matchers see it; content is parsed only if a filter asks for it. */
export function matchable(row: EventRow): { type: string; sender: string; room_id: string; readonly content: unknown } {
  return {
    type: row.type,
    sender: row.sender,
    room_id: row.room_id,
    get content() {
      return (JSON.parse(row.json) as { content?: unknown }).content;
    },
  };
}
