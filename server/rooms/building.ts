// Helpers for building an event inside the write transaction: a per-batch cache of the room's
// current state, the auth events selection, relation extraction, and stored rows as PersistedEvents.
import type { JsonObject, JsonValue } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import { canonicalJson } from './canonical_json.ts';
import { effectivePowerLevels } from './power_levels.ts';
import type { RoomVersion } from './versions.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import type { EventRow } from '../storage/repos/events.ts';
import type { EventDraft, PersistedEvent, RoomStateView } from './types.ts';

export interface StateReader {
  content(type: string, stateKey: string): JsonObject | undefined;
  eventId(type: string, stateKey: string): string | undefined;
  forget(type: string, stateKey: string): void;
}

/** Current state lookups with a small per-transaction cache. */
export function stateReader(db: SqlReader, roomId: string): StateReader {
  const cache = new Map<string, { id: string; content: JsonObject } | null>();
  const load = (type: string, key: string) => {
    const k = `${type}\u0000${key}`;
    if (!cache.has(k)) {
      const row = db.get<{ event_id: string; json: string }>(
        `SELECT e.event_id, e.json FROM room_state s JOIN events e ON e.event_id = s.event_id WHERE s.room_id = ? AND s.type = ? AND s.state_key = ?`,
        [roomId, type, key],
      );
      cache.set(k, row ? { id: row.event_id, content: (JSON.parse(row.json) as JsonObject).content as JsonObject } : null);
    }
    return cache.get(k) ?? undefined;
  };
  return {
    content: (type, key) => load(type, key)?.content,
    eventId: (type, key) => load(type, key)?.id,
    forget: (type, key) => cache.delete(`${type}\u0000${key}`),
  };
}

export function stateView(db: SqlReader, room: roomsRepo.RoomRow, version: RoomVersion, state: StateReader): RoomStateView {
  return {
    roomId: room.room_id,
    version,
    creator: room.creator,
    content: (type, key) => state.content(type, key),
    joinedMembers: () => roomsRepo.membersOfRoom(db, room.room_id, 'join'),
    powerLevels: () => effectivePowerLevels(state.content('m.room.power_levels', ''), room.creator),
  };
}

/** The auth events selection (server-server spec): create, power levels, sender, and for members target + join rules. */
export function authEventIds(state: StateReader, draft: EventDraft): string[] {
  if (draft.type === 'm.room.create') return [];
  const ids = [state.eventId('m.room.create', ''), state.eventId('m.room.power_levels', ''), state.eventId('m.room.member', draft.sender)];
  if (draft.type === 'm.room.member' && draft.stateKey !== undefined) {
    ids.push(state.eventId('m.room.member', draft.stateKey));
    const membership = draft.content.membership;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') ids.push(state.eventId('m.room.join_rules', ''));
  }
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

export function relationOf(content: JsonObject): { relType: string; eventId: string } | undefined {
  const rel = content['m.relates_to'] as JsonValue | undefined;
  if (typeof rel !== 'object' || rel === null || Array.isArray(rel)) return undefined;
  if (typeof rel.rel_type === 'string' && typeof rel.event_id === 'string') return { relType: rel.rel_type, eventId: rel.event_id };
  return undefined;
}

export function safeCanonical(v: unknown): string | undefined {
  try {
    return canonicalJson(v);
  } catch {
    return undefined;
  }
}

export function rowToPersisted(row: EventRow): PersistedEvent {
  const pdu = JSON.parse(row.json) as JsonObject;
  return {
    streamPos: row.stream_pos,
    eventId: row.event_id,
    roomId: row.room_id,
    type: row.type,
    stateKey: row.state_key ?? undefined,
    sender: row.sender,
    originServerTs: row.origin_server_ts,
    content: (pdu.content ?? {}) as JsonObject,
    pdu,
  };
}
