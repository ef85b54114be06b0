// Presence through the real server: GET/PUT status, set_presence on sync, delivery to users who
// share a room (and only to them), and going unavailable/offline when a user stops.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, syncUntil, type TestUser } from '../helpers/userdata.ts';

const presenceOf = (sync: any, userId: string) => sync.presence.events.filter((e: any) => e.sender === userId).map((e: any) => e.content);
const statusPath = (u: TestUser, of = u) => `/presence/${enc(of.userId)}/status`;

describe('presence API and sync', () => {
  let server: ServerProcess;
  let alice: TestUser;
  let bob: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    server = await startServer();
    alice = await newUser(server, 'alice');
    bob = await newUser(server, 'bob');
    outsider = await newUser(server, 'outsider');
    await sharedRoom(alice, [bob]);
  }, 30_000);
  afterAll(() => server?.dispose());

  test('PUT and GET your own status', async () => {
    const put = await alice.ok('PUT', statusPath(alice), { presence: 'unavailable', status_msg: 'making tea' });
    expectMatchesSpec('presence.yaml', '/presence/{userId}/status', 'put', 200, put);
    const got = await alice.ok('GET', statusPath(alice));
    expectMatchesSpec('presence.yaml', '/presence/{userId}/status', 'get', 200, got);
    expect(got).toMatchObject({ presence: 'unavailable', status_msg: 'making tea', currently_active: false });
    expect(got.last_active_ago).toBeGreaterThanOrEqual(0);
  });

  test('authorization and validation', async () => {
    expect((await bob.call('PUT', statusPath(bob, alice), { presence: 'offline' })).status).toBe(403);
    for (const body of [{}, { presence: 'asleep' }, { presence: 'online', status_msg: 5 }]) {
      const res = await alice.call('PUT', statusPath(alice), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await alice.ok('GET', statusPath(alice))).presence).toBe('unavailable');
    // Someone sharing a room may read it; someone who does not, may not.
    expect((await bob.ok('GET', statusPath(bob, alice))).status_msg).toBe('making tea');
    const res = await outsider.call('GET', statusPath(outsider, alice));
    expect(res.status).toBe(403);
    expect((await alice.call('GET', '/presence/not-a-user/status')).status).toBe(400);
  });

  test('changes reach users sharing a room (live), never others', async () => {
    await bob.sync({ extra: '&set_presence=offline' });
    await outsider.sync({ extra: '&set_presence=offline' });
    const waiting = syncUntil(bob, (body) => presenceOf(body, alice.userId).some((c: any) => c.status_msg === 'back'), { extra: '&set_presence=offline' });
    await new Promise((r) => setTimeout(r, 200));
    await alice.ok('PUT', statusPath(alice), { presence: 'online', status_msg: 'back' });
    const body = await waiting;
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, body);
    expect(presenceOf(body, alice.userId)).toEqual([expect.objectContaining({ presence: 'online', status_msg: 'back', currently_active: true })]);
    expect(body.presence.events[0].type).toBe('m.presence');
    const other = await outsider.sync({ extra: '&set_presence=offline' });
    expect(presenceOf(other, alice.userId)).toEqual([]);
    expect(presenceOf(await outsider.sync({ fresh: true, extra: '&set_presence=offline' }), alice.userId)).toEqual([]);
    // An initial sync includes the presence of room-mates and yourself.
    const initial = await bob.sync({ fresh: true, extra: '&set_presence=offline' });
    expect(presenceOf(initial, alice.userId)[0]).toMatchObject({ presence: 'online' });
  });

  test('set_presence on /sync sets the state', async () => {
    const carol = await newUser(server, 'carol');
    await sharedRoom(carol, [bob]);
    await carol.sync({ extra: '&set_presence=online' });
    expect((await carol.ok('GET', statusPath(carol))).presence).toBe('online');
    expect(presenceOf(await bob.sync({ extra: '&set_presence=offline' }), carol.userId)).toEqual([expect.objectContaining({ presence: 'online' })]);
    await carol.sync({ extra: '&set_presence=unavailable' });
    expect((await carol.ok('GET', statusPath(carol))).presence).toBe('unavailable');
    // A background client (offline) changes nothing.
    await carol.sync({ extra: '&set_presence=offline' });
    expect((await carol.ok('GET', statusPath(carol))).presence).toBe('unavailable');
    // A state the user chose with PUT is not undone by a client that merely syncs online.
    await carol.ok('PUT', statusPath(carol), { presence: 'unavailable', status_msg: 'do not disturb' });
    await carol.sync({ extra: '&set_presence=online' });
    await carol.sync();
    expect(await carol.ok('GET', statusPath(carol))).toMatchObject({ presence: 'unavailable', status_msg: 'do not disturb' });
    await carol.ok('PUT', statusPath(carol), { presence: 'online' });
    expect((await carol.ok('GET', statusPath(carol))).presence).toBe('online');
    const bad = await carol.call('GET', '/sync?timeout=0&set_presence=away');
    expect(bad.status).toBe(400);
  });
});

describe('presence timeouts', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { MEOWTRIX_PRESENCE_OFFLINE_MS: '2500', MEOWTRIX_PRESENCE_IDLE_MS: '800' } });
  }, 30_000);
  afterAll(() => server?.dispose());

  test('a user who stops syncing goes offline; an idle one goes unavailable first', async () => {
    const dan = await newUser(server, 'dan');
    const watcher = await newUser(server, 'watcher');
    await sharedRoom(dan, [watcher]);
    await dan.ok('PUT', statusPath(dan), { presence: 'online' });
    await watcher.sync({ extra: '&set_presence=offline' });
    const seen: string[] = [];
    const deadline = Date.now() + 15_000;
    while (!seen.includes('offline') && Date.now() < deadline) {
      const body = await watcher.sync({ timeout: 5_000, extra: '&set_presence=offline' });
      for (const c of presenceOf(body, dan.userId)) seen.push(c.presence);
    }
    expect(seen).toEqual(['unavailable', 'offline']);
    expect((await watcher.ok('GET', statusPath(watcher, dan))).presence).toBe('offline');
  }, 30_000);
});
