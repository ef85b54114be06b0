// Accounts for tests: create users through the running server's admin socket (what the CLI does),
// and log in through the real POST /login.
import { callAdminSocket } from '../../server/http/admin_socket.ts';
import { request } from './server.ts';

interface ServerLike {
  url: string;
  dataDir: string;
}

export interface LoggedIn {
  accessToken: string;
  userId: string;
  deviceId: string;
}

/** Creates @localpart:<server> with this password; returns the user ID. Throws if it fails. */
export async function createUser(server: ServerLike, localpart: string, password: string, options: { admin?: boolean } = {}): Promise<string> {
  const reply = await callAdminSocket(server.dataDir, 'user.add', { name: localpart, password, admin: options.admin === true });
  if (!reply) throw new Error(`no server is listening on the admin socket in ${server.dataDir}`);
  if (!reply.ok) throw new Error(`user add ${localpart} failed: ${reply.error?.errcode} ${reply.error?.error}`);
  return (reply.result as { user_id: string }).user_id;
}

/** Password login with POST /login; waits out a 429 as a real client would. */
export async function login(server: ServerLike, localpart: string, password: string, extra: Record<string, unknown> = {}): Promise<LoggedIn> {
  for (let attempt = 0; ; attempt++) {
    const res = await request(server.url, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password, ...extra },
    });
    if (res.status === 429 && attempt < 20) {
      await new Promise((r) => setTimeout(r, Number(res.body?.retry_after_ms ?? 1000)));
      continue;
    }
    if (res.status !== 200) throw new Error(`login ${localpart} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { accessToken: res.body.access_token, userId: res.body.user_id, deviceId: res.body.device_id };
  }
}

/** createUser + login in one step. */
export async function registerAndLogin(server: ServerLike, localpart: string, password = `pw-${localpart}`, options: { admin?: boolean } = {}): Promise<LoggedIn> {
  await createUser(server, localpart, password, options);
  return login(server, localpart, password);
}
