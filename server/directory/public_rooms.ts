// The room directory (GET/POST /publicRooms): rooms published with visibility "public", busiest
// first, then by room ID. since/next_batch/prev_batch name the (members, room ID) key a page
// starts after (or ends before), so rooms published meanwhile do not shift later pages.
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
  const cursor = q.since === undefined ? undefined : parseToken(q.since);
  const words = q.searchTerm ? runsOf(q.searchTerm).map((r) => r.text) : [];
  const rooms = publicRoomIds(db)
    .map((id) => summarizeRoom(db, id))
    .filter((r) => matchesTerm(r, words) && (!q.roomTypes || q.roomTypes.includes(r.room_type ?? null)))
    .sort(compare);
  const limit = Math.min(q.limit ?? MAX_LIMIT, MAX_LIMIT);
  let start = 0;
  let end: number;
  if (!cursor) end = Math.min(rooms.length, limit);
  else if (cursor.forward) {
    start = rooms.findIndex((r) => compare(r, cursor.key) > 0);
    if (start < 0) start = rooms.length;
    end = Math.min(rooms.length, start + limit);
  } else {
    end = rooms.findIndex((r) => compare(r, cursor.key) >= 0);
    if (end < 0) end = rooms.length;
    start = Math.max(0, end - limit);
  }
  const chunk = rooms.slice(start, end);
  const out: JsonObject = { chunk: chunk as unknown as JsonObject[], total_room_count_estimate: rooms.length };
  if (end < rooms.length && chunk.length) out.next_batch = token(true, chunk.at(-1)!);
  if (start > 0 && chunk.length) out.prev_batch = token(false, chunk[0]!);
  return out;
}

type Key = Pick<RoomSummary, 'num_joined_members' | 'room_id'>;

function compare(a: Key, b: Key): number {
  return b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0);
}

function token(forward: boolean, key: Key): string {
  return (forward ? 'n' : 'p') + Buffer.from(JSON.stringify([key.num_joined_members, key.room_id])).toString('base64url');
}

function parseToken(raw: string): { forward: boolean; key: Key } {
  const fail = () => errors.invalidParam('since is not a token from a previous response');
  if (raw[0] !== 'n' && raw[0] !== 'p') throw fail();
  try {
    const [members, roomId] = JSON.parse(Buffer.from(raw.slice(1), 'base64url').toString('utf8')) as unknown[];
    if (!Number.isInteger(members) || typeof roomId !== 'string') throw fail();
    return { forward: raw[0] === 'n', key: { num_joined_members: members as number, room_id: roomId } };
  } catch {
    throw fail();
  }
}

function matchesTerm(r: RoomSummary, words: string[]): boolean {
  if (!words.length) return true;
  const haystack = fold([r.name, r.topic, r.canonical_alias, r.room_id].filter(Boolean).join(' '));
  return words.every((w) => haystack.includes(w));
}
