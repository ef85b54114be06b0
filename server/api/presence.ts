// GET/PUT /presence/{userId}/status. Anyone may read the presence of users they share a room with.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { isValidUserId } from '../ids.ts';
import { isPresenceState } from '../userdata/presence.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const presence = ctx.userData.presence;

  routes.get(clientPath('/presence/:userId/status'), ({ params, user }) => {
    const target = params.userId!;
    if (!isValidUserId(target)) throw errors.invalidParam('Malformed user ID');
    if (target !== user.userId && !ctx.userData.rooms.usersSharingRooms(user.userId).includes(target)) {
      throw errors.forbidden('You do not share a room with this user');
    }
    return presence.content(target) ?? { presence: 'offline' };
  });

  routes.put(clientPath('/presence/:userId/status'), async ({ params, body, user }) => {
    if (params.userId !== user.userId) throw errors.forbidden('You can only set your own presence');
    if (!isPresenceState(body.presence)) throw errors.badJson('presence must be online, unavailable or offline');
    if (body.status_msg !== undefined && body.status_msg !== null && typeof body.status_msg !== 'string') throw errors.badJson('status_msg must be a string');
    const statusMsg = typeof body.status_msg === 'string' ? body.status_msg.slice(0, 1024) : null;
    await presence.set(user.userId, body.presence, statusMsg);
    return {};
  });
}
