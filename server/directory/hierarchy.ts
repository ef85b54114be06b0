// Spaces: GET /v1/rooms/{roomId}/hierarchy. Walks m.space.child events breadth-first from the
// root (children in spec order: `order`, then the child event's timestamp, then room ID), showing
// each room the requester may see or join. Only local rooms exist (no federation), so a child
// this server does not know is left out. `from` is an offset into the walk.
import type { JsonObject } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import { errors } from '../http/errors.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import { stateContent, summarizeRoom } from './room_summary.ts';

export interface HierarchyQuery {
  suggestedOnly: boolean;
  maxDepth?: number;
  limit: number;
  from?: string;
}

/** Rooms walked per request at most (a household's spaces are small; this bounds a cycle-rich graph). */
const WALK_CAP = 1_000;

export function spaceHierarchy(db: SqlReader, userId: string, rootId: string, q: HierarchyQuery): JsonObject {
  let offset = 0;
  if (q.from !== undefined) {
    const m = /^h(\d{1,9})$/.exec(q.from);
    if (!m) throw errors.invalidParam('from is not a token from a previous response');
    offset = Number(m[1]);
  }
  if (!roomsRepo.getRoom(db, rootId) || !mayPeek(db, rootId, userId)) throw errors.forbidden('You cannot see this space');

  const rooms: JsonObject[] = [];
  const seen = new Set<string>([rootId]);
  const queue: { roomId: string; depth: number }[] = [{ roomId: rootId, depth: 0 }];
  while (queue.length && rooms.length < WALK_CAP) {
    const { roomId, depth } = queue.shift()!;
    const children = childrenOf(db, roomId, q.suggestedOnly);
    const expand = q.maxDepth === undefined || depth < q.maxDepth;
    rooms.push({ ...summarizeRoom(db, roomId), ...extraFields(db, roomId), children_state: expand ? children.map((c) => c.event) : [] } as unknown as JsonObject);
    if (!expand) continue;
    for (const child of children) {
      if (seen.has(child.roomId) || !roomsRepo.getRoom(db, child.roomId) || !mayPeek(db, child.roomId, userId)) continue;
      seen.add(child.roomId);
      queue.push({ roomId: child.roomId, depth: depth + 1 });
    }
  }
  const page = rooms.slice(offset, offset + q.limit);
  const out: JsonObject = { rooms: page };
  if (offset + page.length < rooms.length) out.next_batch = `h${offset + page.length}`;
  return out;
}

/** Whether the user may see the room's summary: a member or invitee, or a room anyone could join or read. */
function mayPeek(db: SqlReader, roomId: string, userId: string): boolean {
  const membership = roomsRepo.getMembership(db, roomId, userId)?.membership;
  if (membership === 'join' || membership === 'invite') return true;
  const joinRule = stateContent(db, roomId, 'm.room.join_rules')?.join_rule;
  if (joinRule === 'public' || joinRule === 'knock' || joinRule === 'knock_restricted') return true;
  if (stateContent(db, roomId, 'm.room.history_visibility')?.history_visibility === 'world_readable') return true;
  if (joinRule === 'restricted' || joinRule === 'knock_restricted') {
    const allow = stateContent(db, roomId, 'm.room.join_rules')?.allow;
    if (Array.isArray(allow)) {
      return allow.some((a) => typeof a === 'object' && a !== null && !Array.isArray(a) && a.type === 'm.room_membership' && typeof a.room_id === 'string' && roomsRepo.getMembership(db, a.room_id, userId)?.membership === 'join');
    }
  }
  return false;
}

function extraFields(db: SqlReader, roomId: string): JsonObject {
  const out: JsonObject = {};
  const room = roomsRepo.getRoom(db, roomId);
  if (room) out.room_version = room.room_version;
  if (stateContent(db, roomId, 'm.room.encryption')?.algorithm === 'm.megolm.v1.aes-sha2') out.encryption = 'm.megolm.v1.aes-sha2';
  const allow = stateContent(db, roomId, 'm.room.join_rules')?.allow;
  if (Array.isArray(allow)) {
    const ids = allow.flatMap((a) => (typeof a === 'object' && a !== null && !Array.isArray(a) && typeof a.room_id === 'string' ? [a.room_id] : []));
    if (ids.length) out.allowed_room_ids = ids;
  }
  return out;
}

interface Child {
  roomId: string;
  order: string | undefined;
  ts: number;
  event: JsonObject;
}

/** Valid m.space.child events of a space (non-empty `via`), in the spec's order. */
function childrenOf(db: SqlReader, spaceId: string, suggestedOnly: boolean): Child[] {
  const children: Child[] = [];
  for (const entry of roomsRepo.currentStateOfType(db, spaceId, 'm.space.child')) {
    const row = eventsRepo.getEvent(db, entry.event_id);
    if (!row) continue;
    const content = (JSON.parse(row.json) as JsonObject).content as JsonObject | undefined;
    if (!content || !Array.isArray(content.via) || content.via.length === 0) continue;
    if (suggestedOnly && content.suggested !== true) continue;
    const order = typeof content.order === 'string' && content.order.length <= 50 && /^[\x20-\x7e]*$/.test(content.order) ? content.order : undefined;
    children.push({
      roomId: entry.state_key,
      order,
      ts: row.origin_server_ts,
      event: { type: 'm.space.child', state_key: entry.state_key, sender: row.sender, content, origin_server_ts: row.origin_server_ts },
    });
  }
  return children.sort((a, b) => {
    if (a.order !== undefined && b.order === undefined) return -1;
    if (a.order === undefined && b.order !== undefined) return 1;
    if (a.order !== undefined && b.order !== undefined && a.order !== b.order) return a.order < b.order ? -1 : 1;
    return a.ts - b.ts || (a.roomId < b.roomId ? -1 : 1);
  });
}
