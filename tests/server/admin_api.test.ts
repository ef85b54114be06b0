// The host's tools: the Synapse-compatible admin API, shared-secret registration, and the CLI
// (through the running server's admin socket, and offline).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, request, startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { createUser, login, type LoggedIn } from '../helpers/accounts.ts';

/** Runs `meowtrix-server ARGS`; resolves with exit code and output. */
function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const ADMIN = '/_synapse/admin';
const enc = encodeURIComponent;

let server: ServerProcess;
let admin: LoggedIn;
let plain: LoggedIn;
beforeAll(async () => {
  server = await startServer();
  await createUser(server, 'root', 'root-password', { admin: true });
  await createUser(server, 'kid', 'kid-password');
  admin = await login(server, 'root', 'root-password');
  plain = await login(server, 'kid', 'kid-password');
});
afterAll(async () => {
  await server?.dispose();
});

describe('admin API', () => {
  it('refuses non-admins with 403 M_FORBIDDEN everywhere', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', `${ADMIN}/v1/server_version`],
      ['GET', `${ADMIN}/v2/users`],
      ['GET', `${ADMIN}/v2/users/${enc('@root:test.local')}`],
      ['PUT', `${ADMIN}/v2/users/${enc('@kid:test.local')}`, { admin: true }],
      ['POST', `${ADMIN}/v1/deactivate/${enc('@root:test.local')}`, {}],
      ['POST', `${ADMIN}/v1/reset_password/${enc('@root:test.local')}`, { new_password: 'x' }],
      ['GET', `${ADMIN}/v2/users/${enc('@root:test.local')}/devices`],
      ['DELETE', `${ADMIN}/v2/users/${enc('@root:test.local')}/devices/${admin.deviceId}`],
      ['GET', `${ADMIN}/v1/whois/${enc('@root:test.local')}`],
      ['GET', `/_matrix/client/v3/admin/whois/${enc('@root:test.local')}`],
      ['GET', `${ADMIN}/v1/registration_tokens`],
      ['POST', `${ADMIN}/v1/registration_tokens/new`, {}],
    ];
    for (const [method, p, body] of calls) {
      const res = await request(server.url, method, p, { token: plain.accessToken, body });
      expect(res.status, `${method} ${p}`).toBe(403);
      expect(res.body.errcode, `${method} ${p}`).toBe('M_FORBIDDEN');
    }
    // Nothing changed: kid is still no admin, root still logs in.
    expect((await request(server.url, 'GET', `${ADMIN}/v2/users/${enc('@kid:test.local')}`, { token: admin.accessToken })).body.admin).toBe(false);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: admin.accessToken })).status).toBe(200);
    // And without a token: 401.
    expect((await request(server.url, 'GET', `${ADMIN}/v2/users`)).status).toBe(401);
  });

  it('answers server_version and lists users', async () => {
    const version = await request(server.url, 'GET', `${ADMIN}/v1/server_version`, { token: admin.accessToken });
    expect(version.status).toBe(200);
    expect(typeof version.body.server_version).toBe('string');
    const list = await request(server.url, 'GET', `${ADMIN}/v2/users?limit=1`, { token: admin.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.total).toBeGreaterThanOrEqual(2);
    expect(list.body.users).toHaveLength(1);
    expect(list.body.next_token).toBe('1');
    const all = await request(server.url, 'GET', `${ADMIN}/v2/users`, { token: admin.accessToken });
    const names = all.body.users.map((u: { name: string }) => u.name);
    expect(names).toEqual(expect.arrayContaining(['@root:test.local', '@kid:test.local']));
    expect(all.body.users.find((u: { name: string }) => u.name === '@root:test.local')).toMatchObject({ admin: true, deactivated: false });
  });

  it('creates (201) and modifies (200) users with PUT /v2/users/{userId}', async () => {
    const p = `${ADMIN}/v2/users/${enc('@nora:test.local')}`;
    const created = await request(server.url, 'PUT', p, { token: admin.accessToken, body: { password: 'nora-password', displayname: 'Nora' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: '@nora:test.local', displayname: 'Nora', admin: false, deactivated: false });
    const nora = await login(server, 'nora', 'nora-password');

    const modified = await request(server.url, 'PUT', p, { token: admin.accessToken, body: { displayname: 'Nora N.', admin: true } });
    expect(modified.status).toBe(200);
    expect(modified.body).toMatchObject({ displayname: 'Nora N.', admin: true });
    const profile = await request(server.url, 'GET', `/_matrix/client/v3/profile/${enc('@nora:test.local')}/displayname`, { token: nora.accessToken });
    expect(profile.body.displayname).toBe('Nora N.');
    // Now an admin: her existing token works on the admin API.
    expect((await request(server.url, 'GET', `${ADMIN}/v2/users`, { token: nora.accessToken })).status).toBe(200);

    const newPassword = await request(server.url, 'PUT', p, { token: admin.accessToken, body: { password: 'nora-2' } });
    expect(newPassword.status).toBe(200);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: nora.accessToken })).status).toBe(401);
    await login(server, 'nora', 'nora-2');

    const deactivated = await request(server.url, 'PUT', p, { token: admin.accessToken, body: { deactivated: true } });
    expect(deactivated.body.deactivated).toBe(true);
    const refused = await request(server.url, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'nora', password: 'nora-2' } });
    expect(refused.status).toBe(403);
    const reactivated = await request(server.url, 'PUT', p, { token: admin.accessToken, body: { deactivated: false, password: 'nora-3' } });
    expect(reactivated.body.deactivated).toBe(false);
    await login(server, 'nora', 'nora-3');
  });

  it('rejects bad PUT bodies and remote or malformed user IDs', async () => {
    const cases: [string, unknown, number][] = [
      [`${ADMIN}/v2/users/${enc('@x:elsewhere.example')}`, { password: 'pw' }, 400],
      [`${ADMIN}/v2/users/not-a-user`, { password: 'pw' }, 400],
      [`${ADMIN}/v2/users/${enc('@Bad Name:test.local')}`, { password: 'pw' }, 400],
      [`${ADMIN}/v2/users/${enc('@olga:test.local')}`, { admin: 'yes' }, 400],
      [`${ADMIN}/v2/users/${enc('@olga:test.local')}`, { password: 5 }, 400],
    ];
    for (const [p, body, status] of cases) {
      const res = await request(server.url, 'PUT', p, { token: admin.accessToken, body });
      expect(res.status, p).toBe(status);
      expect(typeof res.body.errcode).toBe('string');
    }
    expect((await request(server.url, 'GET', `${ADMIN}/v2/users/${enc('@olga:test.local')}`, { token: admin.accessToken })).status).toBe(404);

    // A refused change changes nothing, not even the fields that were fine.
    const self = `${ADMIN}/v2/users/${enc('@root:test.local')}`;
    const refused = await request(server.url, 'PUT', self, { token: admin.accessToken, body: { displayname: 'Changed', admin: false } });
    expect(refused.status).toBe(400);
    const badAvatar = await request(server.url, 'PUT', self, { token: admin.accessToken, body: { displayname: 'Changed', avatar_url: 'http://x.example/a.png' } });
    expect(badAvatar.status).toBe(400);
    const after = await request(server.url, 'GET', self, { token: admin.accessToken });
    expect(after.body).toMatchObject({ displayname: 'root', admin: true, avatar_url: null });
  });

  it('resets passwords and deactivates users', async () => {
    await createUser(server, 'otto', 'otto-password');
    const otto = await login(server, 'otto', 'otto-password');
    const reset = await request(server.url, 'POST', `${ADMIN}/v1/reset_password/${enc('@otto:test.local')}`, {
      token: admin.accessToken,
      body: { new_password: 'otto-new', logout_devices: true },
    });
    expect(reset.status).toBe(200);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: otto.accessToken })).status).toBe(401);
    const again = await login(server, 'otto', 'otto-new');

    const deactivate = await request(server.url, 'POST', `${ADMIN}/v1/deactivate/${enc('@otto:test.local')}`, { token: admin.accessToken, body: { erase: false } });
    expect(deactivate.status).toBe(200);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: again.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
    const devices = await request(server.url, 'GET', `${ADMIN}/v2/users/${enc('@otto:test.local')}/devices`, { token: admin.accessToken });
    expect(devices.body).toEqual({ devices: [], total: 0 });
    const loginRes = await request(server.url, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'otto', password: 'otto-new' } });
    expect(loginRes.status).toBe(403);
  });

  it("lists, shows and deletes a user's devices", async () => {
    await createUser(server, 'pia', 'pia-password');
    const a = await login(server, 'pia', 'pia-password', { initial_device_display_name: 'Pia phone' });
    const b = await login(server, 'pia', 'pia-password');
    await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: a.accessToken, headers: { 'User-Agent': 'FluffyChat/2.0' } });
    const base = `${ADMIN}/v2/users/${enc('@pia:test.local')}/devices`;
    const list = await request(server.url, 'GET', base, { token: admin.accessToken });
    expect(list.body.total).toBe(2);
    const one = await request(server.url, 'GET', `${base}/${a.deviceId}`, { token: admin.accessToken });
    expect(one.body).toMatchObject({ device_id: a.deviceId, display_name: 'Pia phone', user_id: '@pia:test.local', last_seen_ip: '127.0.0.1', last_seen_user_agent: 'FluffyChat/2.0' });

    const whois = await request(server.url, 'GET', `/_matrix/client/v3/admin/whois/${enc('@pia:test.local')}`, { token: admin.accessToken });
    expect(whois.status).toBe(200);
    expectMatchesSpec('admin.yaml', '/v3/admin/whois/{userId}', 'get', 200, whois.body);
    expect(whois.body.devices[a.deviceId].sessions[0].connections[0]).toMatchObject({ ip: '127.0.0.1', user_agent: 'FluffyChat/2.0' });
    const synapseWhois = await request(server.url, 'GET', `${ADMIN}/v1/whois/${enc('@pia:test.local')}`, { token: admin.accessToken });
    expect(synapseWhois.body).toEqual(whois.body);
    // The spec lets users look themselves up.
    const self = await request(server.url, 'GET', `/_matrix/client/v3/admin/whois/${enc('@pia:test.local')}`, { token: b.accessToken });
    expect(self.status).toBe(200);

    const del = await request(server.url, 'DELETE', `${base}/${a.deviceId}`, { token: admin.accessToken });
    expect(del.status).toBe(200);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: a.accessToken })).status).toBe(401);
    expect((await request(server.url, 'GET', `${base}/${a.deviceId}`, { token: admin.accessToken })).status).toBe(404);
    expect((await request(server.url, 'GET', base, { token: admin.accessToken })).body.total).toBe(1);
  });

  it('manages registration tokens', async () => {
    const base = `${ADMIN}/v1/registration_tokens`;
    const created = await request(server.url, 'POST', `${base}/new`, { token: admin.accessToken, body: { token: 'grandma', uses_allowed: 2 } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ token: 'grandma', uses_allowed: 2, pending: 0, completed: 0, expiry_time: null });
    const generated = await request(server.url, 'POST', `${base}/new`, { token: admin.accessToken, body: { length: 12 } });
    expect(generated.body.token).toHaveLength(12);
    const duplicate = await request(server.url, 'POST', `${base}/new`, { token: admin.accessToken, body: { token: 'grandma' } });
    expect(duplicate.status).toBe(400);
    const bad = await request(server.url, 'POST', `${base}/new`, { token: admin.accessToken, body: { token: 'has space' } });
    expect(bad.status).toBe(400);
    const past = await request(server.url, 'POST', `${base}/new`, { token: admin.accessToken, body: { expiry_time: 1000 } });
    expect(past.status).toBe(400);

    const updated = await request(server.url, 'PUT', `${base}/grandma`, { token: admin.accessToken, body: { uses_allowed: 5 } });
    expect(updated.body.uses_allowed).toBe(5);
    expect((await request(server.url, 'GET', `${base}/grandma`, { token: admin.accessToken })).body.uses_allowed).toBe(5);
    const list = await request(server.url, 'GET', `${base}?valid=true`, { token: admin.accessToken });
    expect(list.body.registration_tokens.map((t: { token: string }) => t.token)).toEqual(expect.arrayContaining(['grandma', generated.body.token]));
    expect((await request(server.url, 'DELETE', `${base}/grandma`, { token: admin.accessToken })).status).toBe(200);
    expect((await request(server.url, 'GET', `${base}/grandma`, { token: admin.accessToken })).status).toBe(404);
    expect((await request(server.url, 'DELETE', `${base}/grandma`, { token: admin.accessToken })).status).toBe(404);
  });
});

