// The authorisation rules of room versions 10 and 11 (spec rooms/v10, v11 "Authorisation rules"),
// checked for every event before it is stored. Rooms here form a single chain on one server, so the
// "current state" of the room is the state the event is authorised against.
import type { JsonObject, JsonValue } from '../http/body.ts';
import { parseUserId, isValidUserId } from '../ids.ts';
import { effectivePowerLevels, eventLevel, userLevel } from './power_levels.ts';
import { roomVersion, type RoomVersion } from './versions.ts';
import { isObject } from '../http/validate.ts';

/** What the rules need to know about the room before the event. */
export interface AuthState {
  /** Content of a current state event, or undefined. */
  content(type: string, stateKey: string): JsonObject | undefined;
  /** Sender of the m.room.create event. */
  creator: string | undefined;
  /** True when the room's only event so far is m.room.create. */
  onlyCreateSoFar: boolean;
}

export interface CandidateEvent {
  type: string;
  room_id: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
  prev_events: string[];
}

export class AuthError extends Error {}

const INT_FIELDS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

/** Throws AuthError with the rule that failed. */
export function checkAuth(event: CandidateEvent, state: AuthState, version: RoomVersion): void {
  const reject = (why: string): never => {
    throw new AuthError(why);
  };
  if (event.type === 'm.room.create') {
    if (event.prev_events.length) reject('m.room.create must be the first event');
    if (domain(event.room_id) !== parseUserId(event.sender)?.serverName) reject('room ID and sender must share a server');
    const v = event.content.room_version;
    if (v !== undefined && (typeof v !== 'string' || !roomVersion(v))) reject('unknown room version');
    if (version.createHasCreator && typeof event.content.creator !== 'string') reject('m.room.create needs a creator');
    return;
  }
  const create = state.content('m.room.create', '');
  if (!create) reject('the room has no m.room.create event');
  if (create!['m.federate'] === false && parseUserId(event.sender)?.serverName !== parseUserId(state.creator ?? '')?.serverName) {
    reject('the room does not federate');
  }
  const pl = effectivePowerLevels(state.content('m.room.power_levels', ''), state.creator ?? '');
  const membershipOf = (u: string) => str(state.content('m.room.member', u)?.membership) ?? 'leave';
  const senderMembership = membershipOf(event.sender);
  const senderLevel = userLevel(pl, event.sender);

  if (event.type === 'm.room.member') {
    const target = event.state_key;
    const membership = str(event.content.membership);
    if (target === undefined || membership === undefined) reject('member events need a state_key and a membership');
    const joinRule = str(state.content('m.room.join_rules', '')?.join_rule) ?? 'invite';
    const targetMembership = membershipOf(target!);
    const targetLevel = userLevel(pl, target!);
    switch (membership) {
      case 'join':
        if (state.onlyCreateSoFar && target === state.creator) return;
        if (event.sender !== target) reject('cannot join on behalf of someone else');
        if (senderMembership === 'ban') reject('you are banned from this room');
        if (joinRule === 'invite' || joinRule === 'knock') {
          if (senderMembership === 'invite' || senderMembership === 'join') return;
          reject('this room is invite-only');
        }
        if (joinRule === 'restricted' || joinRule === 'knock_restricted') {
          if (senderMembership === 'invite' || senderMembership === 'join') return;
          const via = str(event.content.join_authorised_via_users_server);
          if (!via || membershipOf(via) !== 'join' || userLevel(pl, via) < pl.invite) reject('joining needs an authorising member');
          return;
        }
        if (joinRule === 'public') return;
        return reject('the join rule does not allow joining');
      case 'invite':
        if (event.content.third_party_invite !== undefined) reject('third-party invites are not supported');
        if (senderMembership !== 'join') reject('you must be in the room to invite');
        if (targetMembership === 'join' || targetMembership === 'ban') reject(`the user is already ${targetMembership === 'join' ? 'in the room' : 'banned'}`);
        if (senderLevel >= pl.invite) return;
        return reject('not enough power to invite');
      case 'leave':
        if (event.sender === target) {
          if (['invite', 'join', 'knock'].includes(senderMembership)) return;
          reject('you are not in this room');
        }
        if (senderMembership !== 'join') reject('you must be in the room to kick');
        if (targetMembership === 'ban' && senderLevel < pl.ban) reject('not enough power to unban');
        if (senderLevel >= pl.kick && targetLevel < senderLevel) return;
        return reject('not enough power to kick this user');
      case 'ban':
        if (senderMembership !== 'join') reject('you must be in the room to ban');
        if (senderLevel >= pl.ban && targetLevel < senderLevel) return;
        return reject('not enough power to ban this user');
      case 'knock':
        if (joinRule !== 'knock' && joinRule !== 'knock_restricted') reject('this room does not accept knocks');
        if (event.sender !== target) reject('cannot knock on behalf of someone else');
        if (!['ban', 'invite', 'join'].includes(senderMembership)) return;
        return reject(`cannot knock while ${senderMembership === 'ban' ? 'banned' : senderMembership === 'join' ? 'joined' : 'invited'}`);
      default:
        return reject('unknown membership');
    }
  }

  if (senderMembership !== 'join') reject('you are not in this room');
  if (event.type === 'm.room.third_party_invite') {
    if (senderLevel >= pl.invite) return;
    reject('not enough power to invite');
  }
  if (eventLevel(pl, event.type, event.state_key !== undefined) > senderLevel) reject(`not enough power to send ${event.type}`);
  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) reject('state keys starting with @ belong to that user');
  if (event.type === 'm.room.power_levels') checkPowerLevelsChange(event, state, senderLevel, reject);
}

