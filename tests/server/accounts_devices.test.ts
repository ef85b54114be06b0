// Devices, user-interactive auth, password change, deactivation, profile and capabilities over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { createUser, login, type LoggedIn } from '../helpers/accounts.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

const V3 = '/_matrix/client/v3';
const whoami = (token: string) => request(server.url, 'GET', `${V3}/account/whoami`, { token });
const passwordAuth = (user: string, password: string, session?: string) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user },
  password,
  ...(session ? { session } : {}),
});

describe('devices', () => {
  let phone: LoggedIn;
  let laptop: LoggedIn;
  beforeAll(async () => {
    await createUser(server, 'dana', 'dana-password');
    phone = await login(server, 'dana', 'dana-password', { initial_device_display_name: 'Dana phone' });
    laptop = await login(server, 'dana', 'dana-password', { initial_device_display_name: 'Dana laptop' });
  });

  it('lists, shows and renames devices', async () => {
    const list = await request(server.url, 'GET', `${V3}/devices`, { token: phone.accessToken });
    expect(list.status).toBe(200);
    expectMatchesSpec('device_management.yaml', '/devices', 'get', 200, list.body);
    const byId = Object.fromEntries(list.body.devices.map((d: { device_id: string; display_name: string }) => [d.device_id, d.display_name]));
    expect(byId).toEqual({ [phone.deviceId]: 'Dana phone', [laptop.deviceId]: 'Dana laptop' });

    const put = await request(server.url, 'PUT', `${V3}/devices/${laptop.deviceId}`, { token: phone.accessToken, body: { display_name: 'Old laptop' } });
    expect(put.status).toBe(200);
    expectMatchesSpec('device_management.yaml', '/devices/{deviceId}', 'put', 200, put.body);
    const one = await request(server.url, 'GET', `${V3}/devices/${laptop.deviceId}`, { token: phone.accessToken });
    expect(one.status).toBe(200);
    expectMatchesSpec('device_management.yaml', '/devices/{deviceId}', 'get', 200, one.body);
    expect(one.body.display_name).toBe('Old laptop');
    // Only a device that used its token has been seen.
    expect(one.body.last_seen_ip).toBeUndefined();
    const self = await request(server.url, 'GET', `${V3}/devices/${phone.deviceId}`, { token: phone.accessToken });
    expect(self.body.last_seen_ip).toBe('127.0.0.1');
    expect(typeof self.body.last_seen_ts).toBe('number');
  });

  it("answers 404 for unknown devices and for other users' devices", async () => {
    await createUser(server, 'eve', 'eve-password');
    const eve = await login(server, 'eve', 'eve-password');
    for (const [method, body] of [['GET', undefined], ['PUT', { display_name: 'mine now' }]] as const) {
      const res = await request(server.url, method, `${V3}/devices/${phone.deviceId}`, { token: eve.accessToken, body });
      expect(res.status, method).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    }
    const del = await request(server.url, 'DELETE', `${V3}/devices/${phone.deviceId}`, { token: eve.accessToken, body: {} });
    expect(del.status).toBe(404);
    expect((await whoami(phone.accessToken)).status).toBe(200);
  });

  it('deletes a device through UIA: challenge, wrong password, then success in the same session', async () => {
    const path = `${V3}/devices/${laptop.deviceId}`;
    const challenge = await request(server.url, 'DELETE', path, { token: phone.accessToken, body: {} });
    expect(challenge.status).toBe(401);
    expectMatchesSpec('device_management.yaml', '/devices/{deviceId}', 'delete', 401, challenge.body);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    expect(typeof challenge.body.session).toBe('string');
    const session = challenge.body.session;

    const wrong = await request(server.url, 'DELETE', path, { token: phone.accessToken, body: { auth: passwordAuth('dana', 'nope', session) } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    expect(wrong.body.session).toBe(session);
    expect((await whoami(laptop.accessToken)).status).toBe(200);

    const ok = await request(server.url, 'DELETE', path, { token: phone.accessToken, body: { auth: passwordAuth('dana', 'dana-password', session) } });
    expect(ok.status).toBe(200);
    expectMatchesSpec('device_management.yaml', '/devices/{deviceId}', 'delete', 200, ok.body);
    // The device's token is revoked with it.
    const gone = await whoami(laptop.accessToken);
    expect(gone.status).toBe(401);
    expect(gone.body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await request(server.url, 'GET', path, { token: phone.accessToken })).status).toBe(404);

    // A completed session authorised one request only.
    const again = await request(server.url, 'POST', `${V3}/delete_devices`, { token: phone.accessToken, body: { devices: ['X'], auth: { session } } });
    expect(again.status).toBe(400);
  });

  it('keeps a UIA session bound to its user: another user cannot use it', async () => {
    const extra = await login(server, 'dana', 'dana-password');
    const challenge = await request(server.url, 'DELETE', `${V3}/devices/${extra.deviceId}`, { token: phone.accessToken, body: {} });
    const eve = await login(server, 'eve', 'eve-password');
    const stolen = await request(server.url, 'POST', `${V3}/delete_devices`, {
      token: eve.accessToken,
      body: { devices: [extra.deviceId], auth: { ...passwordAuth('eve', 'eve-password'), session: challenge.body.session } },
    });
    expect(stolen.status).toBe(400);
    // Proving to be someone else fails too.
    const other = await request(server.url, 'DELETE', `${V3}/devices/${extra.deviceId}`, {
      token: phone.accessToken,
      body: { auth: passwordAuth('eve', 'eve-password', challenge.body.session) },
    });
    expect(other.status).toBe(401);
    expect(other.body.errcode).toBe('M_FORBIDDEN');
    expect((await whoami(extra.accessToken)).status).toBe(200);
  });

  it('deletes several devices with /delete_devices', async () => {
    const a = await login(server, 'dana', 'dana-password');
    const b = await login(server, 'dana', 'dana-password');
    const body = { devices: [a.deviceId, b.deviceId] };
    const challenge = await request(server.url, 'POST', `${V3}/delete_devices`, { token: phone.accessToken, body });
    expect(challenge.status).toBe(401);
    expectMatchesSpec('device_management.yaml', '/delete_devices', 'post', 401, challenge.body);
    const ok = await request(server.url, 'POST', `${V3}/delete_devices`, {
      token: phone.accessToken,
      body: { ...body, auth: passwordAuth('dana', 'dana-password', challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    expectMatchesSpec('device_management.yaml', '/delete_devices', 'post', 200, ok.body);
    for (const t of [a, b]) expect((await whoami(t.accessToken)).status).toBe(401);
    expect((await whoami(phone.accessToken)).status).toBe(200);
  });

  it('rejects malformed device requests with 400s', async () => {
    const bad = await request(server.url, 'POST', `${V3}/delete_devices`, { token: phone.accessToken, body: { devices: 'all' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
    const badAuth = await request(server.url, 'DELETE', `${V3}/devices/${phone.deviceId}`, { token: phone.accessToken, body: { auth: 'x' } });
    expect(badAuth.status).toBe(400);
    const badName = await request(server.url, 'PUT', `${V3}/devices/${phone.deviceId}`, { token: phone.accessToken, body: { display_name: 7 } });
    expect(badName.status).toBe(400);
  });
});

describe('password change and deactivation', () => {
  it('changes the password behind UIA and logs out other devices by default', async () => {
    await createUser(server, 'fred', 'fred-old');
    const main = await login(server, 'fred', 'fred-old');
    const other = await login(server, 'fred', 'fred-old');
    const path = `${V3}/account/password`;
    const challenge = await request(server.url, 'POST', path, { token: main.accessToken, body: { new_password: 'fred-new' } });
    expect(challenge.status).toBe(401);
    expectMatchesSpec('password_management.yaml', '/account/password', 'post', 401, challenge.body);
    const ok = await request(server.url, 'POST', path, {
      token: main.accessToken,
      body: { new_password: 'fred-new', auth: passwordAuth('fred', 'fred-old', challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    expectMatchesSpec('password_management.yaml', '/account/password', 'post', 200, ok.body);
    expect((await whoami(main.accessToken)).status).toBe(200);
    expect((await whoami(other.accessToken)).status).toBe(401);
    const oldLogin = await request(server.url, 'POST', `${V3}/login`, { body: { type: 'm.login.password', user: 'fred', password: 'fred-old' } });
    expect(oldLogin.status).toBe(403);
    await login(server, 'fred', 'fred-new');
  });

  it('keeps other devices with logout_devices: false', async () => {
    const main = await login(server, 'fred', 'fred-new');
    const other = await login(server, 'fred', 'fred-new');
    const res = await request(server.url, 'POST', `${V3}/account/password`, {
      token: main.accessToken,
      body: { new_password: 'fred-newer', logout_devices: false, auth: passwordAuth('fred', 'fred-new') },
    });
    expect(res.status).toBe(200);
    expect((await whoami(other.accessToken)).status).toBe(200);
  });

  it('deactivates behind UIA: tokens and devices gone, no more logins', async () => {
    await createUser(server, 'gina', 'gina-password');
    const a = await login(server, 'gina', 'gina-password');
    const b = await login(server, 'gina', 'gina-password');
    const path = `${V3}/account/deactivate`;
    const challenge = await request(server.url, 'POST', path, { token: a.accessToken, body: {} });
    expect(challenge.status).toBe(401);
    expectMatchesSpec('account_deactivation.yaml', '/account/deactivate', 'post', 401, challenge.body);
    const ok = await request(server.url, 'POST', path, { token: a.accessToken, body: { auth: passwordAuth('gina', 'gina-password', challenge.body.session) } });
    expect(ok.status).toBe(200);
    expectMatchesSpec('account_deactivation.yaml', '/account/deactivate', 'post', 200, ok.body);
    for (const t of [a, b]) expect((await whoami(t.accessToken)).body.errcode).toBe('M_UNKNOWN_TOKEN');
    const again = await request(server.url, 'POST', `${V3}/login`, { body: { type: 'm.login.password', user: 'gina', password: 'gina-password' } });
    expect(again.status).toBe(403);
  });
});

describe('profile and capabilities', () => {
  let hana: LoggedIn;
  beforeAll(async () => {
    await createUser(server, 'hana', 'hana-password');
    hana = await login(server, 'hana', 'hana-password');
  });

  it('starts with the localpart as display name and lets the user change name and avatar', async () => {
    const path = `${V3}/profile/${encodeURIComponent(hana.userId)}`;
    const first = await request(server.url, 'GET', path, { token: hana.accessToken });
    expect(first.status).toBe(200);
    expectMatchesSpec('profile.yaml', '/profile/{userId}', 'get', 200, first.body);
    expect(first.body).toEqual({ displayname: 'hana' });

    const put = await request(server.url, 'PUT', `${path}/displayname`, { token: hana.accessToken, body: { displayname: 'Hana 花' } });
    expect(put.status).toBe(200);
    expectMatchesSpec('profile.yaml', '/profile/{userId}/{keyName}', 'put', 200, put.body);
    expect((await request(server.url, 'PUT', `${path}/avatar_url`, { token: hana.accessToken, body: { avatar_url: 'mxc://test.local/abc123' } })).status).toBe(200);
    const name = await request(server.url, 'GET', `${path}/displayname`, { token: hana.accessToken });
    expectMatchesSpec('profile.yaml', '/profile/{userId}/{keyName}', 'get', 200, name.body);
    expect(name.body).toEqual({ displayname: 'Hana 花' });
    const avatar = await request(server.url, 'GET', `${path}/avatar_url`, { token: hana.accessToken });
    expect(avatar.body).toEqual({ avatar_url: 'mxc://test.local/abc123' });
    const full = await request(server.url, 'GET', path, { token: hana.accessToken });
    expect(full.body).toEqual({ displayname: 'Hana 花', avatar_url: 'mxc://test.local/abc123' });
  });

  it("refuses to change someone else's profile and rejects bad values", async () => {
    await createUser(server, 'ivan', 'ivan-password');
    const ivan = await login(server, 'ivan', 'ivan-password');
    const path = `${V3}/profile/${encodeURIComponent(hana.userId)}`;
    const other = await request(server.url, 'PUT', `${path}/displayname`, { token: ivan.accessToken, body: { displayname: 'hacked' } });
    expect(other.status).toBe(403);
    expectMatchesSpec('profile.yaml', '/profile/{userId}/{keyName}', 'put', 403, other.body);
    expect(other.body.errcode).toBe('M_FORBIDDEN');
    const bad = await request(server.url, 'PUT', `${path}/avatar_url`, { token: hana.accessToken, body: { avatar_url: 'http://evil.example/x.png' } });
    expect(bad.status).toBe(400);
    const long = await request(server.url, 'PUT', `${path}/displayname`, { token: hana.accessToken, body: { displayname: 'x'.repeat(300) } });
    expect(long.status).toBe(400);
    const wrongType = await request(server.url, 'PUT', `${path}/displayname`, { token: hana.accessToken, body: { displayname: 5 } });
    expect(wrongType.status).toBe(400);
    expect((await request(server.url, 'GET', `${path}/displayname`, { token: ivan.accessToken })).body.displayname).toBe('Hana 花');
  });

  it('answers 404 for unknown users', async () => {
    const res = await request(server.url, 'GET', `${V3}/profile/${encodeURIComponent('@nobody:test.local')}`, { token: hana.accessToken });
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe('M_NOT_FOUND');
  });

  it('lists the capabilities', async () => {
    const res = await request(server.url, 'GET', `${V3}/capabilities`, { token: hana.accessToken });
    expect(res.status).toBe(200);
    expectMatchesSpec('capabilities.yaml', '/capabilities', 'get', 200, res.body);
    expect(res.body.capabilities['m.change_password']).toEqual({ enabled: true });
    expect(res.body.capabilities['m.set_displayname']).toEqual({ enabled: true });
    expect(res.body.capabilities['m.set_avatar_url']).toEqual({ enabled: true });
    expect(res.body.capabilities['m.room_versions']).toEqual({ default: '10', available: { '10': 'stable', '11': 'stable' } });
  });
});
