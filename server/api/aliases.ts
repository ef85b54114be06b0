// Room aliases: PUT/GET/DELETE /directory/room/{alias}, GET /rooms/{roomId}/aliases, and the
// room directory listing flag GET/PUT /directory/list/room/{roomId}.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { isValidRoomAlias, isValidRoomId } from '../ids.ts';
import * as aliasesRepo from '../storage/repos/aliases.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import { effectivePowerLevels, eventLevel, userLevel } from '../rooms/power_levels.ts';
import { readableUpTo, requireJoined } from '../rooms/reader.ts';
import type { SqlReader } from '../storage/types.ts';
import type { JsonObject } from '../http/body.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const aliasParam = (alias: string): string => {
    if (!isValidRoomAlias(alias)) throw errors.invalidParam(`${alias} is not a valid room alias`);
    return alias;
  };

  routes.put(clientPath('/directory/room/:roomAlias'), async ({ params, body, user }) => {
    const alias = aliasParam(params.roomAlias!);
    if (alias.slice(alias.indexOf(':') + 1) !== ctx.config.serverName) throw errors.invalidParam(`Aliases here must end in :${ctx.config.serverName}`);
    const roomId = body.room_id;
    if (typeof roomId !== 'string' || !isValidRoomId(roomId)) throw errors.badJson('room_id must be a room ID');
    await ctx.storage.write((db) => {
      requireJoined(db, roomId, user.userId);
      if (aliasesRepo.getAlias(db, alias)) throw new MatrixError(409, 'M_UNKNOWN', `${alias} already exists`);
      aliasesRepo.insertAlias(db, alias, roomId, user.userId);
    });
    return {};
  });

  routes.get(
    clientPath('/directory/room/:roomAlias'),
    ({ params }) => {
      const alias = aliasParam(params.roomAlias!);
      const row = ctx.storage.read((db) => aliasesRepo.getAlias(db, alias));
      if (!row) throw errors.notFound(`No room has the alias ${alias}`);
      return { room_id: row.room_id, servers: [ctx.config.serverName] };
    },
    { auth: 'optional' },
  );

  routes.delete(clientPath('/directory/room/:roomAlias'), async ({ params, user }) => {
    const alias = aliasParam(params.roomAlias!);
    await ctx.storage.write((db) => {
      const row = aliasesRepo.getAlias(db, alias);
      if (!row) throw errors.notFound(`No room has the alias ${alias}`);
      if (row.creator !== user.userId && !user.isAdmin && !mayManage(db, row.room_id, user.userId, 'm.room.canonical_alias')) {
        throw errors.forbidden('Only the alias creator, an admin or a room moderator may delete it');
      }
      aliasesRepo.deleteAlias(db, alias);
    });
    return {};
  });

  routes.get(clientPath('/rooms/:roomId/aliases'), ({ params, user }) =>
    ctx.storage.read((db) => {
      readableUpTo(db, params.roomId!, user.userId);
      return { aliases: aliasesRepo.aliasesOfRoom(db, params.roomId!) };
    }),
  );

  routes.get(
    clientPath('/directory/list/room/:roomId'),
    ({ params }) => {
      const room = ctx.storage.read((db) => roomsRepo.getRoom(db, params.roomId!));
      if (!room) throw errors.notFound('No such room');
      return { visibility: room.is_public ? 'public' : 'private' };
    },
    { auth: 'none' },
  );

  routes.put(clientPath('/directory/list/room/:roomId'), async ({ params, body, user }) => {
    const visibility = body.visibility ?? 'public';
    if (visibility !== 'public' && visibility !== 'private') throw errors.badJson('visibility must be "public" or "private"');
    await ctx.storage.write((db) => {
      const room = roomsRepo.getRoom(db, params.roomId!);
      if (!room) throw errors.notFound('No such room');
      if (!user.isAdmin && !mayManage(db, room.room_id, user.userId, 'm.room.canonical_alias')) throw errors.forbidden('Not enough power to publish this room');
      roomsRepo.setRoomPublic(db, room.room_id, visibility === 'public');
    });
    return {};
  });
}

/** Joined, with the power to send the given state event. */
function mayManage(db: SqlReader, roomId: string, userId: string, stateType: string): boolean {
  const room = roomsRepo.getRoom(db, roomId);
  if (!room || roomsRepo.getMembership(db, roomId, userId)?.membership !== 'join') return false;
  const json = roomsRepo.currentStateJson(db, roomId, 'm.room.power_levels', '');
  const pl = effectivePowerLevels(json ? ((JSON.parse(json) as JsonObject).content as JsonObject) : undefined, room.creator);
  return userLevel(pl, userId) >= eventLevel(pl, stateType, true);
}
