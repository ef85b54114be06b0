// The public summary of a room from its current state: what the room directory and the space
// hierarchy show (spec PublicRoomsChunk / SpaceHierarchyRoomsChunk share these fields).
import type { JsonObject } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';

export interface RoomSummary {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule: string;
  name?: string;
  topic?: string;
  avatar_url?: string;
  canonical_alias?: string;
  room_type?: string;
}

export function stateContent(db: SqlReader, roomId: string, type: string, stateKey = ''): JsonObject | undefined {
  const json = roomsRepo.currentStateJson(db, roomId, type, stateKey);
  const content = json ? (JSON.parse(json) as JsonObject).content : undefined;
  return content && typeof content === 'object' && !Array.isArray(content) ? content : undefined;
}

export function summarizeRoom(db: SqlReader, roomId: string): RoomSummary {
  const str = (type: string, field: string) => {
    const v = stateContent(db, roomId, type)?.[field];
    return typeof v === 'string' && v ? v : undefined;
  };
  const summary: RoomSummary = {
    room_id: roomId,
    num_joined_members: roomsRepo.countMembers(db, roomId, 'join'),
    world_readable: str('m.room.history_visibility', 'history_visibility') === 'world_readable',
    guest_can_join: str('m.room.guest_access', 'guest_access') === 'can_join',
    join_rule: str('m.room.join_rules', 'join_rule') ?? 'invite',
  };
  const optional: [keyof RoomSummary, string, string][] = [
    ['name', 'm.room.name', 'name'],
    ['topic', 'm.room.topic', 'topic'],
    ['avatar_url', 'm.room.avatar', 'url'],
    ['canonical_alias', 'm.room.canonical_alias', 'alias'],
    ['room_type', 'm.room.create', 'type'],
  ];
  for (const [key, type, field] of optional) {
    const v = str(type, field);
    if (v !== undefined) (summary as unknown as Record<string, string>)[key] = v;
  }
  return summary;
}
