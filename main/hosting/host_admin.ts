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
  const panel = await passwordLogin(server.baseUrl, username, password, 'Meowtrix host panel');
  store.save({ dataDir: server.dataDir, userId: panel.userId, accessToken: panel.accessToken, deviceId: panel.deviceId });
  const window = await passwordLogin(server.baseUrl, username, password, 'Meowtrix desktop');
  return { panel, window };
}

/** Whether a token still works (a reset password or a signed-out device ends it). */
export async function tokenValid(baseUrl: string, accessToken: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${accessToken}` } });
    return res.ok;
  } catch {
    return false;
  }
}
