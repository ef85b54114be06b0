// The host's live status feed over a real WebSocket to a real server process: a snapshot on connect,
// a user's sync shows their device as connected, a sent message counts in "messages today", a new
// account shows, updates are at most one a second, non-admins are refused, a revoked token ends the
// feed, and a closed socket leaves the server working (and, in-process, no timers behind).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { createUser, login, registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { TestUser } from '../helpers/rooms.ts';
import { connectStatus } from '../helpers/status_feed.ts';
import { startHomeserver } from '../../server/index.ts';
import { createLogger } from '../../server/log.ts';
import fs from 'node:fs';
import path from 'node:path';

let server: ServerProcess;
let admin: LoggedIn;
let anna: TestUser;

beforeAll(async () => {
  server = await startServer();
  admin = await registerAndLogin(server, 'root', 'root-password', { admin: true });
  anna = new TestUser(server, await registerAndLogin(server, 'anna'));
});
afterAll(async () => {
  await server?.dispose();
});

async function ticket(token: string) {
  return request(server.url, 'POST', '/_meowtrix/admin/v1/status/ticket', { token, body: {} });
}

describe('GET /_meowtrix/admin/v1/status', () => {
  it('answers admins with every field; 401 without a token; 403 for others', async () => {
    const none = await request(server.url, 'GET', '/_meowtrix/admin/v1/status');
    expect(none.status).toBe(401);
    expect(none.body.errcode).toBe('M_MISSING_TOKEN');
    const user = await request(server.url, 'GET', '/_meowtrix/admin/v1/status', { token: anna.session.accessToken });
    expect(user.status).toBe(403);
    expect(user.body.errcode).toBe('M_FORBIDDEN');
    const res = await request(server.url, 'GET', '/_meowtrix/admin/v1/status', { token: admin.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      server_name: expect.any(String),
      started_at: expect.any(Number),
      uptime_ms: expect.any(Number),
      messages_today: 0,
      accounts: 2,
      database_bytes: expect.any(Number),
      media_bytes: 0,
    });
    expect(res.body.database_bytes).toBeGreaterThan(0);
    // The admin's own request just now makes their device connected.
    expect(res.body.connected_devices).toContainEqual(expect.objectContaining({ user_id: '@root:' + res.body.server_name, device_id: admin.deviceId, last_seen_ip: expect.stringMatching(/127\.0\.0\.1/) }));
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    expect(res.body.day_start_ts).toBe(midnight.getTime());
  });
});

