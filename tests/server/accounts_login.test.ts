// Login, sessions and tokens through real HTTP, including FluffyChat's exact sequence and matrix-js-sdk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'matrix-js-sdk';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { createUser, login } from '../helpers/accounts.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
  await createUser(server, 'anna', 'anna-password');
  await createUser(server, 'bob', 'bob-password');
});
afterAll(async () => {
  await server?.dispose();
});

const LOGIN = '/_matrix/client/v3/login';

describe('login', () => {
  it('lists only the password flow', async () => {
    const res = await request(server.url, 'GET', LOGIN);
    expect(res.status).toBe(200);
    expectMatchesSpec('login.yaml', '/login', 'get', 200, res.body);
    expect(res.body.flows).toEqual([{ type: 'm.login.password' }]);
  });

  it('runs the FluffyChat sequence: versions → login flows → auth_metadata (JSON 404) → login → whoami', async () => {
    const versions = await request(server.url, 'GET', '/_matrix/client/versions');
    expect(versions.status).toBe(200);
    const flows = await request(server.url, 'GET', LOGIN);
    expect(flows.body.flows.map((f: { type: string }) => f.type)).toContain('m.login.password');
    const meta = await request(server.url, 'GET', '/_matrix/client/v1/auth_metadata');
    expect(meta.status).toBe(404);
    expect(meta.headers.get('content-type')).toMatch(/application\/json/);
    expect(meta.body.errcode).toBe('M_UNRECOGNIZED');
    // FluffyChat's body: identifier + legacy user + initial_device_display_name + refresh_token: true.
    const res = await request(server.url, 'POST', LOGIN, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'anna' },
        user: 'anna',
        password: 'anna-password',
        initial_device_display_name: 'FluffyChat Android',
        refresh_token: true,
      },
    });
    expect(res.status).toBe(200);
    expectMatchesSpec('login.yaml', '/login', 'post', 200, res.body);
    expect(res.body.user_id).toBe('@anna:test.local');
    expect(res.body).not.toHaveProperty('expires_in_ms');
    expect(res.body).not.toHaveProperty('refresh_token');
    // At least 256 bits of randomness: 43 base64url characters.
    expect(res.body.access_token.length).toBeGreaterThanOrEqual(43);
    const who = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: res.body.access_token });
    expect(who.status).toBe(200);
    expectMatchesSpec('whoami.yaml', '/account/whoami', 'get', 200, who.body);
    expect(who.body).toEqual({ user_id: '@anna:test.local', device_id: res.body.device_id, is_guest: false });
  });

  it('accepts a full MXID, a capitalised localpart and the legacy user field', async () => {
    for (const body of [
      { identifier: { type: 'm.id.user', user: '@bob:test.local' } },
      { identifier: { type: 'm.id.user', user: 'Bob' } },
      { user: 'bob' },
    ]) {
      const res = await request(server.url, 'POST', LOGIN, { body: { type: 'm.login.password', password: 'bob-password', ...body } });
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.body.user_id).toBe('@bob:test.local');
    }
  });

  it('honours an existing device_id: same device, old token revoked', async () => {
    const first = await login(server, 'bob', 'bob-password', { device_id: 'BOBPHONE', initial_device_display_name: 'Bob phone' });
    expect(first.deviceId).toBe('BOBPHONE');
    const second = await login(server, 'bob', 'bob-password', { device_id: 'BOBPHONE' });
    expect(second.deviceId).toBe('BOBPHONE');
    const old = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: first.accessToken });
    expect(old.status).toBe(401);
    expect(old.body.errcode).toBe('M_UNKNOWN_TOKEN');
    const now = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: second.accessToken });
    expect(now.body.device_id).toBe('BOBPHONE');
  });

  it('refuses a wrong password and an unknown user alike with 403 M_FORBIDDEN', async () => {
    for (const user of ['anna', 'nobody', '@anna:elsewhere.example']) {
      const res = await request(server.url, 'POST', LOGIN, {
        body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password: 'wrong' },
      });
      expect(res.status, user).toBe(403);
      expectMatchesSpec('login.yaml', '/login', 'post', 403, res.body);
      expect(res.body.errcode).toBe('M_FORBIDDEN');
    }
  });

  it('rejects malformed login bodies with clear 400s', async () => {
    const cases: [unknown, string][] = [
      [{}, 'M_MISSING_PARAM'],
      [{ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'anna' } }, 'M_MISSING_PARAM'],
      [{ type: 'm.login.password', identifier: { type: 'm.id.user', user: 5 }, password: 'x' }, 'M_BAD_JSON'],
      [{ type: 'm.login.password', identifier: 'anna', password: 'x' }, 'M_BAD_JSON'],
      [{ type: 'm.login.token', token: 'abc' }, 'M_UNKNOWN'],
    ];
    for (const [body, errcode] of cases) {
      const res = await request(server.url, 'POST', LOGIN, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectMatchesSpec('login.yaml', '/login', 'post', 400, res.body);
      expect(res.body.errcode, JSON.stringify(body)).toBe(errcode);
    }
  });

  it('answers a missing token with M_MISSING_TOKEN and an unknown one with M_UNKNOWN_TOKEN', async () => {
    const missing = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami');
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    const unknown = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: 'not-a-real-token' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('does not accept access tokens in the query string', async () => {
    const { accessToken } = await login(server, 'anna', 'anna-password');
    const res = await request(server.url, 'GET', `/_matrix/client/v3/account/whoami?access_token=${accessToken}`);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('logs out one device with /logout and every device with /logout/all', async () => {
    const a = await login(server, 'anna', 'anna-password');
    const b = await login(server, 'anna', 'anna-password');
    const c = await login(server, 'anna', 'anna-password');
    const out = await request(server.url, 'POST', '/_matrix/client/v3/logout', { token: a.accessToken, body: {} });
    expect(out.status).toBe(200);
    expectMatchesSpec('logout.yaml', '/logout', 'post', 200, out.body);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: a.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: b.accessToken })).status).toBe(200);
    const all = await request(server.url, 'POST', '/_matrix/client/v3/logout/all', { token: b.accessToken, body: {} });
    expect(all.status).toBe(200);
    expectMatchesSpec('logout.yaml', '/logout/all', 'post', 200, all.body);
    for (const t of [b, c]) {
      expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: t.accessToken })).body.errcode).toBe('M_UNKNOWN_TOKEN');
    }
  });

  it('keeps neither access tokens nor passwords in the data dir, only their hashes', async () => {
    const session = await login(server, 'anna', 'anna-password');
    const digest = createHash('sha256').update(session.accessToken).digest('base64url');
    const files = fs.readdirSync(server.dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const onDisk = Buffer.concat(files.map((e) => fs.readFileSync(path.join(e.parentPath, e.name))));
    expect(onDisk.includes(digest)).toBe(true); // the journal is readable text: the search works
    expect(onDisk.includes(session.accessToken)).toBe(false);
    expect(onDisk.includes('anna-password')).toBe(false);
  });

  it('works with matrix-js-sdk loginWithPassword and loginRequest', async () => {
    const client = createClient({ baseUrl: server.url });
    const res = await client.loginWithPassword('anna', 'anna-password');
    expect(res.user_id).toBe('@anna:test.local');
    expect(client.getAccessToken()).toBe(res.access_token);
    const who = await client.whoami();
    expect(who.device_id).toBe(res.device_id);
    await client.logout(true);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: res.access_token })).status).toBe(401);

    const other = createClient({ baseUrl: server.url });
    const flows = await other.loginFlows();
    expect(flows.flows.map((f) => f.type)).toEqual(['m.login.password']);
    const req = await other.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'bob' },
      password: 'bob-password',
      initial_device_display_name: 'js-sdk test',
    });
    expect(req.user_id).toBe('@bob:test.local');
    expect(req.device_id).toBeTruthy();
    other.stopClient();
    client.stopClient();
  });
});

