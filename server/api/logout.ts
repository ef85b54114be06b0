// POST /logout and /logout/all: the device (or every device) and its tokens are deleted.
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/logout'), async ({ user }) => {
    await ctx.accounts.deleteDevices(user.userId, [user.deviceId]);
    return {};
  });
  routes.post(clientPath('/logout/all'), async ({ user }) => {
    await ctx.accounts.logoutAll(user.userId);
    return {};
  });
}
