// The host panel's calls to the server's Synapse-compatible admin API, with the host admin's token.
// The token stays in this module's closure: it is fetched from main per panel and never stored.
import type { MatrixSession } from '../../../main/ipc-contract.ts';

export interface AdminUser {
  name: string;
  displayname: string | null;
  admin: boolean;
  deactivated: boolean;
}

export interface AdminDevice {
  device_id: string;
  display_name: string | null;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

export interface RegistrationToken {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

export class AdminApiError extends Error {
  readonly errcode: string;
  readonly status: number;
  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.status = status;
    this.errcode = errcode;
  }
}

export interface AdminApi {
  readonly baseUrl: string;
  readonly userId: string;
  listUsers(): Promise<AdminUser[]>;
  createUser(localpart: string, password: string, admin: boolean): Promise<string>;
  resetPassword(userId: string, password: string): Promise<void>;
  setAdmin(userId: string, admin: boolean): Promise<void>;
  deactivate(userId: string): Promise<void>;
  listDevices(userId: string): Promise<AdminDevice[]>;
  deleteDevice(userId: string, deviceId: string): Promise<void>;
  listTokens(): Promise<RegistrationToken[]>;
  createToken(usesAllowed: number | null, expiryTime: number | null): Promise<RegistrationToken>;
  revokeToken(token: string): Promise<void>;
}

/**
 * `renew` asks main for the admin session again when the server says the token is dead (main mints
 * a fresh one through the data dir's admin socket); null means the admin must sign in again.
 */
export function createAdminApi(session: MatrixSession, renew?: () => Promise<MatrixSession | null>, onSignedOut?: () => void): AdminApi {
  const { baseUrl } = session;
  let accessToken = session.accessToken;
  const serverName = session.userId.slice(session.userId.indexOf(':') + 1);

  const send = (method: string, path: string, body?: unknown) =>
    fetch(baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** One request; a dead token is renewed once and the request repeated. */
  async function authed(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await send(method, path, body);
    if (res.status !== 401 || !renew) return res;
    const json = (await res.clone().json().catch(() => ({}))) as { errcode?: string };
    if (json.errcode !== 'M_UNKNOWN_TOKEN') return res;
    const fresh = await renew();
    if (!fresh || fresh.baseUrl !== baseUrl) {
      onSignedOut?.();
      return res;
    }
    accessToken = fresh.accessToken;
    return send(method, path, body);
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await authed(method, path, body);
    const json = (await res.json().catch(() => ({}))) as { errcode?: string; error?: string };
    if (!res.ok) throw new AdminApiError(res.status, json.errcode ?? 'M_UNKNOWN', json.error ?? `HTTP ${res.status}`);
    return json as T;
  }
  const user = (userId: string) => `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`;

  return {
    baseUrl,
    userId: session.userId,
    async listUsers() {
      const out: AdminUser[] = [];
      let from: string | undefined = '0';
      while (from !== undefined) {
        const page: { users: AdminUser[]; next_token?: string } = await call('GET', `/_synapse/admin/v2/users?deactivated=true&limit=500&from=${from}`);
        out.push(...page.users);
        from = page.next_token;
      }
      return out;
    },
    async createUser(localpart, password, admin) {
      const userId = `@${localpart}:${serverName}`;
      const existing = await authed('GET', user(userId));
      // PUT would update an existing account (and reset its password): refuse instead.
      if (existing.ok) throw new AdminApiError(400, 'M_USER_IN_USE', `${userId} already exists`);
      await call('PUT', user(userId), { password, admin, displayname: localpart });
      return userId;
    },
    async resetPassword(userId, password) {
      await call('POST', `/_synapse/admin/v1/reset_password/${encodeURIComponent(userId)}`, { new_password: password, logout_devices: true });
    },
    async setAdmin(userId, admin) {
      await call('PUT', user(userId), { admin });
    },
    async deactivate(userId) {
      await call('POST', `/_synapse/admin/v1/deactivate/${encodeURIComponent(userId)}`, { erase: false });
    },
    async listDevices(userId) {
      return (await call<{ devices: AdminDevice[] }>('GET', `${user(userId)}/devices`)).devices;
    },
    async deleteDevice(userId, deviceId) {
      await call('DELETE', `${user(userId)}/devices/${encodeURIComponent(deviceId)}`);
    },
    async listTokens() {
      return (await call<{ registration_tokens: RegistrationToken[] }>('GET', '/_synapse/admin/v1/registration_tokens')).registration_tokens;
    },
    async createToken(usesAllowed, expiryTime) {
      return call<RegistrationToken>('POST', '/_synapse/admin/v1/registration_tokens/new', { uses_allowed: usesAllowed, expiry_time: expiryTime });
    },
    async revokeToken(token) {
      await call('DELETE', `/_synapse/admin/v1/registration_tokens/${encodeURIComponent(token)}`);
    },
  };
}

/** A password people can read aloud and type on a phone: 4 groups of 4 from a 31-letter alphabet (~79 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'; // no l/1/i/o/0 look-alikes
  const limit = 256 - (256 % alphabet.length); // rejection sampling: no modulo bias
  const chars: string[] = [];
  while (chars.length < 16) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < limit && chars.length < 16) chars.push(alphabet[b % alphabet.length]!);
    }
  }
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}
