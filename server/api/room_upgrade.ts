// POST /rooms/{roomId}/upgrade (server/rooms/upgrade.ts).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { upgradeRoom } from '../rooms/upgrade.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/rooms/:roomId/upgrade'), async ({ params, body, user }) => {
    if (typeof body.new_version !== 'string') throw errors.badJson('new_version must be a string');
    const replacement = await upgradeRoom(ctx.rooms, params.roomId!, user.userId, body.new_version);
    return { replacement_room: replacement };
  });
}
