// Synapse-compatible admin API for registration tokens. Admins only.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { optInt, optString } from '../http/validate.ts';
import { isValidTokenString } from '../accounts/registration_tokens.ts';
import { requireAdmin } from './admin_users.ts';

const BASE = '/_synapse/admin/v1/registration_tokens';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const tokens = ctx.registrationTokens;

  const expiryField = (body: Record<string, unknown>) => {
    const expiry = optInt(body, 'expiry_time');
    if (typeof expiry === 'number' && expiry < ctx.clock.now()) throw errors.invalidParam('expiry_time is in the past');
    return expiry;
  };
  const existing = (token: string) => {
    const found = tokens.get(token);
    if (!found) throw errors.notFound('No such registration token');
    return found;
  };

  routes.get(BASE, ({ user, query }) => {
    requireAdmin(user);
    const valid = query.valid === undefined ? undefined : query.valid === 'true';
    if (query.valid !== undefined && query.valid !== 'true' && query.valid !== 'false') throw errors.invalidParam('valid must be true or false');
    return { registration_tokens: tokens.list(valid) };
  });

  routes.post(`${BASE}/new`, async ({ user, body }) => {
    requireAdmin(user);
    const token = optString(body, 'token');
    if (token !== undefined && !isValidTokenString(token)) throw errors.invalidParam('token must be 1-64 characters of A-Z a-z 0-9 . _ ~ -');
    const length = optInt(body, 'length');
    if (token !== undefined && length != null) throw errors.invalidParam('give token or length, not both');
    if (length != null && (length < 1 || length > 64)) throw errors.invalidParam('length must be 1-64');
    return tokens.create({ token, length: length ?? undefined, usesAllowed: optInt(body, 'uses_allowed'), expiryTime: expiryField(body) });
  });

  routes.get(`${BASE}/:token`, ({ user, params }) => {
    requireAdmin(user);
    return existing(params.token!);
  });

  routes.put(`${BASE}/:token`, async ({ user, params, body }) => {
    requireAdmin(user);
    existing(params.token!);
    return tokens.update(params.token!, { usesAllowed: optInt(body, 'uses_allowed'), expiryTime: expiryField(body) });
  });

  routes.delete(`${BASE}/:token`, async ({ user, params }) => {
    requireAdmin(user);
    await tokens.delete(params.token!);
    return {};
  });
}