describe('status WebSocket', () => {
  it('refuses a missing token (401), a non-admin (403) and an unknown or reused ticket (401)', async () => {
    await expect(connectStatus(server.url, {})).rejects.toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } });
    await expect(connectStatus(server.url, { token: anna.session.accessToken })).rejects.toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    await expect(connectStatus(server.url, { token: 'not-a-token' })).rejects.toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    await expect(connectStatus(server.url, { ticket: 'made-up' })).rejects.toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    expect((await ticket(anna.session.accessToken)).status).toBe(403);
    const t = await ticket(admin.accessToken);
    expect(t.status).toBe(200);
    const first = await connectStatus(server.url, { ticket: t.body.ticket });
    await first.waitFor(() => true);
    await first.close();
    await expect(connectStatus(server.url, { ticket: t.body.ticket })).rejects.toMatchObject({ status: 401 });
  });

  it('pushes a snapshot on connect, then devices, messages and accounts as they change', async () => {
    const t = await ticket(admin.accessToken);
    const feed = await connectStatus(server.url, { ticket: t.body.ticket });
    const first = await feed.waitFor(() => true);
    expect(first.accounts).toBe(2);
    const before = first.messages_today;

    // A phone syncs: its device shows as connected.
    const phone = new TestUser(server, await login(server, 'anna', 'pw-anna', { initial_device_display_name: 'Anna phone' }));
    await phone.sync({ timeout: 0 });
    const seen = await feed.waitFor((s) => s.connected_devices.some((d: any) => d.device_id === phone.session.deviceId));
    expect(seen.connected_devices.find((d: any) => d.device_id === phone.session.deviceId)).toMatchObject({ user_id: phone.userId, display_name: 'Anna phone', last_seen_ip: expect.stringMatching(/127\.0\.0\.1/) });

    // A room (state events: not messages), then one message: +1.
    const roomId = await phone.createRoom({ name: 'Kitchen' });
    await phone.text(roomId, 'dinner at 7');
    const counted = await feed.waitFor((s) => s.messages_today === before + 1);
    expect(counted.messages_today).toBe(before + 1);
    // Encrypted messages count too.
    await phone.send(roomId, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AAAA', sender_key: 'k', session_id: 's', device_id: phone.session.deviceId }, 'm.room.encrypted');
    await feed.waitFor((s) => s.messages_today === before + 2);

    // An account made through the admin API shows.
    const put = await request(server.url, 'PUT', `/_synapse/admin/v2/users/${encodeURIComponent('@bob:' + first.server_name)}`, { token: admin.accessToken, body: { password: 'bob-password' } });
    expect(put.status).toBe(201);
    await feed.waitFor((s) => s.accounts === 3);

    // A burst of messages: at most one update a second, and the last one has them all.
    const sentAt = feed.updates.length;
    for (let i = 0; i < 8; i++) await phone.text(roomId, `burst ${i}`);
    await feed.waitFor((s) => s.messages_today === before + 10);
    const burst = feed.updates.slice(sentAt);
    for (let i = 1; i < burst.length; i++) expect(burst[i]!.at - burst[i - 1]!.at).toBeGreaterThanOrEqual(900);
    await feed.close();
  }, 30_000);

  it('works with a bearer header (the desktop main process) and ends when the token is revoked', async () => {
    const session = await login(server, 'root', 'root-password');
    const feed = await connectStatus(server.url, { token: session.accessToken });
    await feed.waitFor(() => true);
    expect((await request(server.url, 'POST', '/_matrix/client/v3/logout', { token: session.accessToken, body: {} })).status).toBe(200);
    // The next change finds the token dead and closes the socket with 4401.
    await anna.sync({ timeout: 0 });
    expect(await feed.closed).toEqual({ code: 4401, reason: 'M_UNKNOWN_TOKEN' });
  }, 20_000);

  it('a closed socket leaves the server answering, and a new socket gets a fresh snapshot', async () => {
    const feed = await connectStatus(server.url, { token: admin.accessToken });
    await feed.waitFor(() => true);
    await feed.close();
    await anna.sync({ timeout: 0 });
    expect((await request(server.url, 'GET', '/health')).status).toBe(200);
    const again = await connectStatus(server.url, { token: admin.accessToken });
    const status = await again.waitFor(() => true);
    expect(status.accounts).toBe(3);
    await again.close();
  });
});

describe('changes that come from neither HTTP nor rooms', () => {
  it('an account made through the admin socket (the CLI) and a background snapshot show', async () => {
    const dataDir = tempDataDir();
    const srv = await startServer({ dataDir, env: { MEOWTRIX_SNAPSHOT_AFTER_RECORDS: '12' } });
    try {
      const root = await registerAndLogin(srv, 'root', 'root-password', { admin: true });
      const feed = await connectStatus(srv.url, { token: root.accessToken });
      const first = await feed.waitFor(() => true);
      await createUser(srv, 'cli-made', 'cli-password');
      await feed.waitFor((s) => s.accounts === first.accounts + 1);
      // Enough writes for the engine to snapshot in the background; the new snapshot file is pushed.
      const phone = new TestUser(srv, await registerAndLogin(srv, 'phone'));
      const roomId = await phone.createRoom({});
      for (let i = 0; i < 12; i++) await phone.text(roomId, `m${i}`);
      const snapped = await feed.waitFor((s) => s.last_snapshot_ts !== null && s.last_snapshot_ts !== first.last_snapshot_ts, 20_000);
      expect(snapped.last_snapshot_ts).toBeGreaterThanOrEqual(first.started_at - 1000);
      await feed.close();
    } finally {
      await srv.dispose();
    }
  }, 40_000);
});

