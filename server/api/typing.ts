// PUT /rooms/{roomId}/typing/{userId}: {typing, timeout}. Your own typing, in rooms you are in.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { roomParam } from './account_data.ts';
import { DEFAULT_TYPING_MS } from '../userdata/typing.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.put(clientPath('/rooms/:roomId/typing/:userId'), ({ params, body, user }) => {
    const roomId = roomParam(params.roomId);
    if (params.userId !== user.userId) throw errors.forbidden('You can only set your own typing state');
    if (typeof body.typing !== 'boolean') throw errors.badJson('typing must be a boolean');
    if (body.timeout !== undefined && !(typeof body.timeout === 'number' && Number.isFinite(body.timeout) && body.timeout >= 0)) {
      throw errors.badJson('timeout must be a non-negative number of milliseconds');
    }
    if (!ctx.userData.rooms.isJoined(roomId, user.userId)) throw errors.forbidden('You are not joined to this room');
    ctx.userData.typing.set(roomId, user.userId, body.typing, typeof body.timeout === 'number' ? body.timeout : DEFAULT_TYPING_MS);
    return {};
  });
}
