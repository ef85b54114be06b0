// Access tokens are resolved from an in-memory cache (server/accounts/token_cache.ts). Whatever path
// changes an account — the Synapse admin API, the host's CLI over the admin socket — the very next
// request with an existing token must see it: admin rights granted or taken, a password reset that
// logs devices out, a deactivation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, login, type LoggedIn } from '../helpers/accounts.ts';
import { callAdminSocket } from '../../server/http/admin_socket.ts';

let server: ServerProcess;
let host: LoggedIn;
let anna: LoggedIn;

const whoami = (token: string) => request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token });
const listUsers = (token: string) => request(server.url, 'GET', '/_synapse/admin/v2/users', { token });

beforeAll(async () => {
  server = await startServer();
  host = await registerAndLogin(server, 'host', 'host-pw', { admin: true });
  anna = await registerAndLogin(server, 'anna', 'anna-pw');
});
afterAll(async () => {
  await server?.dispose();
});

describe('cached access tokens follow account changes at once', () => {
  it('admin rights granted and taken apply to the next request with the same token', async () => {
    // Used (and so cached) before the change.
    expect((await whoami(anna.accessToken)).status).toBe(200);
    expect((await listUsers(anna.accessToken)).status).toBe(403);

    const grant = await request(server.url, 'PUT', `/_synapse/admin/v2/users/${encodeURIComponent(anna.userId)}`, { token: host.accessToken, body: { admin: true } });
    expect(grant.status).toBe(200);
    expect((await listUsers(anna.accessToken)).status).toBe(200);

    const take = await request(server.url, 'PUT', `/_synapse/admin/v2/users/${encodeURIComponent(anna.userId)}`, { token: host.accessToken, body: { admin: false } });
    expect(take.status).toBe(200);
    expect((await listUsers(anna.accessToken)).status).toBe(403);
    expect((await whoami(anna.accessToken)).status).toBe(200);
  });

  it('a password reset from the host CLI logs the cached session out', async () => {
    const phone = await login(server, 'anna', 'anna-pw');
    expect((await whoami(phone.accessToken)).status).toBe(200);
    const reply = await callAdminSocket(server.dataDir, 'user.passwd', { name: 'anna', password: 'anna-new-pw' });
    expect(reply?.ok).toBe(true);
    const after = await whoami(phone.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('a deactivation from the host CLI refuses the cached token', async () => {
    const bob = await registerAndLogin(server, 'bob', 'bob-pw');
    expect((await whoami(bob.accessToken)).status).toBe(200);
    const reply = await callAdminSocket(server.dataDir, 'user.deactivate', { name: 'bob' });
    expect(reply?.ok).toBe(true);
    const after = await whoami(bob.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
