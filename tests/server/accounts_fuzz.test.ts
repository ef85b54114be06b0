// Malformed input on every account endpoint: always a JSON Matrix error below 500, never a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, login } from '../helpers/accounts.ts';

let server: ServerProcess;
let token: string;
let deviceId: string;
beforeAll(async () => {
  server = await startServer({ args: ['--open-registration', '--login-rate-limit', '1000:100'] });
  await createUser(server, 'fuzz', 'fuzz-password', { admin: true });
  ({ accessToken: token, deviceId } = await login(server, 'fuzz', 'fuzz-password'));
});
afterAll(async () => {
  await server?.dispose();
});

const me = encodeURIComponent('@fuzz:test.local');
const ROUTES: [string, string][] = [
  ['POST', '/_matrix/client/v3/login'],
  ['POST', '/_matrix/client/v3/register'],
  ['POST', '/_matrix/client/v3/account/password'],
  ['POST', '/_matrix/client/v3/delete_devices'],
  ['PUT', '/_matrix/client/v3/devices/NOPE'],
  ['DELETE', '/_matrix/client/v3/devices/NOPE'],
  ['PUT', `/_matrix/client/v3/profile/${me}/displayname`],
  ['PUT', `/_matrix/client/v3/profile/${me}/avatar_url`],
  ['PUT', `/_synapse/admin/v2/users/${encodeURIComponent('@fuzzed:test.local')}`],
  ['POST', `/_synapse/admin/v1/reset_password/${me}`],
  ['POST', '/_synapse/admin/v1/registration_tokens/new'],
  ['PUT', '/_synapse/admin/v1/registration_tokens/NOPE'],
  ['POST', '/_synapse/admin/v1/register'],
  ['POST', `/_synapse/admin/v2/users/${me}/delete_devices`],
];
const FIELDS = ['type', 'identifier', 'user', 'password', 'device_id', 'initial_device_display_name', 'auth', 'username', 'new_password',
  'logout_devices', 'devices', 'display_name', 'displayname', 'avatar_url', 'admin', 'deactivated', 'uses_allowed', 'expiry_time',
  'length', 'token', 'nonce', 'mac', 'inhibit_login', 'erase'];
const VALUES: unknown[] = [true, -1, 'x'.repeat(5000), '', ['a', 1], { type: 5, session: [] }];

describe('account endpoints under malformed input', () => {
  it('answer every odd body with a JSON error below 500 (or success), never crashing', async () => {
    const bodies: unknown[] = [[], 'text', 42, null];
    for (const field of FIELDS) for (const value of VALUES) bodies.push({ [field]: value });
    const check = async (method: string, path: string, body: unknown) => {
      const res = await request(server.url, method, path, { token, body });
      const what = `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`;
      expect(res.status, what).toBeLessThan(500);
      // A UIA challenge (401 with flows) is the one error without an errcode.
      if (res.status >= 400 && !(res.status === 401 && Array.isArray(res.body.flows))) expect(typeof res.body.errcode, what).toBe('string');
    };
    for (const [method, path] of ROUTES) {
      // Sixteen at a time: concurrency is part of the test, and it keeps the run short.
      for (let i = 0; i < bodies.length; i += 16) await Promise.all(bodies.slice(i, i + 16).map((body) => check(method, path, body)));
    }
    // Still alive, and the caller's session intact.
    const who = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token });
    expect(who.body).toMatchObject({ user_id: '@fuzz:test.local', device_id: deviceId });
  });
});
