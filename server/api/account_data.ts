// Account data: GET/PUT /user/{userId}/account_data/{type} and
// /user/{userId}/rooms/{roomId}/account_data/{type}. Only for yourself; missing → 404 M_NOT_FOUND.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { isValidRoomId } from '../ids.ts';
import { assertJsonDepth } from '../userdata/json_depth.ts';

/** The spec's answer for a type the server controls: 405 with M_BAD_JSON. */
function serverManaged(type: string, instead: string): MatrixError {
  return new MatrixError(405, 'M_BAD_JSON', `${type} is controlled by the server; ${instead}`);
}

/** Types the server manages through their own APIs (push rules, read markers). */
const SERVER_MANAGED_GLOBAL = new Set(['m.push_rules']);
const SERVER_MANAGED_ROOM = new Set(['m.fully_read']);

export function ownUser(pathUserId: string | undefined, userId: string, what = 'account data'): void {
  if (pathUserId !== userId) throw errors.forbidden(`You cannot access the ${what} of another user`);
}

export function roomParam(roomId: string | undefined): string {
  if (!roomId || !isValidRoomId(roomId)) throw errors.invalidParam('Malformed room ID');
  return roomId;
}

function typeParam(type: string | undefined): string {
  if (!type || Buffer.byteLength(type) > 255) throw errors.invalidParam('The account data type must be 1 to 255 bytes');
  return type;
}

export function register(routes: RouteTable, ctx: ServerContext): void {
  const data = ctx.userData.accountData;

  routes.get(clientPath('/user/:userId/account_data/:type'), ({ params, user }) => {
    ownUser(params.userId, user.userId);
    const content = data.get(user.userId, '', typeParam(params.type));
    if (content === undefined) throw errors.notFound('Account data not found');
    return content;
  });

  routes.put(clientPath('/user/:userId/account_data/:type'), async ({ params, user, body }) => {
    ownUser(params.userId, user.userId);
    const type = typeParam(params.type);
    if (SERVER_MANAGED_GLOBAL.has(type)) throw serverManaged(type, 'use the push rules API');
    assertJsonDepth(body);
    await data.put(user.userId, '', type, body);
    return {};
  });

  routes.get(clientPath('/user/:userId/rooms/:roomId/account_data/:type'), ({ params, user }) => {
    ownUser(params.userId, user.userId);
    const content = data.get(user.userId, roomParam(params.roomId), typeParam(params.type));
    if (content === undefined) throw errors.notFound('Room account data not found');
    return content;
  });

  routes.put(clientPath('/user/:userId/rooms/:roomId/account_data/:type'), async ({ params, user, body }) => {
    ownUser(params.userId, user.userId);
    const roomId = roomParam(params.roomId);
    const type = typeParam(params.type);
    if (SERVER_MANAGED_ROOM.has(type)) throw serverManaged(type, 'use /read_markers');
    assertJsonDepth(body);
    await data.put(user.userId, roomId, type, body);
    return {};
  });
}
