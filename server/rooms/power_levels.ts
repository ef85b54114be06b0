// m.room.power_levels with the spec's defaults (client-server spec, m.room.power_levels).
import type { JsonObject, JsonValue } from '../http/body.ts';

export interface PowerLevels {
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  events_default: number;
  state_default: number;
  users_default: number;
  events: Record<string, number>;
  users: Record<string, number>;
  notifications: Record<string, number>;
}

/**
 * Effective power levels from the current m.room.power_levels content (undefined when the room has none:
 * then the creator has 100, everyone else 0, and state needs 0).
 */
export function effectivePowerLevels(content: JsonObject | undefined, creator: string): PowerLevels {
  if (!content) {
    return { ban: 50, kick: 50, redact: 50, invite: 0, events_default: 0, state_default: 0, users_default: 0, events: {}, users: { [creator]: 100 }, notifications: { room: 50 } };
  }
  // Every event's auth check and push evaluation asks; the content of a state event never changes
  // (state cache objects are shared, not mutated), so its levels are worked out once. Frozen: shared.
  let levels = derived.get(content);
  if (!levels) {
    levels = deepFreeze(fromContent(content));
    derived.set(content, levels);
  }
  return levels;
}

const derived = new WeakMap<JsonObject, PowerLevels>();

function deepFreeze(pl: PowerLevels): PowerLevels {
  Object.freeze(pl.events);
  Object.freeze(pl.users);
  Object.freeze(pl.notifications);
  return Object.freeze(pl);
}

function fromContent(content: JsonObject): PowerLevels {
  return {
    ban: int(content.ban, 50),
    kick: int(content.kick, 50),
    redact: int(content.redact, 50),
    invite: int(content.invite, 0),
    events_default: int(content.events_default, 0),
    state_default: int(content.state_default, 50),
    users_default: int(content.users_default, 0),
    events: intMap(content.events),
    users: intMap(content.users),
    notifications: { room: 50, ...intMap(content.notifications) },
  };
}

export function userLevel(pl: PowerLevels, userId: string): number {
  return Object.hasOwn(pl.users, userId) ? pl.users[userId]! : pl.users_default;
}

/** The level needed to send an event of this type (state or not). */
export function eventLevel(pl: PowerLevels, type: string, isState: boolean): number {
  if (Object.hasOwn(pl.events, type)) return pl.events[type]!;
  return isState ? pl.state_default : pl.events_default;
}

/** The power levels createRoom starts from (before presets and power_level_content_override). */
export function defaultPowerLevelContent(creator: string): JsonObject {
  return {
    users: { [creator]: 100 },
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
  };
}

function int(v: JsonValue | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : fallback;
}

function intMap(v: JsonValue | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isInteger(n)) out[k] = n;
  return out;
}
