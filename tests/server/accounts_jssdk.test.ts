// matrix-js-sdk (Element's SDK) as the client: InteractiveAuth for registration tokens and device
// deletion, and its device, profile and capability calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, InteractiveAuth, type AuthDict, type MatrixClient } from 'matrix-js-sdk';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { createUser, login } from '../helpers/accounts.ts';

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

/** Runs one UIA-protected call the way Element does: the SDK drives the stages, we answer them. */
function interactive<T>(client: MatrixClient, doRequest: (auth: AuthDict | null) => Promise<T>, answer: (stage: string, session: string) => AuthDict): Promise<T> {
  let ia: InteractiveAuth<T>;
  ia = new InteractiveAuth<T>({
    matrixClient: client,
    doRequest: (auth) => doRequest(auth),
    stateUpdated: (stage) => ia.submitAuthDict(answer(stage, ia.getSessionId()!)),
    requestEmailToken: () => Promise.reject(new Error('no email here')),
  });
  return ia.attemptAuth();
}

describe('matrix-js-sdk', () => {
  it('registers with a registration token through InteractiveAuth', async () => {
    const made = await request(server.url, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: adminToken, body: { uses_allowed: 1 } });
    const client = createClient({ baseUrl: server.url });
    expect(await client.isUsernameAvailable('wendy')).toBe(true);
    const stages: string[] = [];
    const res = await interactive(
      client,
      (auth) => client.registerRequest({ username: 'wendy', password: 'wendy-password', initial_device_display_name: 'Element', ...(auth ? { auth } : {}) }),
      (stage, session) => {
        stages.push(stage);
        return { type: stage, token: made.body.token, session };
      },
    );
    expect(stages).toEqual(['m.login.registration_token']);
    expect(res.user_id).toBe('@wendy:test.local');
    expect(res.access_token).toBeTruthy();
    // The SDK turns 400 M_USER_IN_USE into false.
    expect(await client.isUsernameAvailable('wendy')).toBe(false);
  });

  it('manages devices, profile and capabilities, and deletes a device through InteractiveAuth', async () => {
    await createUser(server, 'xena', 'xena-password');
    const client = createClient({ baseUrl: server.url });
    const mine = await client.loginWithPassword('xena', 'xena-password');
    const other = await login(server, 'xena', 'xena-password', { initial_device_display_name: 'old tablet' });

    const { devices } = await client.getDevices();
    expect(devices.map((d) => d.device_id).sort()).toEqual([mine.device_id, other.deviceId].sort());
    await client.setDeviceDetails(other.deviceId, { display_name: 'kitchen tablet' });
    expect((await client.getDevice(other.deviceId)).display_name).toBe('kitchen tablet');

    await client.setDisplayName('Xena X');
    expect((await client.getProfileInfo('@xena:test.local')).displayname).toBe('Xena X');
    const caps = await client.getCapabilities();
    expect(caps['m.room_versions']?.default).toBe('10');

    const stages: string[] = [];
    await interactive(
      client,
      (auth) => client.deleteDevice(other.deviceId, auth ?? undefined),
      (stage, session) => {
        stages.push(stage);
        return { type: stage, identifier: { type: 'm.id.user', user: '@xena:test.local' }, password: 'xena-password', session };
      },
    );
    expect(stages).toEqual(['m.login.password']);
    expect((await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: other.accessToken })).status).toBe(401);
    expect((await client.getDevices()).devices).toHaveLength(1);
    client.stopClient();
  });
});
