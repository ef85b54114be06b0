// GET /voip/turnServer: this LAN server runs no TURN server. Clients take an empty answer as
// "none configured" and fall back to host candidates, which is what a LAN call needs.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';

export function register(routes: RouteTable, _ctx: ServerContext): void {
  routes.get(clientPath('/voip/turnServer'), () => ({}));
}
