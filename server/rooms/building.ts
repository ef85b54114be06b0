// Helpers for building an event inside the write transaction: a per-batch cache of the room's
// current state, the auth events selection, relation extraction, and stored rows as PersistedEvents.
import type { JsonObject, JsonValue } from '../http/body.ts';
import type { SqlReader, Storage } from '../storage/types.ts';
import { canonicalJson } from './canonical_json.ts';
import { effectivePowerLevels } from './power_levels.ts';
import type { RoomVersion } from './versions.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import type { EventRow } from '../storage/repos/events.ts';
import { TableCache } from '../storage/table_cache.ts';
import type { EventDraft, PersistedEvent, RoomStateView } from './types.ts';

export interface StateReader {
  content(type: string, stateKey: string): JsonObject | undefined;
  eventId(type: string, stateKey: string): string | undefined;
  forget(type: string, stateKey: string): void;
}

/**
 * Parsed content of state events by event ID, shared across writes. An event ID is the hash of its
 * content, so an entry can only go stale by redaction, which evicts it. Which event is current is
 * always read from the database, so a rolled-back write never leaks through this cache.
 */
export class StateContentCache {
  private readonly entries = new Map<string, JsonObject>();
  private readonly max: number;
  constructor(max = 20_000) {
    this.max = max;
  }
  get(eventId: string, load: () => JsonObject | undefined): JsonObject | undefined {
    let content = this.entries.get(eventId);
    if (content === undefined) {
      content = load();
      if (content === undefined) return undefined;
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(eventId, content);
    }
    return content;
  }
  evict(eventId: string): void {
    this.entries.delete(eventId);
  }
}

/**
 * Which event is current per (room, type, state key), across writes: the push hook asks for every
 * member's member event on every message. Dropped whenever room_state changes (tableVersion
 * changes as soon as a write changes it and again when its batch ends, so also safe mid-batch).
 */
export class CurrentStateIds {
  /** null: known to have no such state. */
  private readonly ids: TableCache<string | null>;
  constructor(storage: Storage) {
    this.ids = new TableCache(storage, 'room_state', 50_000);
  }
  get(db: SqlReader, roomId: string, type: string, stateKey: string): string | undefined {
    const id = this.ids.getOrLoad(`${roomId}\u0000${type}\u0000${stateKey}`, () => roomsRepo.currentStateEventId(db, roomId, type, stateKey) ?? null);
    return id ?? undefined;
  }
}

/** Current state lookups with a small per-transaction cache of which event is current. */
export function stateReader(db: SqlReader, roomId: string, contents: StateContentCache, currentIds?: CurrentStateIds): StateReader {
  const cache = new Map<string, { id: string; content: JsonObject } | null>();
  const load = (type: string, key: string) => {
    const k = `${type}\u0000${key}`;
    if (!cache.has(k)) {
      const id = currentIds ? currentIds.get(db, roomId, type, key) : roomsRepo.currentStateEventId(db, roomId, type, key);
      const content =
        id === undefined
          ? undefined
          : contents.get(id, () => {
              const json = eventsRepo.getEventJson(db, id);
              return json === undefined ? undefined : ((JSON.parse(json) as JsonObject).content as JsonObject);
            });
      cache.set(k, id !== undefined && content ? { id, content } : null);
    }
    return cache.get(k) ?? undefined;
  };
  return {
    content: (type, key) => load(type, key)?.content,
    eventId: (type, key) => load(type, key)?.id,
    forget: (type, key) => cache.delete(`${type}\u0000${key}`),
  };
}

export function stateView(
  db: SqlReader, room: Pick<roomsRepo.RoomRow, 'room_id' | 'creator'>, version: RoomVersion, state: StateReader,
  joined: (db: SqlReader, roomId: string) => readonly string[] = (d, id) => roomsRepo.membersOfRoom(d, id, 'join'),
): RoomStateView {
  return {
    roomId: room.room_id,
    version,
    creator: room.creator,
    content: (type, key) => state.content(type, key),
    joinedMembers: () => joined(db, room.room_id),
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
