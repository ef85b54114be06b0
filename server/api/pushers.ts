// GET /pushers, POST /pushers/set (server/push/pushers.ts; delivery in server/push/delivery.ts).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/pushers'), ({ user }) => ({ pushers: ctx.push.pushers.list(user.userId) }));

  routes.post(clientPath('/pushers/set'), async ({ body, user }) => {
    await ctx.push.pushers.set(user.userId, user.deviceId, body);
    return {};
  });
}
