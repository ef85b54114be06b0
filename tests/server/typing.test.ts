// Typing notifications through the real server: live delivery, expiry, authorization, and a
// sync token from before a restart (typing is not persisted).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, syncUntil, TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
let alice: TestUser;
let bob: TestUser;
let outsider: TestUser;
let roomId: string;

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server, 'alice');
  bob = await newUser(server, 'bob');
  outsider = await newUser(server, 'outsider');
  roomId = await sharedRoom(alice, [bob]);
}, 30_000);
afterAll(() => server?.dispose());

const typingIn = (sync: any, room: string): string[][] =>
  (sync.rooms.join[room]?.ephemeral.events ?? []).filter((e: any) => e.type === 'm.typing').map((e: any) => e.content.user_ids);
const typingPath = (u: TestUser, room = roomId, who = u.userId) => `/rooms/${enc(room)}/typing/${enc(who)}`;

describe('typing', () => {
  test('start wakes the other member’s long-poll; stop sends an empty list', async () => {
    await bob.sync();
    const waiting = syncUntil(bob, (body) => typingIn(body, roomId).length > 0);
    await new Promise((r) => setTimeout(r, 200));
    const res = await alice.ok('PUT', typingPath(alice), { typing: true, timeout: 30_000 });
    expectMatchesSpec('typing.yaml', '/rooms/{roomId}/typing/{userId}', 'put', 200, res);
    const started = await waiting;
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, started);
    expect(typingIn(started, roomId)).toEqual([[alice.userId]]);
    // Renewing does not produce a new notification.
    await alice.ok('PUT', typingPath(alice), { typing: true, timeout: 30_000 });
    expect(typingIn(await bob.sync(), roomId)).toEqual([]);
    // A complete sync shows who is typing now.
    expect(typingIn(await bob.sync({ fresh: true }), roomId)).toEqual([[alice.userId]]);

    await alice.ok('PUT', typingPath(alice), { typing: false });
    expect(typingIn(await bob.sync(), roomId)).toEqual([[]]);
  });

  test('typing expires after its timeout', async () => {
    await bob.sync();
    await alice.ok('PUT', typingPath(alice), { typing: true, timeout: 1500 });
    const started = await syncUntil(bob, (body) => typingIn(body, roomId).length > 0);
    expect(typingIn(started, roomId)).toEqual([[alice.userId]]);
    const expired = await syncUntil(bob, (body) => typingIn(body, roomId).length > 0);
    expect(typingIn(expired, roomId)).toEqual([[]]);
  });

  test('only your own typing, only in rooms you are in; outsiders see nothing', async () => {
    const forOther = await bob.call('PUT', typingPath(bob, roomId, alice.userId), { typing: true, timeout: 1000 });
    expect(forOther.status).toBe(403);
    const notMember = await outsider.call('PUT', typingPath(outsider), { typing: true, timeout: 1000 });
    expect(notMember.status).toBe(403);
    for (const body of [{}, { typing: 'yes' }, { typing: true, timeout: -5 }, { typing: true, timeout: 'soon' }]) {
      const res = await alice.call('PUT', typingPath(alice), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    await outsider.sync();
    await alice.ok('PUT', typingPath(alice), { typing: true, timeout: 5000 });
    const sync = await outsider.sync();
    expect(sync.rooms.join[roomId]).toBeUndefined();
    expect(typingIn(await bob.sync({ fresh: true }), roomId)).toEqual([[alice.userId]]);
    await alice.ok('PUT', typingPath(alice), { typing: false });
  });

  test('leaving the room ends your typing there', async () => {
    const carol = await newUser(server, 'carol');
    await alice.ok('POST', `/rooms/${enc(roomId)}/invite`, { user_id: carol.userId });
    await carol.join(roomId);
    await bob.sync();
    await carol.ok('PUT', typingPath(carol), { typing: true, timeout: 60_000 });
    expect(typingIn(await syncUntil(bob, (b) => typingIn(b, roomId).length > 0), roomId)).toEqual([[carol.userId]]);
    await carol.ok('POST', `/rooms/${enc(roomId)}/leave`, {});
    expect(typingIn(await syncUntil(bob, (b) => typingIn(b, roomId).length > 0), roomId)).toEqual([[]]);
  });

  test('a since token from before a restart still works and gives the current typing state', async () => {
    await alice.ok('PUT', typingPath(alice), { typing: true, timeout: 30_000 });
    await alice.ok('PUT', typingPath(alice), { typing: false });
    await alice.ok('PUT', typingPath(alice), { typing: true, timeout: 30_000 });
    await bob.sync();
    const dataDir = server.dataDir;
    await server.stop();
    server = await startServer({ dataDir });
    const bobAgain = new TestUser(server, bob.login);
    bobAgain.since = bob.since;
    const aliceAgain = new TestUser(server, alice.login);
    // After the restart nobody is typing; the old token's typing position is above the new latest,
    // so the client is told so instead of keeping Alice "typing" forever.
    const first = await bobAgain.sync();
    expect(typingIn(first, roomId)).toEqual([[]]);
    await aliceAgain.ok('PUT', typingPath(aliceAgain), { typing: true, timeout: 30_000 });
    expect(typingIn(await bobAgain.sync(), roomId)).toEqual([[alice.userId]]);
  }, 30_000);
});
