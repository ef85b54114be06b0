// Synapse-compatible admin API for users and their devices (what synapse-admin and scripts use),
// plus the spec's GET /admin/whois/{userId}. Admins only; everyone else gets 403 M_FORBIDDEN.
import { clientPath, type Ctx, type Requester, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { accountErrors } from '../accounts/errors.ts';
import { parseUserId } from '../ids.ts';
import { adminDevice, adminUserDetails, adminUserSummary } from '../accounts/admin_view.ts';
import { checkAvatarUrl, checkDisplayName } from '../accounts/fields.ts';
import { optBool, optString, reqString, stringList } from '../http/validate.ts';
import { checkPassword } from '../accounts/service.ts';
import * as users from '../storage/repos/users.ts';

export function requireAdmin(user: Requester): void {
  if (!user.isAdmin) throw accountErrors.notAdmin();
}

function queryInt(value: string | undefined, name: string, def: number, max: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw errors.invalidParam(`"${name}" must be a non-negative integer`);
  return Math.min(n, max);
}

export function register(routes: RouteTable, ctx: ServerContext): void {
  const { accounts } = ctx;

  /** The local user named in the path; 400 for a remote or malformed ID, 404 if unknown. */
  const pathUser = ({ params }: Ctx, mustExist = true) => {
    const userId = params.userId!;
    const parsed = parseUserId(userId);
    if (!parsed) throw errors.invalidParam(`Not a user ID: ${userId}`);
    if (parsed.serverName !== accounts.serverName) throw errors.invalidParam('Only local users can be managed here');
    const row = accounts.getUser(userId);
    if (mustExist && !row) throw accountErrors.userNotFound();
    return { userId, localpart: parsed.localpart, row };
  };
  const admin = (c: Ctx) => requireAdmin(c.user);

  routes.get('/_synapse/admin/v1/server_version', (c) => {
    admin(c);
    return { server_version: 'Meowtrix 0.1.0' };
  });

  routes.get('/_synapse/admin/v2/users', (c) => {
    admin(c);
    const from = queryInt(c.query.from, 'from', 0, Number.MAX_SAFE_INTEGER);
    const limit = queryInt(c.query.limit, 'limit', 100, 1000);
    const name = c.query.name ?? c.query.user_id;
    const includeDeactivated = c.query.deactivated === 'true';
    const page = ctx.storage.read((db) => users.listUsers(db, { from, limit, name, includeDeactivated }));
    return {
      users: page.users.map(adminUserSummary),
      total: page.total,
      ...(from + page.users.length < page.total ? { next_token: String(from + page.users.length) } : {}),
    };
  });

  routes.get('/_synapse/admin/v2/users/:userId', (c) => {
    admin(c);
    return adminUserDetails(pathUser(c).row!);
  });

  routes.put('/_synapse/admin/v2/users/:userId', async (c) => {
    admin(c);
    const { userId, localpart, row } = pathUser(c, false);
    const body = c.body;
    const password = optString(body, 'password');
    if (password !== undefined) checkPassword(password);
    const displayname = checkDisplayName(optString(body, 'displayname'), 'displayname');
    const avatarUrl = checkAvatarUrl(optString(body, 'avatar_url'));
    const isAdmin = optBool(body, 'admin');
    const deactivated = optBool(body, 'deactivated');
    const logoutDevices = optBool(body, 'logout_devices') ?? true;

    if (!row) {
      if (deactivated) throw errors.invalidParam('Cannot create a deactivated user');
      await accounts.createUser({ localpart, password: password ?? null, admin: isAdmin ?? false, displayname: displayname ?? localpart });
      if (avatarUrl !== undefined) await ctx.profiles.setAvatarUrl(userId, avatarUrl || null);
      c.res.status(201).json(adminUserDetails(accounts.getUser(userId)!));
      return;
    }
    // Every refusal before the first write: a refused request changes nothing.
    if (deactivated === false && row.deactivated && password === undefined) {
      throw errors.invalidParam('Give a password to reactivate a user');
    }
    if (isAdmin === false && userId === c.user.userId) throw errors.invalidParam('You cannot remove your own admin rights');
    if (deactivated === true && !row.deactivated) await accounts.deactivate(userId);
    if (deactivated === false && row.deactivated) await accounts.reactivate(userId);
    if (password !== undefined) await accounts.setPassword(userId, password, { logoutDevices });
    if (isAdmin !== undefined) await accounts.setAdmin(userId, isAdmin);
    if (displayname !== undefined) await ctx.profiles.setDisplayname(userId, displayname);
    if (avatarUrl !== undefined) await ctx.profiles.setAvatarUrl(userId, avatarUrl || null);
    return adminUserDetails(accounts.getUser(userId)!);
  });

  routes.post('/_synapse/admin/v1/deactivate/:userId', async (c) => {
    admin(c);
    const { userId } = pathUser(c);
    optBool(c.body, 'erase');
    await accounts.deactivate(userId);
    return { id_server_unbind_result: 'success' };
  });

  routes.post('/_synapse/admin/v1/reset_password/:userId', async (c) => {
    admin(c);
    const { userId, row } = pathUser(c);
    const password = checkPassword(reqString(c.body, 'new_password'));
    if (row!.deactivated) throw errors.invalidParam('The user is deactivated');
    await accounts.setPassword(userId, password, { logoutDevices: optBool(c.body, 'logout_devices') ?? true });
    return {};
  });

  routes.get('/_synapse/admin/v2/users/:userId/devices', (c) => {
    admin(c);
    const { userId } = pathUser(c);
    const devices = accounts.listDevices(userId).map((d) => adminDevice(accounts, d));
    return { devices, total: devices.length };
  });

  routes.get('/_synapse/admin/v2/users/:userId/devices/:deviceId', (c) => {
    admin(c);
    const { userId } = pathUser(c);
    const device = accounts.getDevice(userId, c.params.deviceId!);
    if (!device) throw accountErrors.deviceNotFound();
    return adminDevice(accounts, device);
  });

  routes.delete('/_synapse/admin/v2/users/:userId/devices/:deviceId', async (c) => {
    admin(c);
    const { userId } = pathUser(c);
    await accounts.deleteDevices(userId, [c.params.deviceId!]);
    return {};
  });

  routes.post('/_synapse/admin/v2/users/:userId/delete_devices', async (c) => {
    admin(c);
    const { userId } = pathUser(c);
    await accounts.deleteDevices(userId, stringList(c.body, 'devices'));
    return {};
  });

  // Whois: the spec lets users look themselves up; admins may look up anyone.
  const whois = (c: Ctx, adminOnly: boolean) => {
    if (adminOnly || c.params.userId !== c.user.userId) admin(c);
    const { userId } = pathUser(c);
    const devices: Record<string, unknown> = {};
    for (const d of accounts.listDevices(userId)) {
      const seen = accounts.lastSeenOf(userId, d.device_id);
      const connections = seen ? [{ ip: seen.ip, last_seen: seen.ts, user_agent: seen.userAgent ?? '' }] : [];
      devices[d.device_id] = { sessions: [{ connections }] };
    }
    return { user_id: userId, devices };
  };
  routes.get('/_synapse/admin/v1/whois/:userId', (c) => whois(c, true));
  routes.get(clientPath('/admin/whois/:userId'), (c) => whois(c, false));
}
