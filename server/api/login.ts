// GET/POST /login (spec "Login"): password login only. Failed attempts are rate-limited per
// client IP and per user (what guessing costs); successful logins give their attempt back.
// No refresh tokens: FluffyChat would call /refresh if it saw expires_in_ms (CLIENT-COMPAT §1.5).
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { RateLimiter } from '../http/ratelimit.ts';
import { accountErrors } from '../accounts/errors.ts';
import { checkDeviceId, checkDisplayName } from '../accounts/fields.ts';
import { optObject, optString } from '../http/validate.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const perIp = new RateLimiter(ctx.config.loginRateLimit);
  const perUser = new RateLimiter(ctx.config.loginRateLimit);

  routes.get(clientPath('/login'), () => ({ flows: [{ type: 'm.login.password' }] }), { auth: 'none' });

  routes.post(
    clientPath('/login'),
    async ({ body, req }) => {
      const type = optString(body, 'type');
      if (type === undefined) throw errors.missingParam('"type" is required');
      if (type !== 'm.login.password') throw accountErrors.unknown(`Login type ${type} is not supported; use m.login.password`);

      const identifier = optObject(body, 'identifier');
      let user: string | undefined;
      if (identifier) {
        const idType = optString(identifier, 'type');
        if (idType !== 'm.id.user') {
          throw errors.forbidden('Log in with your username; phone numbers and email addresses are not used on this server');
        }
        user = optString(identifier, 'user');
      } else {
        user = optString(body, 'user');
      }
      if (user === undefined) throw errors.missingParam('identifier.user is required');
      const password = optString(body, 'password');
      if (password === undefined) throw errors.missingParam('"password" is required');
      const deviceId = optString(body, 'device_id');
      if (deviceId !== undefined) checkDeviceId(deviceId);
      const displayName = checkDisplayName(optString(body, 'initial_device_display_name'), 'initial_device_display_name');

      // Taken before checking, so parallel guesses cannot all slip through while scrypt runs.
      const ipKey = req.socket.remoteAddress ?? 'unknown';
      const userKey = ctx.accounts.resolveLocalUser(user) ?? user;
      perIp.take(ipKey);
      try {
        perUser.take(userKey);
      } catch (err) {
        perIp.refund(ipKey);
        throw err;
      }
      const session = await ctx.accounts.passwordLogin({ user, password, deviceId, deviceDisplayName: displayName ?? null });
      perIp.refund(ipKey);
      perUser.refund(userKey);
      return {
        user_id: session.userId,
        access_token: session.accessToken,
        device_id: session.deviceId,
        home_server: ctx.config.serverName,
      };
    },
    { auth: 'none' },
  );
}
