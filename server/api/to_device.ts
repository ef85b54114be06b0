// PUT /sendToDevice/{eventType}/{txnId}: idempotent per sender device and txnId.
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.put(clientPath('/sendToDevice/:eventType/:txnId'), async ({ user, params, body }) => {
    await ctx.e2ee.toDevice.send(user, params.eventType!, params.txnId!, body);
    return {};
  });
}