function checkPowerLevelsChange(event: CandidateEvent, state: AuthState, senderLevel: number, reject: (why: string) => never): void {
  const next = event.content;
  // v10: every level is an integer, never a string.
  for (const f of INT_FIELDS) if (next[f] !== undefined && !isInt(next[f])) reject(`${f} must be an integer`);
  for (const f of ['events', 'notifications'] as const) {
    const m = next[f];
    if (m !== undefined && (!isObject(m) || Object.values(m).some((v) => !isInt(v)))) reject(`${f} must map to integers`);
  }
  const users = next.users;
  if (users !== undefined && (!isObject(users) || Object.entries(users).some(([k, v]) => !isValidUserId(k) || !isInt(v)))) {
    reject('users must map user IDs to integers');
  }
  const prev = state.content('m.room.power_levels', '');
  if (!prev) return;
  for (const f of INT_FIELDS) {
    if (prev[f] === next[f]) continue;
    if ((isInt(prev[f]) && (prev[f] as number) > senderLevel) || (isInt(next[f]) && (next[f] as number) > senderLevel)) reject(`not enough power to change ${f}`);
  }
  for (const f of ['events', 'notifications'] as const) {
    const before = isObject(prev[f]) ? (prev[f] as JsonObject) : {};
    const after = isObject(next[f]) ? (next[f] as JsonObject) : {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[k] === after[k]) continue;
      if (k in before && (before[k] as number) > senderLevel) reject(`not enough power to change ${f}.${k}`);
      if (k in after && (after[k] as number) > senderLevel) reject(`not enough power to set ${f}.${k}`);
    }
  }
  const before = isObject(prev.users) ? (prev.users as JsonObject) : {};
  const after = isObject(next.users) ? (next.users as JsonObject) : {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[k] === after[k]) continue;
    if (k !== event.sender && k in before && (before[k] as number) >= senderLevel) reject(`not enough power to change ${k}'s level`);
    if (k in after && (after[k] as number) > senderLevel) reject(`cannot give ${k} more power than you have`);
  }
}

function domain(roomId: string): string {
  return roomId.slice(roomId.indexOf(':') + 1);
}
function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function isInt(v: JsonValue | undefined): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
