// The host's status for the desktop's host panel (server/status/): GET the current status, or
// POST for a one-time ticket that opens the live WebSocket at /_meowtrix/admin/v1/status/ws.
// Server admins only: 401 without a token, 403 M_FORBIDDEN for everyone else.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { bearerToken } from '../accounts/authenticator.ts';
import { requireAdmin } from './admin_users.ts';
import { STATUS_PATH } from '../status/service.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(STATUS_PATH, async (c) => {
    requireAdmin(c.user);
    return ctx.status.feed.current();
  });

  routes.post(`${STATUS_PATH}/ticket`, (c) => {
    requireAdmin(c.user);
    // The route table authenticated this very header, so it is present.
    return ctx.status.issueTicket(bearerToken(c.req.headers.authorization)!);
  });
}