describe('shared-secret registration', () => {
  const mac = (secret: string, nonce: string, user: string, password: string, admin: boolean) =>
    createHmac('sha1', secret).update(`${nonce}\0${user}\0${password}\0${admin ? 'admin' : 'notadmin'}`).digest('hex');

  it('creates a user from an HMAC computed as register_new_matrix_user does', async () => {
    const secret = fs.readFileSync(path.join(server.dataDir, 'registration_shared_secret'), 'utf8').trim();
    expect(fs.statSync(path.join(server.dataDir, 'registration_shared_secret')).mode & 0o777).toBe(0o600);
    const { body: n1 } = await request(server.url, 'GET', `${ADMIN}/v1/register`);
    const ok = await request(server.url, 'POST', `${ADMIN}/v1/register`, {
      body: { nonce: n1.nonce, username: 'quinn', password: 'quinn-password', admin: true, mac: mac(secret, n1.nonce, 'quinn', 'quinn-password', true) },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ user_id: '@quinn:test.local', home_server: 'test.local' });
    const who = await request(server.url, 'GET', `${ADMIN}/v2/users/${enc('@quinn:test.local')}`, { token: ok.body.access_token });
    expect(who.body.admin).toBe(true);
    await login(server, 'quinn', 'quinn-password');

    // The nonce is single-use.
    const replay = await request(server.url, 'POST', `${ADMIN}/v1/register`, {
      body: { nonce: n1.nonce, username: 'quinn2', password: 'pw', admin: false, mac: mac(secret, n1.nonce, 'quinn2', 'pw', false) },
    });
    expect(replay.status).toBe(400);

    // A wrong secret, or a MAC for other fields, is refused.
    const { body: n2 } = await request(server.url, 'GET', `${ADMIN}/v1/register`);
    const forged = await request(server.url, 'POST', `${ADMIN}/v1/register`, {
      body: { nonce: n2.nonce, username: 'rita', password: 'pw', admin: true, mac: mac(secret, n2.nonce, 'rita', 'pw', false) },
    });
    expect(forged.status).toBe(403);
    const { body: n3 } = await request(server.url, 'GET', `${ADMIN}/v1/register`);
    const wrongSecret = await request(server.url, 'POST', `${ADMIN}/v1/register`, {
      body: { nonce: n3.nonce, username: 'rita', password: 'pw', admin: false, mac: mac('guess', n3.nonce, 'rita', 'pw', false) },
    });
    expect(wrongSecret.status).toBe(403);
    expect((await request(server.url, 'GET', `${ADMIN}/v2/users/${enc('@rita:test.local')}`, { token: admin.accessToken })).status).toBe(404);
  });
});

