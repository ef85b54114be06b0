// POST /user/{userId}/openid/request_token: a token a third party could verify through the
// federation API. There is no federation here, so nobody can redeem it, but clients (Element's
// widgets) need the call to answer with the right shape. Tokens are random and not stored.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { randomToken } from '../ids.ts';

const EXPIRES_IN_S = 3600;

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/user/:userId/openid/request_token'), ({ params, user }) => {
    if (params.userId !== user.userId) throw errors.forbidden('You can only request an OpenID token for yourself');
    return { access_token: randomToken(), token_type: 'Bearer', matrix_server_name: ctx.config.serverName, expires_in: EXPIRES_IN_S };
  });
}
