// The host's own admin account on the hosted server: created through the data dir's admin socket,
// logged in over HTTP; its token is kept in userData (0600) for the host panel's admin API calls.
import fs from 'node:fs';
import path from 'node:path';
import { callAdminSocket } from '../../server/http/admin_socket.ts';

export interface MatrixSession {
  baseUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

interface StoredAdmin {
  dataDir: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export class HostAdminError extends Error {
  readonly errcode: string;
  constructor(errcode: string, message: string) {
    super(message);
    this.errcode = errcode;
  }
}

export class HostAdminStore {
  readonly file: string;
  constructor(userDataDir: string) {
    this.file = path.join(userDataDir, 'host-admin.json');
  }

  /** The stored admin session for this data dir, if any. */
  get(dataDir: string): StoredAdmin | null {
    try {
      const s = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<StoredAdmin>;
      if (s.dataDir !== dataDir || typeof s.userId !== 'string' || typeof s.accessToken !== 'string' || typeof s.deviceId !== 'string') return null;
      return s as StoredAdmin;
    } catch {
      return null;
    }
  }

  save(admin: StoredAdmin): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(admin) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  clear(): void {
    fs.rmSync(this.file, { force: true });
  }
}

/** Password login; one device per call. */
export async function passwordLogin(baseUrl: string, user: string, password: string, deviceName: string): Promise<MatrixSession> {
  const res = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, initial_device_display_name: deviceName }),
  });
  const body = (await res.json().catch(() => ({}))) as { user_id?: string; access_token?: string; device_id?: string; errcode?: string; error?: string };
  if (!res.ok || !body.access_token || !body.user_id || !body.device_id) {
    throw new HostAdminError(body.errcode ?? 'M_UNKNOWN', body.error ?? `login failed (${res.status})`);
  }
  return { baseUrl, userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

/**
 * Creates the host's admin account on the running server and returns two sessions: one for the
 * host panel (kept by main) and one for the window's own chat client.
 */
export async function createHostAdmin(
  store: HostAdminStore,
  server: { dataDir: string; baseUrl: string },
  username: string,
  password: string,
): Promise<{ panel: MatrixSession; window: MatrixSession }> {
  const reply = await callAdminSocket(server.dataDir, 'user.add', { name: username, password, admin: true });
  if (!reply) throw new HostAdminError('M_UNKNOWN', 'the hosted server is not running');
  if (!reply.ok) throw new HostAdminError(reply.error?.errcode ?? 'M_UNKNOWN', reply.error?.error ?? 'could not create the account');
  const panel = await passwordLogin(server.baseUrl, username, password, PANEL_DEVICE_NAME);
  store.save({ dataDir: server.dataDir, userId: panel.userId, accessToken: panel.accessToken, deviceId: panel.deviceId });
  const window = await passwordLogin(server.baseUrl, username, password, 'Meowtrix desktop');
  return { panel, window };
}

/** Whether a token still works (a reset password or a signed-out device ends it). */
export async function tokenValid(baseUrl: string, accessToken: string): Promise<boolean> {
  return (await tokenState(baseUrl, accessToken)) === 'valid';
}

/** 'dead': the server refused the token (401); 'unknown': the server could not be asked. */
export async function tokenState(baseUrl: string, accessToken: string): Promise<'valid' | 'dead' | 'unknown'> {
  try {
    const res = await fetch(`${baseUrl}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${accessToken}` } });
    if (res.ok) return 'valid';
    return res.status === 401 ? 'dead' : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const PANEL_DEVICE_NAME = 'Meowtrix host panel';

/**
 * The stored host-admin token died (revoked, device signed out, password changed): mint a new one
 * for the same admin through the data dir's admin socket. Owning the data dir is the credential,
 * so no password is asked. Throws when the account is gone, deactivated or no longer an admin.
 */
export async function remintHostAdmin(store: HostAdminStore, server: { dataDir: string; baseUrl: string }): Promise<MatrixSession> {
  const stored = store.get(server.dataDir);
  if (!stored) throw new HostAdminError('M_UNKNOWN', 'no host admin is stored for this data folder');
  const reply = await callAdminSocket(server.dataDir, 'user.session', { name: stored.userId, device_id: stored.deviceId, device_name: PANEL_DEVICE_NAME, require_admin: true });
  if (!reply) throw new HostAdminError('M_UNKNOWN', 'the hosted server is not running');
  if (!reply.ok) throw new HostAdminError(reply.error?.errcode ?? 'M_UNKNOWN', reply.error?.error ?? 'could not sign the host panel in');
  const result = reply.result as { user_id: string; device_id: string; access_token: string };
  store.save({ dataDir: server.dataDir, userId: result.user_id, accessToken: result.access_token, deviceId: result.device_id });
  return { baseUrl: server.baseUrl, userId: result.user_id, accessToken: result.access_token, deviceId: result.device_id };
}

/** The fallback when minting fails: the host admin signs the panel in with a password. Admins only. */
export async function signInHostAdmin(store: HostAdminStore, server: { dataDir: string; baseUrl: string }, user: string, password: string): Promise<MatrixSession> {
  const session = await passwordLogin(server.baseUrl, user, password, PANEL_DEVICE_NAME);
  const probe = await fetch(`${server.baseUrl}/_synapse/admin/v1/server_version`, { headers: { Authorization: `Bearer ${session.accessToken}` } });
  if (!probe.ok) {
    // Not an admin: this session is no use to the panel; do not leave it behind.
    await fetch(`${server.baseUrl}/_matrix/client/v3/logout`, { method: 'POST', headers: { Authorization: `Bearer ${session.accessToken}` } }).catch(() => {});
    throw new HostAdminError('M_FORBIDDEN', `${session.userId} is not an admin of this server`);
  }
  store.save({ dataDir: server.dataDir, userId: session.userId, accessToken: session.accessToken, deviceId: session.deviceId });
  return session;
}