describe('connected devices window', () => {
  it('a device not seen for over 5 minutes drops out of "connected"', async () => {
    const dataDir = tempDataDir();
    const offsetFile = path.join(dataDir, 'clock-offset');
    const srv = await startServer({ dataDir, env: { MEOWTRIX_TEST_CLOCK_OFFSET_FILE: offsetFile } });
    try {
      const root = await registerAndLogin(srv, 'root', 'root-password', { admin: true });
      const phone = new TestUser(srv, await registerAndLogin(srv, 'phone'));
      await phone.sync({ timeout: 0 });
      const feed = await connectStatus(srv.url, { token: root.accessToken });
      await feed.waitFor((s) => s.connected_devices.some((d: any) => d.device_id === phone.session.deviceId));
      // Six minutes pass on the server's clock; then only a tablet is used.
      fs.writeFileSync(offsetFile, String(6 * 60_000));
      const tablet = await login(srv, 'phone', 'pw-phone', { initial_device_display_name: 'Tablet' });
      await request(srv.url, 'GET', '/_matrix/client/v3/account/whoami', { token: tablet.accessToken });
      const later = await feed.waitFor((s) => s.connected_devices.some((d: any) => d.device_id === tablet.deviceId));
      expect(later.connected_devices.map((d: any) => d.device_id)).toEqual([tablet.deviceId]);
      await feed.close();
    } finally {
      await srv.dispose();
    }
  }, 30_000);

  it('"messages today" starts again at the host\'s midnight, pushed without any request', async () => {
    const dataDir = tempDataDir();
    const offsetFile = path.join(dataDir, 'clock-offset');
    const srv = await startServer({ dataDir, env: { MEOWTRIX_TEST_CLOCK_OFFSET_FILE: offsetFile } });
    try {
      const root = await registerAndLogin(srv, 'root', 'root-password', { admin: true });
      const phone = new TestUser(srv, await registerAndLogin(srv, 'phone'));
      await phone.text(await phone.createRoom({}), 'late message');
      const feed = await connectStatus(srv.url, { token: root.accessToken });
      const first = await feed.waitFor((s) => s.messages_today === 1);
      // The server's clock moves to 3 s before its next local midnight; one request re-arms the feed.
      const midnight = new Date(first.day_start_ts);
      midnight.setDate(midnight.getDate() + 1);
      fs.writeFileSync(offsetFile, String(midnight.getTime() - 3_000 - Date.now()));
      await request(srv.url, 'GET', '/_matrix/client/v3/account/whoami', { token: phone.session.accessToken });
      const nextDay = await feed.waitFor((s) => s.day_start_ts === midnight.getTime(), 15_000);
      expect(nextDay.messages_today).toBe(0);
      await feed.close();
    } finally {
      await srv.dispose();
    }
  }, 40_000);

  it('"messages today" survives a restart (seeded from what was stored today)', async () => {
    const dataDir = tempDataDir();
    let srv = await startServer({ dataDir });
    try {
      const root = await registerAndLogin(srv, 'root', 'root-password', { admin: true });
      const phone = new TestUser(srv, await registerAndLogin(srv, 'phone'));
      const roomId = await phone.createRoom({});
      await phone.text(roomId, 'one');
      await phone.text(roomId, 'two');
      const before = await request(srv.url, 'GET', '/_meowtrix/admin/v1/status', { token: root.accessToken });
      expect(before.body.messages_today).toBe(2);
      await srv.stop();
      srv = await startServer({ dataDir });
      const after = await request(srv.url, 'GET', '/_meowtrix/admin/v1/status', { token: root.accessToken });
      expect(after.body.messages_today).toBe(2);
    } finally {
      await srv.dispose();
    }
  }, 30_000);
});

describe('status feed timers (in-process server)', () => {
  it('no timer is left once the last socket closes, even with devices in the 5-minute window', async () => {
    const dataDir = tempDataDir();
    const hs = await startHomeserver({ port: 0, bind: '127.0.0.1', dataDir, serverName: 'timers.test' }, { log: createLogger('silent') });
    try {
      const srv = { url: hs.url, dataDir };
      await createUser(srv, 'root', 'root-password', { admin: true });
      const root = await login(srv, 'root', 'root-password');
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const watches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
      // Warm up the same paths without a listener, then take the baseline.
      await request(hs.url, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: root.accessToken });
      await new Promise((r) => setTimeout(r, 300));
      const baseline = timers();
      const watchBaseline = watches();

      const feed = await connectStatus(hs.url, { token: root.accessToken });
      await feed.waitFor((s) => s.connected_devices.length > 0);
      await request(hs.url, 'GET', '/_matrix/client/v3/sync?timeout=0', { token: root.accessToken });
      // An update is due, then the 5-minute expiry timer is armed: timers exist while listening.
      await new Promise((r) => setTimeout(r, 1_300));
      expect(timers()).toBeGreaterThan(baseline);
      expect(watches()).toBe(watchBaseline + 1);
      await feed.close();
      await new Promise((r) => setTimeout(r, 300));
      expect(timers()).toBeLessThanOrEqual(baseline);
      expect(watches()).toBe(watchBaseline);
      expect((await request(hs.url, 'GET', '/health')).status).toBe(200);
    } finally {
      await hs.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 20_000);
});
