// The redaction algorithm of room versions 10 and 11 (spec rooms/v9-redactions, v11-redactions).
// Used for event IDs and signatures (hash of the redacted form) and when an event is redacted.
import type { JsonObject, JsonValue } from '../http/body.ts';
import type { RoomVersion } from './versions.ts';
import { isObject } from '../http/validate.ts';

const TOP_LEVEL_V10 = ['event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership'];
const TOP_LEVEL_V11 = ['event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth', 'prev_events', 'auth_events', 'origin_server_ts'];

const CONTENT_V10: Record<string, string[]> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'],
  'm.room.history_visibility': ['history_visibility'],
};
const CONTENT_V11: Record<string, string[]> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': ['ban', 'events', 'events_default', 'invite', 'kick', 'redact', 'state_default', 'users', 'users_default'],
  'm.room.history_visibility': ['history_visibility'],
  'm.room.redaction': ['redacts'],
};

/** Returns the redacted copy of a (federation-format) event; the input is not changed. */
export function redactEvent(event: JsonObject, version: RoomVersion): JsonObject {
  const v11 = version.redactionRules === 11;
  const keep = v11 ? TOP_LEVEL_V11 : TOP_LEVEL_V10;
  const out: JsonObject = {};
  for (const key of keep) if (key in event) out[key] = event[key]!;
  out.content = redactContent(String(event.type), isObject(event.content) ? event.content : {}, v11);
  return out;
}

export function redactContent(type: string, content: JsonObject, v11: boolean): JsonObject {
  if (v11 && type === 'm.room.create') return { ...content };
  const table = v11 ? CONTENT_V11 : CONTENT_V10;
  // Own keys only: an event type may be any string, "constructor" included.
  const allowed = Object.hasOwn(table, type) ? table[type]! : [];
  const out: JsonObject = {};
  for (const key of allowed) if (key in content) out[key] = content[key]!;
  if (v11 && type === 'm.room.member' && isObject(content.third_party_invite) && 'signed' in content.third_party_invite) {
    out.third_party_invite = { signed: content.third_party_invite.signed! };
  }
  return out;
}

