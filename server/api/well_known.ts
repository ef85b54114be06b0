// GET /.well-known/matrix/client: points clients at this server, as reached by the request.
import type { RouteTable } from '../http/routes.ts';

export function register(routes: RouteTable): void {
  routes.get('/.well-known/matrix/client', ({ req }) => ({
    'm.homeserver': { base_url: `${req.protocol}://${req.get('host') ?? 'localhost'}` },
  }), { auth: 'none' });
}
