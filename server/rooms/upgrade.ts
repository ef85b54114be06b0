// Room upgrades (client-server spec "Room Upgrades"): a new room of the requested version with
// `predecessor`, the old room's important state copied over, local aliases and the directory
// listing moved, then a tombstone in the old room and its power levels raised so members move on.
import type { JsonObject } from '../http/body.ts';
import type { RoomService } from './service.ts';
import type { EventDraft } from './types.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { randomString } from '../ids.ts';
import { roomVersion } from './versions.ts';
import { effectivePowerLevels, eventLevel, userLevel } from './power_levels.ts';
import { memberProfile } from './create_room.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as aliasesRepo from '../storage/repos/aliases.ts';

/** State carried into the new room, in this order (after create, the upgrader's join and power levels). */
const COPIED_STATE = [
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.encryption',
  'm.room.server_acl',
  'm.room.canonical_alias',
  'm.room.pinned_events',
  'm.space.child',
  'm.space.parent',
];

export async function upgradeRoom(rooms: RoomService, oldRoomId: string, userId: string, newVersion: string): Promise<string> {
  const version = roomVersion(newVersion);
  if (!version) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${newVersion} is not supported (10, 11 are)`);

  const old = rooms.read((db) => {
    const room = roomsRepo.getRoom(db, oldRoomId);
    if (!room || roomsRepo.getMembership(db, oldRoomId, userId)?.membership !== 'join') throw errors.forbidden('You are not in this room');
    const content = (type: string, key = '') => {
      const json = roomsRepo.currentStateJson(db, oldRoomId, type, key);
      return json ? ((JSON.parse(json) as JsonObject).content as JsonObject) : undefined;
    };
    if (content('m.room.tombstone')?.replacement_room) throw errors.invalidParam('This room has already been upgraded');
    const plContent = content('m.room.power_levels');
    const pl = effectivePowerLevels(plContent, room.creator);
    if (userLevel(pl, userId) < eventLevel(pl, 'm.room.tombstone', true)) throw errors.forbidden('Not enough power to upgrade this room');
    const state: { type: string; key: string; content: JsonObject }[] = [];
    for (const type of COPIED_STATE) {
      for (const entry of roomsRepo.currentStateOfType(db, oldRoomId, type)) {
        const c = content(type, entry.state_key);
        if (c && Object.keys(c).length) state.push({ type, key: entry.state_key, content: c });
      }
    }
    return { room, create: content('m.room.create') ?? {}, plContent, pl, state };
  });

  const newRoomId = `!${randomString(18)}:${rooms.serverName}`;
  const createContent: JsonObject = { room_version: newVersion, predecessor: { room_id: oldRoomId, event_id: old.room.last_event_id ?? '' } };
  for (const key of ['type', 'm.federate'] as const) if (old.create[key] !== undefined) createContent[key] = old.create[key];
  if (version.createHasCreator) createContent.creator = userId;

  // The upgrader needs enough power to send the copied state; the old levels are restored last.
  const finalPl: JsonObject = old.plContent ? structuredClone(old.plContent) : { users: { [userId]: 100 } };
  const bootstrapPl: JsonObject = structuredClone(finalPl);
  const users = (bootstrapPl.users && typeof bootstrapPl.users === 'object' && !Array.isArray(bootstrapPl.users) ? bootstrapPl.users : {}) as JsonObject;
  users[userId] = Math.max(100, userLevel(old.pl, userId));
  bootstrapPl.users = users;

  const drafts: EventDraft[] = [
    { type: 'm.room.create', stateKey: '', sender: userId, content: createContent },
    { type: 'm.room.member', stateKey: userId, sender: userId, content: { ...memberProfile(rooms.profileOf(userId)), membership: 'join' } },
    { type: 'm.room.power_levels', stateKey: '', sender: userId, content: bootstrapPl },
    ...old.state.map((s) => ({ type: s.type, stateKey: s.key, sender: userId, content: s.content })),
  ];
  if (JSON.stringify(finalPl) !== JSON.stringify(bootstrapPl)) drafts.push({ type: 'm.room.power_levels', stateKey: '', sender: userId, content: finalPl });

  await rooms.createRoom({ roomId: newRoomId, version: newVersion, creator: userId, isPublic: !!old.room.is_public, drafts });
  await rooms.sendBatch(oldRoomId, [{ type: 'm.room.tombstone', stateKey: '', sender: userId, content: { body: 'This room has been replaced', replacement_room: newRoomId } }], (db) => {
    aliasesRepo.moveAliases(db, oldRoomId, newRoomId);
    roomsRepo.setRoomPublic(db, oldRoomId, false);
  });
  // Members may no longer talk or invite in the old room (as Synapse does); best effort.
  const restricted = Math.max(50, old.pl.users_default + 1);
  const oldPl: JsonObject = old.plContent ? structuredClone(old.plContent) : { users: { [old.room.creator]: 100 } };
  if (userLevel(old.pl, userId) >= eventLevel(old.pl, 'm.room.power_levels', true)) {
    oldPl.events_default = Math.max(old.pl.events_default, restricted);
    oldPl.invite = Math.max(old.pl.invite, restricted);
    try {
      await rooms.send(oldRoomId, { type: 'm.room.power_levels', stateKey: '', sender: userId, content: oldPl });
    } catch {
      /* the upgrade stands without it */
    }
  }
  return newRoomId;
}
