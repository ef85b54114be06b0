// Host operations shared by the CLI and the running server's admin socket: the same code runs
// in-process when the server is up (so nothing else opens its database) and offline when it is not.
import type { AccountServices } from './index.ts';
import { errors } from '../http/errors.ts';
import { accountErrors } from './errors.ts';
import * as users from '../storage/repos/users.ts';
import type { Storage } from '../storage/types.ts';
import type { MediaService } from '../media/service.ts';
import { MEDIA_ADMIN_OPS } from '../media/admin_ops.ts';

export type AdminArgs = Record<string, unknown>;

export interface AdminOpDeps extends AccountServices {
  storage: Storage;
  /** For media.* operations (usage, purge). */
  media?: MediaService;
}

function str(args: AdminArgs, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw errors.missingParam(`${key} is required`);
  return v;
}

function localUser(deps: AdminOpDeps, name: string): string {
  const userId = deps.accounts.resolveLocalUser(name);
  if (!userId || !deps.accounts.getUser(userId)) throw accountErrors.userNotFound();
  return userId;
}

const OPS: Record<string, (deps: AdminOpDeps, args: AdminArgs) => Promise<unknown>> = {
  async 'user.add'(deps, args) {
    const localpart = str(args, 'name');
    const userId = await deps.accounts.createUser({ localpart, password: str(args, 'password'), admin: args.admin === true });
    return { user_id: userId };
  },
  async 'user.list'(deps) {
    const page = deps.storage.read((db) => users.listUsers(db, { from: 0, limit: 1_000_000, includeDeactivated: true }));
    return {
      users: page.users.map((u) => ({ user_id: u.user_id, displayname: u.displayname, admin: u.is_admin === 1, deactivated: u.deactivated === 1 })),
    };
  },
  async 'user.passwd'(deps, args) {
    const userId = localUser(deps, str(args, 'name'));
    await deps.accounts.setPassword(userId, str(args, 'password'), { logoutDevices: args.logout_devices !== false });
    return { user_id: userId };
  },
  // A new access token for an existing account, no password: the desktop re-signs its host panel in
  // when the stored token died. Only the data dir's owner reaches this socket (0600).
  async 'user.session'(deps, args) {
    const userId = localUser(deps, str(args, 'name'));
    const user = deps.accounts.getUser(userId)!;
    if (user.deactivated) throw accountErrors.userDeactivated();
    if (args.require_admin === true && user.is_admin !== 1) throw accountErrors.notAdmin();
    // Reusing the stored device keeps one "host panel" device; anything odd gets a new one.
    const deviceId = typeof args.device_id === 'string' && /^[A-Za-z0-9._~-]{1,64}$/.test(args.device_id) ? args.device_id : undefined;
    const deviceName = typeof args.device_name === 'string' ? args.device_name : null;
    const session = await deps.accounts.createSession(userId, deviceId, deviceName);
    return { user_id: session.userId, device_id: session.deviceId, access_token: session.accessToken };
  },
  async 'user.deactivate'(deps, args) {
    const userId = localUser(deps, str(args, 'name'));
    await deps.accounts.deactivate(userId);
    return { user_id: userId };
  },
  async 'token.create'(deps, args) {
    const uses = args.uses_allowed;
    const expiry = args.expiry_time;
    return deps.registrationTokens.create({
      usesAllowed: typeof uses === 'number' ? uses : null,
      expiryTime: typeof expiry === 'number' ? expiry : null,
    });
  },
  async 'token.list'(deps) {
    return { registration_tokens: deps.registrationTokens.list() };
  },
  async 'token.revoke'(deps, args) {
    await deps.registrationTokens.delete(str(args, 'token'));
    return {};
  },
};

export async function runAdminOp(deps: AdminOpDeps, op: string, args: AdminArgs): Promise<unknown> {
  // Own properties only: an op named "constructor" or "__proto__" must not reach Object.prototype.
  const fn = Object.hasOwn(OPS, op) ? OPS[op] : Object.hasOwn(MEDIA_ADMIN_OPS, op) ? MEDIA_ADMIN_OPS[op] : undefined;
  if (!fn) throw errors.unrecognized(`Unknown admin operation ${op}`);
  return fn(deps, args);
}
