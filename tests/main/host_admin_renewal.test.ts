// The host panel's admin token dying — signed out from another client, its device deleted through the
// admin API, the password reset — is renewed through the data dir's admin socket by the real main-side
// handlers against a real hosted server; the live status relay renews and carries on; when renewal is
// impossible (the admin was deactivated) the panel's password sign-in is the way back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktopHarness, type DesktopHarness } from '../helpers/host.ts';
import { IpcPayloadError } from '../../main/ipc_handlers.ts';
import { request } from '../helpers/server.ts';
import { createUser, login } from '../helpers/accounts.ts';
import { TestUser } from '../helpers/rooms.ts';
import type { HostLiveStatus, MatrixSession } from '../../main/ipc-contract.ts';

let h: DesktopHarness;
let url: string;
let windowSession: MatrixSession;

beforeAll(async () => {
  h = await desktopHarness();
  await h.handlers['hosting:set']([true]);
  url = h.supervisor.status.url!;
  const created = await h.handlers['hosting:create-admin'](['anna', 'anna-password-1']);
  if (!created.ok) throw new Error(created.error);
  windowSession = created.session;
}, 60_000);
afterAll(async () => {
  await h?.dispose();
});

async function panelSession(): Promise<MatrixSession> {
  const session = await h.handlers['hosting:admin-session']([]);
  if (!session) throw new Error('no panel session');
  return session;
}

async function whoami(token: string): Promise<number> {
  return (await request(url, 'GET', '/_matrix/client/v3/account/whoami', { token })).status;
}

describe('host admin token renewal', () => {
  it('validates the new channels\' payloads in main', async () => {
    await expect(h.handlers['hosting:watch-status'](['yes'])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['hosting:watch-status']([])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(h.handlers['hosting:admin-sign-in'](['anna'])).rejects.toBeInstanceOf(IpcPayloadError);
    expect(await h.handlers['hosting:admin-sign-in']([{}, 'pw'])).toMatchObject({ ok: false });
    expect(await h.handlers['hosting:admin-sign-in'](['anna', ''])).toMatchObject({ ok: false });
  });

  it('signed out from another client → the next call gets a fresh token on the same device', async () => {
    const old = await panelSession();
    expect((await request(url, 'POST', '/_matrix/client/v3/logout', { token: old.accessToken, body: {} })).status).toBe(200);
    expect(await whoami(old.accessToken)).toBe(401);
    const fresh = await panelSession();
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(fresh.deviceId).toBe(old.deviceId);
    expect(await whoami(fresh.accessToken)).toBe(200);
    // An admin action with it works.
    const users = await request(url, 'GET', '/_synapse/admin/v2/users', { token: fresh.accessToken });
    expect(users.status).toBe(200);
  });

  it('its device deleted through the admin API → renewed', async () => {
    const old = await panelSession();
    const del = await request(url, 'DELETE', `/_synapse/admin/v2/users/${encodeURIComponent(old.userId)}/devices/${old.deviceId}`, { token: windowSession.accessToken });
    expect(del.status).toBe(200);
    const fresh = await panelSession();
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(await whoami(fresh.accessToken)).toBe(200);
  });

  it('the live status relay renews its token and keeps pushing', async () => {
    const statuses: (HostLiveStatus | null)[] = [];
    const off = h.host.onLiveStatus((s) => statuses.push(s));
    const waitFor = async (match: (s: HostLiveStatus) => boolean) => {
      for (let i = 0; i < 100; i++) {
        if (statuses.some((s) => s && match(s))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no matching status; got ${JSON.stringify(statuses.at(-1))}`);
    };
    try {
      await h.handlers['hosting:watch-status']([true]);
      await waitFor(() => true);
      const before = statuses.findLast((s) => s)!.messages_today;
      // The password changes (every device signed out, the panel's too).
      const reset = await request(url, 'POST', `/_synapse/admin/v1/reset_password/${encodeURIComponent(windowSession.userId)}`, {
        token: windowSession.accessToken,
        body: { new_password: 'anna-password-2', logout_devices: true },
      });
      expect(reset.status).toBe(200);
      const server = { url, dataDir: h.dataDir };
      await createUser(server, 'phone', 'phone-password');
      const phone = new TestUser(server, await login(server, 'phone', 'phone-password'));
      const roomId = await phone.createRoom({});
      await phone.text(roomId, 'hello');
      await waitFor((s) => s.messages_today === before + 1);
      expect(statuses.includes(null)).toBe(false);
      expect(await whoami((await panelSession()).accessToken)).toBe(200);
    } finally {
      await h.handlers['hosting:watch-status']([false]);
      off();
    }
  }, 30_000);

  it('cannot be renewed for a deactivated admin: null, then the password sign-in restores the panel', async () => {
    await createUser({ url, dataDir: h.dataDir }, 'bert', 'bert-password', { admin: true });
    const bert = await login({ url, dataDir: h.dataDir }, 'bert', 'bert-password');
    const deactivate = await request(url, 'POST', `/_synapse/admin/v1/deactivate/${encodeURIComponent('@anna:host.test')}`, { token: bert.accessToken, body: {} });
    expect(deactivate.status).toBe(200);
    expect(await h.handlers['hosting:admin-session']([])).toBeNull();

    expect(await h.handlers['hosting:admin-sign-in'](['bert', 'wrong'])).toMatchObject({ ok: false });
    // A non-admin's password is refused: the panel needs an admin.
    expect(await h.handlers['hosting:admin-sign-in'](['phone', 'phone-password'])).toMatchObject({ ok: false, error: expect.stringContaining('not an admin') });
    const signedIn = await h.handlers['hosting:admin-sign-in'](['bert', 'bert-password']);
    expect(signedIn).toMatchObject({ ok: true, session: { userId: '@bert:host.test' } });
    const session = await panelSession();
    expect(session.userId).toBe('@bert:host.test');
    expect((await request(url, 'GET', '/_synapse/admin/v2/users', { token: session.accessToken })).status).toBe(200);
  }, 30_000);

  it('the relay follows the server: null while hosting is off, a fresh status once it is back', async () => {
    const statuses: (HostLiveStatus | null)[] = [];
    const off = h.host.onLiveStatus((s) => statuses.push(s));
    const until = async (match: () => boolean) => {
      for (let i = 0; i < 150 && !match(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(match()).toBe(true);
    };
    try {
      await h.handlers['hosting:watch-status']([true]);
      await until(() => statuses.some((s) => s !== null));
      const firstStart = statuses.find((s) => s !== null)!.started_at;
      await h.handlers['hosting:set']([false]);
      await until(() => statuses.at(-1) === null);
      await h.handlers['hosting:set']([true]);
      await until(() => (statuses.at(-1)?.started_at ?? 0) > firstStart);
    } finally {
      await h.handlers['hosting:watch-status']([false]);
      off();
    }
  }, 60_000);
});
