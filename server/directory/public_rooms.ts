// The room directory (GET/POST /publicRooms): rooms published with visibility "public", busiest
// first, then by room ID, so pages are stable; since/next_batch are offsets into that order.
import type { JsonObject } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import { errors } from '../http/errors.ts';
import { publicRoomIds } from '../storage/repos/rooms.ts';
import { summarizeRoom, type RoomSummary } from './room_summary.ts';
import { fold, runsOf } from '../search/tokens.ts';

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  searchTerm?: string;
  /** null in the list means "rooms without a type". Undefined: every room. */
  roomTypes?: (string | null)[];
}

const MAX_LIMIT = 500;

export function listPublicRooms(db: SqlReader, q: PublicRoomsQuery): JsonObject {
  let offset = 0;
  if (q.since !== undefined) {
    const m = /^[np](\d{1,9})$/.exec(q.since);
    if (!m) throw errors.invalidParam('since is not a token from a previous response');
    offset = Number(m[1]);
  }
  const words = q.searchTerm ? runsOf(q.searchTerm).map((r) => r.text) : [];
  const rooms = publicRoomIds(db)
    .map((id) => summarizeRoom(db, id))
    .filter((r) => matchesTerm(r, words) && (!q.roomTypes || q.roomTypes.includes(r.room_type ?? null)))
    .sort((a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0));
  const limit = Math.min(q.limit ?? MAX_LIMIT, MAX_LIMIT);
  const chunk = rooms.slice(offset, offset + limit);
  const out: JsonObject = { chunk: chunk as unknown as JsonObject[], total_room_count_estimate: rooms.length };
  if (offset + chunk.length < rooms.length) out.next_batch = `n${offset + chunk.length}`;
  if (offset > 0) out.prev_batch = `p${Math.max(0, offset - limit)}`;
  return out;
}

function matchesTerm(r: RoomSummary, words: string[]): boolean {
  if (!words.length) return true;
  const haystack = fold([r.name, r.topic, r.canonical_alias, r.room_id].filter(Boolean).join(' '));
  return words.every((w) => haystack.includes(w));
}
