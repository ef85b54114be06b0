// Third-party networks (bridges): there are none here, so every lookup is empty rather than 404.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';

export function register(routes: RouteTable, _ctx: ServerContext): void {
  routes.get(clientPath('/thirdparty/protocols'), () => ({}));
  routes.get(clientPath('/thirdparty/protocol/:protocol'), () => {
    throw errors.notFound('No such protocol: this server has no bridges');
  });
  for (const kind of ['location', 'user']) {
    routes.get(clientPath(`/thirdparty/${kind}/:protocol`), () => []);
    routes.get(clientPath(`/thirdparty/${kind}`), () => []);
  }
}
