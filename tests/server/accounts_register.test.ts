// Registration: closed by default, registration tokens, open registration, availability, usernames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { createUser, login } from '../helpers/accounts.ts';

const REGISTER = '/_matrix/client/v3/register';
const VALIDITY = '/_matrix/client/v1/register/m.login.registration_token/validity';

describe('registration on a default (closed) server', () => {
  let server: ServerProcess;
  let adminToken: string;
  beforeAll(async () => {
    server = await startServer();
    await createUser(server, 'host', 'host-password', { admin: true });
    adminToken = (await login(server, 'host', 'host-password')).accessToken;
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('answers 403 M_FORBIDDEN and creates nothing', async () => {
    const res = await request(server.url, 'POST', REGISTER, { body: { username: 'mallory', password: 'pw', auth: { type: 'm.login.dummy' } } });
    expect(res.status).toBe(403);
    expectMatchesSpec('registration.yaml', '/register', 'post', 403, res.body);
    expect(res.body.errcode).toBe('M_FORBIDDEN');
    const available = await request(server.url, 'GET', `${REGISTER}/available?username=mallory`);
    expect(available.body).toEqual({ available: true });
    const validity = await request(server.url, 'GET', `${VALIDITY}?token=abc`);
    expect(validity.status).toBe(403);
  });

  it('refuses guests with M_GUEST_ACCESS_FORBIDDEN', async () => {
    const res = await request(server.url, 'POST', `${REGISTER}?kind=guest`, { body: {} });
    expect(res.status).toBe(403);
    expectMatchesSpec('registration.yaml', '/register', 'post', 403, res.body);
    expect(res.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });

  it('registers with a registration token through UIA, and counts the use', async () => {
    const made = await request(server.url, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: adminToken, body: { uses_allowed: 1 } });
    expect(made.status).toBe(200);
    const token = made.body.token as string;
    expect(token).toMatch(/^[A-Za-z0-9._~-]{1,64}$/);

    const valid = await request(server.url, 'GET', `${VALIDITY}?token=${token}`);
    expect(valid.status).toBe(200);
    expectMatchesSpec('registration_tokens.yaml', '/register/m.login.registration_token/validity', 'get', 200, valid.body);
    expect(valid.body.valid).toBe(true);
    expect((await request(server.url, 'GET', `${VALIDITY}?token=nope`)).body.valid).toBe(false);

    const body = { username: 'jack', password: 'jack-password', initial_device_display_name: 'Element' };
    const challenge = await request(server.url, 'POST', REGISTER, { body });
    expect(challenge.status).toBe(401);
    expectMatchesSpec('registration.yaml', '/register', 'post', 401, challenge.body);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);

    const wrong = await request(server.url, 'POST', REGISTER, {
      body: { ...body, auth: { type: 'm.login.registration_token', token: 'wrong', session: challenge.body.session } },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');

    const ok = await request(server.url, 'POST', REGISTER, {
      body: { ...body, auth: { type: 'm.login.registration_token', token, session: challenge.body.session } },
    });
    expect(ok.status).toBe(200);
    expectMatchesSpec('registration.yaml', '/register', 'post', 200, ok.body);
    expect(ok.body.user_id).toBe('@jack:test.local');
    const who = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: ok.body.access_token });
    expect(who.body.user_id).toBe('@jack:test.local');

    const info = await request(server.url, 'GET', `/_synapse/admin/v1/registration_tokens/${token}`, { token: adminToken });
    expect(info.body).toMatchObject({ token, uses_allowed: 1, completed: 1 });
    // Used up: the token no longer works, and registration is closed again.
    expect((await request(server.url, 'GET', `${VALIDITY}?token=${token}`)).status).toBe(403);
    const more = await request(server.url, 'POST', REGISTER, { body: { username: 'kate', password: 'pw', auth: { type: 'm.login.registration_token', token } } });
    expect(more.status).toBe(403);
  });

  it('checks usernames: M_INVALID_USERNAME and M_USER_IN_USE', async () => {
    await request(server.url, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: adminToken, body: { token: 'family-2026' } });
    for (const username of ['Upper', 'has space', 'colon:name', '']) {
      const res = await request(server.url, 'POST', REGISTER, { body: { username, password: 'pw' } });
      expect(res.status, username).toBe(400);
      expectMatchesSpec('registration.yaml', '/register', 'post', 400, res.body);
      expect(res.body.errcode, username).toBe('M_INVALID_USERNAME');
    }
    const taken = await request(server.url, 'POST', REGISTER, { body: { username: 'jack', password: 'pw' } });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe('M_USER_IN_USE');
    const availability = await request(server.url, 'GET', `${REGISTER}/available?username=jack`);
    expect(availability.status).toBe(400);
    expect(availability.body.errcode).toBe('M_USER_IN_USE');
    const free = await request(server.url, 'GET', `${REGISTER}/available?username=newname`);
    expect(free.status).toBe(200);
    expectMatchesSpec('registration.yaml', '/register/available', 'get', 200, free.body);
    const invalid = await request(server.url, 'GET', `${REGISTER}/available?username=Bad%20Name`);
    expect(invalid.body.errcode).toBe('M_INVALID_USERNAME');
  });
});

describe('open registration (--open-registration)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ args: ['--open-registration'] });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('offers m.login.dummy and registers with it', async () => {
    const challenge = await request(server.url, 'POST', REGISTER, { body: {} });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    const ok = await request(server.url, 'POST', REGISTER, {
      body: { username: 'lena', password: 'lena-password', device_id: 'LENAPC', auth: { type: 'm.login.dummy', session: challenge.body.session } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ user_id: '@lena:test.local', device_id: 'LENAPC' });
    await login(server, 'lena', 'lena-password');
  });

  it('honours inhibit_login', async () => {
    const ok = await request(server.url, 'POST', REGISTER, {
      body: { username: 'mia', password: 'mia-password', inhibit_login: true, auth: { type: 'm.login.dummy' } },
    });
    expect(ok.status).toBe(200);
    expectMatchesSpec('registration.yaml', '/register', 'post', 200, ok.body);
    expect(ok.body.user_id).toBe('@mia:test.local');
    expect(ok.body).not.toHaveProperty('access_token');
  });
});