describe('the CLI', () => {
  it('creates a user while the server runs, who can log in at once', async () => {
    const res = await cli(['user', 'add', 'sam', '--password', 'sam-password', '--data', server.dataDir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('@sam:test.local');
    const loggedIn = await login(server, 'sam', 'sam-password');
    expect(loggedIn.userId).toBe('@sam:test.local');
    // The admin socket is private to the host's user.
    expect(fs.statSync(path.join(server.dataDir, 'admin.sock')).mode & 0o777).toBe(0o600);
  });

  it('reads the password from stdin, lists, changes passwords and deactivates', async () => {
    const add = await cli(['user', 'add', 'tina', '--admin', '--data', server.dataDir], 'tina-password\n');
    expect(add.code, add.stderr).toBe(0);
    const tina = await login(server, 'tina', 'tina-password');
    const list = await cli(['user', 'list', '--data', server.dataDir]);
    expect(list.stdout).toMatch(/@tina:test\.local.*admin/);
    const passwd = await cli(['user', 'passwd', 'tina', '--password', 'tina-2', '--data', server.dataDir]);
    expect(passwd.code, passwd.stderr).toBe(0);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: tina.accessToken })).status).toBe(401);
    await login(server, 'tina', 'tina-2');
    const deactivate = await cli(['user', 'deactivate', 'tina', '--data', server.dataDir]);
    expect(deactivate.code, deactivate.stderr).toBe(0);
    const refused = await request(server.url, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'tina', password: 'tina-2' } });
    expect(refused.status).toBe(403);
  });

  it('reports errors in one line with exit code 1', async () => {
    const taken = await cli(['user', 'add', 'sam', '--password', 'x', '--data', server.dataDir]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already taken/);
    const invalid = await cli(['user', 'add', 'Bad Name', '--password', 'x', '--data', server.dataDir]);
    expect(invalid.code).toBe(1);
    const unknown = await cli(['user', 'passwd', 'nobody', '--password', 'x', '--data', server.dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found/);
  });

  it('creates, lists and revokes registration tokens', async () => {
    const create = await cli(['token', 'create', '--uses', '3', '--expires', '7d', '--data', server.dataDir]);
    expect(create.code, create.stderr).toBe(0);
    const token = create.stdout.trim();
    const validity = await request(server.url, 'GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`);
    expect(validity.body.valid).toBe(true);
    const list = await cli(['token', 'list', '--data', server.dataDir]);
    expect(list.stdout).toContain(token);
    expect(list.stdout).toContain('0/3 used');
    const revoke = await cli(['token', 'revoke', token, '--data', server.dataDir]);
    expect(revoke.code, revoke.stderr).toBe(0);
    const info = await request(server.url, 'GET', `${ADMIN}/v1/registration_tokens/${token}`, { token: admin.accessToken });
    expect(info.status).toBe(404);
    const badDuration = await cli(['token', 'create', '--expires', 'soon', '--data', server.dataDir]);
    expect(badDuration.code).toBe(1);
  });

  it('works offline, and serve on a fresh data dir explains how to make the first admin', async () => {
    const dir = tempDataDir();
    try {
      const fresh = await startServer({ dataDir: dir });
      expect(fresh.output()).toContain(`meowtrix-server user add YOURNAME --admin --data "${dir}"`);
      await fresh.stop();
      expect(fs.existsSync(path.join(dir, 'admin.sock'))).toBe(false);

      const add = await cli(['user', 'add', 'uma', '--admin', '--password', 'uma-password', '--data', dir]);
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout).toContain('@uma:test.local');

      const again = await startServer({ dataDir: dir });
      expect(again.output()).not.toContain('No accounts yet');
      const uma = await login(again, 'uma', 'uma-password');
      const users = await request(again.url, 'GET', `${ADMIN}/v2/users`, { token: uma.accessToken });
      expect(users.status).toBe(200);
      await again.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