describe('login rate limit', () => {
  let limited: ServerProcess;
  beforeAll(async () => {
    // Two failed attempts at once, then one more every 5 s (slow enough that a loaded machine cannot refill meanwhile).
    limited = await startServer({ args: ['--login-rate-limit', '2:0.2'] });
    await createUser(limited, 'carl', 'carl-password');
  });
  afterAll(async () => {
    await limited?.dispose();
  });

  const attempt = (password: string) =>
    request(limited.url, 'POST', LOGIN, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'carl' }, password } });

  it('answers 429 M_LIMIT_EXCEEDED with retry_after_ms after repeated failures, and lets the login through after it', async () => {
    expect((await attempt('guess-1')).status).toBe(403);
    expect((await attempt('guess-2')).status).toBe(403);
    const limitedRes = await attempt('carl-password');
    expect(limitedRes.status).toBe(429);
    expectMatchesSpec('login.yaml', '/login', 'post', 429, limitedRes.body);
    expect(limitedRes.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limitedRes.body.retry_after_ms).toBeGreaterThan(0);
    expect(limitedRes.body.retry_after_ms).toBeLessThanOrEqual(5000);
    await new Promise((r) => setTimeout(r, limitedRes.body.retry_after_ms + 50));
    const ok = await attempt('carl-password');
    expect(ok.status).toBe(200);
    expect(ok.body.user_id).toBe('@carl:test.local');
  });

  it('does not count successful logins against anyone', async () => {
    // The bucket holds just one attempt now; each success gives its attempt back.
    for (let i = 0; i < 5; i++) expect((await attempt('carl-password')).status).toBe(200);
  });

  it('limits wrong passwords in user-interactive auth too, with a 429', async () => {
    await createUser(limited, 'dora', 'dora-password');
    const dora = await request(limited.url, 'POST', LOGIN, { body: { type: 'm.login.password', user: 'dora', password: 'dora-password' } });
    const token = dora.body.access_token as string;
    const auth = (password: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'dora' }, password });
    const del = (password: string) => request(limited.url, 'DELETE', `/_matrix/client/v3/devices/${dora.body.device_id}`, { token, body: { auth: auth(password) } });
    expect((await del('wrong-1')).status).toBe(401);
    expect((await del('wrong-2')).status).toBe(401);
    const limitedRes = await del('dora-password');
    expect(limitedRes.status).toBe(429);
    expect(limitedRes.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limitedRes.body.retry_after_ms).toBeGreaterThan(0);
    expect((await request(limited.url, 'GET', '/_matrix/client/v3/account/whoami', { token })).status).toBe(200);
  });
});

describe('sessions across a restart', () => {
  it('keeps accounts, tokens and logouts after the server restarts', async () => {
    const first = await startServer();
    const dataDir = first.dataDir;
    try {
      await createUser(first, 'vera', 'vera-password');
      const kept = await login(first, 'vera', 'vera-password');
      const dropped = await login(first, 'vera', 'vera-password');
      expect((await request(first.url, 'POST', '/_matrix/client/v3/logout', { token: dropped.accessToken, body: {} })).status).toBe(200);
      // SIGKILL: acknowledged writes must already be on disk.
      await first.stop('SIGKILL');

      const second = await startServer({ dataDir });
      try {
        const who = await request(second.url, 'GET', '/_matrix/client/v3/account/whoami', { token: kept.accessToken });
        expect(who.status).toBe(200);
        expect(who.body).toMatchObject({ user_id: '@vera:test.local', device_id: kept.deviceId });
        const gone = await request(second.url, 'GET', '/_matrix/client/v3/account/whoami', { token: dropped.accessToken });
        expect(gone.body.errcode).toBe('M_UNKNOWN_TOKEN');
        await login(second, 'vera', 'vera-password');
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
