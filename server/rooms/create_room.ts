// POST /createRoom: turns the request body into the ordered list of first events
// (client-server spec "Creation": create, creator's join, power levels, canonical alias, preset
// state, initial_state, name, topic, invites).
import type { JsonObject, JsonValue } from '../http/body.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { isObject, optArray, optObject, optString } from '../http/validate.ts';
import { isValidUserId, randomString } from '../ids.ts';
import { DEFAULT_ROOM_VERSION, roomVersion } from './versions.ts';
import { defaultPowerLevelContent } from './power_levels.ts';
import type { EventDraft, Profile } from './types.ts';

export interface CreateRoomPlan {
  roomId: string;
  version: string;
  creator: string;
  isPublic: boolean;
  alias?: string;
  drafts: EventDraft[];
}

const PRESETS: Record<string, { join_rule: string; history_visibility: string; guest_access: string; inviteesAreAdmins: boolean }> = {
  private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join', inviteesAreAdmins: false },
  trusted_private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join', inviteesAreAdmins: true },
  public_chat: { join_rule: 'public', history_visibility: 'shared', guest_access: 'forbidden', inviteesAreAdmins: false },
};

export function planCreateRoom(body: JsonObject, creator: string, serverName: string, profileOf: (u: string) => Profile): CreateRoomPlan {
  const visibility = optString(body, 'visibility') ?? 'private';
  if (visibility !== 'public' && visibility !== 'private') throw errors.invalidParam('visibility must be "public" or "private"');
  const presetName = optString(body, 'preset') ?? (visibility === 'public' ? 'public_chat' : 'private_chat');
  const preset = Object.hasOwn(PRESETS, presetName) ? PRESETS[presetName] : undefined;
  if (!preset) throw errors.invalidParam(`Unknown preset "${presetName}"`);

  const version = optString(body, 'room_version') ?? DEFAULT_ROOM_VERSION;
  const rv = roomVersion(version);
  if (!rv) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${version} is not supported (10, 11 are)`);

  const invites = optArray(body, 'invite') ?? [];
  for (const u of invites) if (typeof u !== 'string' || !isValidUserId(u)) throw errors.invalidParam(`Invalid user ID in invite: ${JSON.stringify(u)}`);
  const invitees = [...new Set(invites as string[])].filter((u) => u !== creator);
  const isDirect = body.is_direct === true;

  let alias: string | undefined;
  const aliasName = optString(body, 'room_alias_name');
  if (aliasName !== undefined) {
    if (!aliasName || /[:\s#]/.test(aliasName)) throw errors.invalidParam('room_alias_name must be a localpart without ":", "#" or spaces');
    alias = `#${aliasName}:${serverName}`;
    if (Buffer.byteLength(alias) > 255) throw errors.invalidParam('The alias is too long');
  }

  const creationContent = optObject(body, 'creation_content') ?? {};
  const initialState = optArray(body, 'initial_state') ?? [];
  const plOverride = optObject(body, 'power_level_content_override');
  const name = optString(body, 'name');
  const topic = optString(body, 'topic');

  const roomId = `!${randomString(18)}:${serverName}`;
  const drafts: EventDraft[] = [];
  const state = (type: string, content: JsonObject, stateKey = '') => drafts.push({ type, stateKey, content, sender: creator });

  const createContent: JsonObject = { ...creationContent, room_version: version };
  if (rv.createHasCreator) createContent.creator = creator;
  else delete createContent.creator;
  state('m.room.create', createContent);
  state('m.room.member', { ...memberProfile(profileOf(creator)), membership: 'join' }, creator);

  const pl = defaultPowerLevelContent(creator);
  if (preset.inviteesAreAdmins) for (const u of invitees) (pl.users as JsonObject)[u] = 100;
  if (plOverride) {
    // Merged, not replaced: FluffyChat overrides one `events` entry and the creator must keep 100.
    for (const [k, v] of Object.entries(plOverride)) {
      const base = pl[k];
      pl[k] = isObject(v) && isObject(base) ? { ...base, ...v } : v;
    }
  }
  state('m.room.power_levels', pl);
  if (alias) state('m.room.canonical_alias', { alias });

  const presetState: [string, JsonObject][] = [
    ['m.room.join_rules', { join_rule: preset.join_rule }],
    ['m.room.history_visibility', { history_visibility: preset.history_visibility }],
    ['m.room.guest_access', { guest_access: preset.guest_access }],
  ];
  const initial = initialState.map((e, i) => {
    if (!isObject(e) || typeof e.type !== 'string' || !isObject(e.content)) throw errors.badJson(`initial_state[${i}] needs a type and a content object`);
    if (e.state_key !== undefined && typeof e.state_key !== 'string') throw errors.badJson(`initial_state[${i}].state_key must be a string`);
    if (e.type === 'm.room.create' || e.type === 'm.room.member' || e.type === 'm.room.power_levels') {
      throw errors.badJson(`initial_state may not set ${e.type}; use creation_content or power_level_content_override`);
    }
    return { type: e.type, stateKey: (e.state_key as string | undefined) ?? '', content: e.content };
  });
  for (const [type, content] of presetState) if (!initial.some((e) => e.type === type && e.stateKey === '')) state(type, content);
  for (const e of initial) state(e.type, e.content, e.stateKey);
  if (name !== undefined) state('m.room.name', { name });
  if (topic !== undefined) {
    state('m.room.topic', { topic, 'm.topic': [{ mimetype: 'text/plain', body: topic }] });
  }
  for (const u of invitees) {
    const content: JsonObject = { ...memberProfile(profileOf(u)), membership: 'invite' };
    if (isDirect) content.is_direct = true;
    state('m.room.member', content, u);
  }
  return { roomId, version, creator, isPublic: visibility === 'public', alias, drafts };
}

export function memberProfile(p: Profile): JsonObject {
  const out: JsonObject = {};
  if (p.displayname) out.displayname = p.displayname;
  if (p.avatar_url) out.avatar_url = p.avatar_url;
  return out;
}
