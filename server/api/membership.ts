// Membership: invite, join, leave, forget, kick, ban, unban, knock, and /joined_rooms
// (client-server spec "Room membership").
import type { RouteTable, Ctx } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import { clientPath } from '../http/routes.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { isValidRoomAlias, isValidRoomId, isValidUserId } from '../ids.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as aliasesRepo from '../storage/repos/aliases.ts';
import { checkInvitee } from './create_room.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const rooms = ctx.rooms;

  routes.post(clientPath('/rooms/:roomId/invite'), async ({ params, body, user, req }) => {
    ctx.limits.take('invite', req, user);
    const target = userIdParam(body);
    checkInvitee(ctx, target);
    const extra = reason(body);
    if (body.is_direct === true) extra.is_direct = true;
    await rooms.setMembership(roomIdParam(ctx, params.roomId!), user.userId, target, 'invite', extra);
    return {};
  });

  const join = async ({ params, body, user }: Ctx) => {
    const roomId = resolveRoom(ctx, params.roomIdOrAlias ?? params.roomId!);
    // Joining again is a no-op (clients retry), but a new display name still applies.
    await rooms.setMembership(roomId, user.userId, user.userId, 'join', reason(body));
    return { room_id: roomId };
  };
  routes.post(clientPath('/rooms/:roomId/join'), join);
  routes.post(clientPath('/join/:roomIdOrAlias'), join);

  routes.post(clientPath('/knock/:roomIdOrAlias'), async ({ params, body, user }) => {
    const roomId = resolveRoom(ctx, params.roomIdOrAlias!);
    await rooms.setMembership(roomId, user.userId, user.userId, 'knock', reason(body));
    return { room_id: roomId };
  });

  routes.post(clientPath('/rooms/:roomId/leave'), async ({ params, body, user }) => {
    const roomId = roomIdParam(ctx, params.roomId!);
    const current = rooms.membership(roomId, user.userId);
    if (current === undefined || current === 'leave' || current === 'ban') {
      if (current === undefined) throw errors.forbidden('You are not in this room');
      return {}; // already left: leaving is idempotent
    }
    await rooms.setMembership(roomId, user.userId, user.userId, 'leave', reason(body));
    return {};
  });

  routes.post(clientPath('/rooms/:roomId/forget'), async ({ params, user }) => {
    const roomId = roomIdParam(ctx, params.roomId!);
    await ctx.storage.write((db) => {
      const m = roomsRepo.getMembership(db, roomId, user.userId);
      if (!m) throw errors.notFound('You were never in this room');
      if (m.membership === 'join' || m.membership === 'invite' || m.membership === 'knock') {
        throw new MatrixError(400, 'M_UNKNOWN', 'Leave the room before forgetting it');
      }
      roomsRepo.forgetRoom(db, roomId, user.userId);
    });
    return {};
  });

  routes.post(clientPath('/rooms/:roomId/kick'), async ({ params, body, user }) => {
    const target = userIdParam(body);
    const roomId = roomIdParam(ctx, params.roomId!);
    const current = rooms.membership(roomId, target);
    if (current !== 'join' && current !== 'invite' && current !== 'knock') throw errors.forbidden(`${target} is not in this room`);
    await rooms.setMembership(roomId, user.userId, target, 'leave', reason(body));
    return {};
  });

  routes.post(clientPath('/rooms/:roomId/ban'), async ({ params, body, user }) => {
    await rooms.setMembership(roomIdParam(ctx, params.roomId!), user.userId, userIdParam(body), 'ban', reason(body));
    return {};
  });

  routes.post(clientPath('/rooms/:roomId/unban'), async ({ params, body, user }) => {
    const target = userIdParam(body);
    const roomId = roomIdParam(ctx, params.roomId!);
    if (rooms.membership(roomId, target) !== 'ban') throw errors.forbidden(`${target} is not banned`);
    await rooms.setMembership(roomId, user.userId, target, 'leave', reason(body));
    return {};
  });

  routes.get(clientPath('/joined_rooms'), ({ user }) => ({ joined_rooms: rooms.joinedRoomIds(user.userId) }));
}

function userIdParam(body: JsonObject): string {
  const u = body.user_id;
  if (u === undefined) throw errors.missingParam('user_id is required');
  if (typeof u !== 'string' || !isValidUserId(u)) throw errors.invalidParam('user_id must be a valid user ID');
  return u;
}

function reason(body: JsonObject): JsonObject {
  if (body.reason === undefined) return {};
  if (typeof body.reason !== 'string') throw errors.badJson('reason must be a string');
  return { reason: body.reason };
}

/** A room ID from the path; unknown rooms are 404 for membership changes. */
export function roomIdParam(ctx: ServerContext, roomId: string): string {
  if (!isValidRoomId(roomId)) throw errors.invalidParam(`${roomId} is not a valid room ID`);
  if (!ctx.rooms.exists(roomId)) throw errors.notFound('No such room');
  return roomId;
}

function resolveRoom(ctx: ServerContext, idOrAlias: string): string {
  if (idOrAlias.startsWith('#')) {
    if (!isValidRoomAlias(idOrAlias)) throw errors.invalidParam(`${idOrAlias} is not a valid room alias`);
    const alias = ctx.storage.read((db) => aliasesRepo.getAlias(db, idOrAlias));
    if (!alias) throw errors.notFound(`No room has the alias ${idOrAlias}`);
    return alias.room_id;
  }
  return roomIdParam(ctx, idOrAlias);
}
