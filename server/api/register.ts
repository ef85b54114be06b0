// POST /register (spec "Account registration"): closed unless the host opens it or hands out
// registration tokens; GET /register/available; GET /v1/register/m.login.registration_token/validity.
import { clientPath, clientV1Path, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { RateLimiter } from '../http/ratelimit.ts';
import { accountErrors } from '../accounts/errors.ts';
import { checkDeviceId, checkDisplayName } from '../accounts/fields.ts';
import { optBool, optString } from '../http/validate.ts';
import { checkPassword } from '../accounts/service.ts';
import { randomString } from '../ids.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const { accounts, registrationTokens } = ctx;
  // Guessing tokens costs the same as guessing passwords.
  const tokenChecks = new RateLimiter(ctx.config.loginRateLimit);

  /** The flows open right now: dummy with --open-registration, a token while the host has one. */
  const currentFlows = (): string[][] => {
    const flows: string[][] = [];
    if (ctx.config.openRegistration) flows.push(['m.login.dummy']);
    if (registrationTokens.anyUsable()) flows.push(['m.login.registration_token']);
    return flows;
  };

  routes.post(
    clientPath('/register'),
    async ({ body, query, req }) => {
      if (query.kind === 'guest') throw accountErrors.guestForbidden();
      if (query.kind !== undefined && query.kind !== 'user') throw errors.invalidParam('kind must be "user" or "guest"');
      const flows = currentFlows();
      if (!flows.length) throw accountErrors.registrationClosed();

      const username = optString(body, 'username');
      const password = optString(body, 'password');
      const deviceId = optString(body, 'device_id');
      const displayName = checkDisplayName(optString(body, 'initial_device_display_name'), 'initial_device_display_name');
      const inhibitLogin = optBool(body, 'inhibit_login') ?? false;
      optBool(body, 'refresh_token');
      if (username !== undefined) accounts.checkNewLocalpart(username);
      if (password !== undefined) checkPassword(password);
      if (deviceId !== undefined) checkDeviceId(deviceId);

      const auth = body.auth as Record<string, unknown> | undefined;
      const ipKey = req.socket.remoteAddress ?? 'unknown';
      const tokenStage = typeof auth === 'object' && auth !== null && auth.type === 'm.login.registration_token';
      if (tokenStage) tokenChecks.take(ipKey);
      const session = await ctx.uia.authenticate({ action: 'register', userId: null, flows, auth: body.auth });
      if (tokenStage) tokenChecks.refund(ipKey);

      if (password === undefined) throw errors.missingParam('"password" is required');
      const token = session.completed.get('m.login.registration_token') as string | undefined;
      ctx.limits.take('register', req, null);
      const localpart = username ?? `user${randomString(8).toLowerCase()}`;
      const userId = await accounts.createUser({
        localpart,
        password,
        guard: (db, now) => {
          if (token !== undefined && !registrationTokens.consumeIn(db, token, now)) {
            throw errors.forbidden('The registration token was used up or expired meanwhile');
          }
        },
      });
      if (inhibitLogin) return { user_id: userId, home_server: ctx.config.serverName };
      const login = await accounts.createSession(userId, deviceId, displayName ?? null);
      return { user_id: userId, access_token: login.accessToken, device_id: login.deviceId, home_server: ctx.config.serverName };
    },
    { auth: 'none' },
  );

  routes.get(
    clientPath('/register/available'),
    ({ query }) => {
      const username = query.username;
      if (!username) throw errors.missingParam('username is required');
      accounts.checkNewLocalpart(username);
      return { available: true };
    },
    { auth: 'none' },
  );

  routes.get(
    clientV1Path('/register/m.login.registration_token/validity'),
    ({ query, req }) => {
      const token = query.token;
      if (token === undefined) throw errors.missingParam('token is required');
      if (!ctx.config.openRegistration && !registrationTokens.anyUsable()) throw accountErrors.registrationClosed();
      const ipKey = req.socket.remoteAddress ?? 'unknown';
      tokenChecks.take(ipKey);
      const valid = registrationTokens.isValid(token);
      if (valid) tokenChecks.refund(ipKey);
      return { valid };
    },
    { auth: 'none' },
  );
}
