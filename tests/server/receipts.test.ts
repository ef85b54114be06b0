// Receipts and read markers through the real server: who may set them, who sees them in /sync.
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

const receiptsIn = (sync: any, room: string) =>
  (sync.rooms.join[room]?.ephemeral.events ?? []).filter((e: any) => e.type === 'm.receipt').map((e: any) => e.content);

describe('POST /rooms/{roomId}/receipt', () => {
  test('an m.read receipt reaches the other member, live', async () => {
    const eventId = await alice.text(roomId, 'read me');
    await alice.sync();
    const waiting = syncUntil(alice, (body) => receiptsIn(body, roomId).length > 0);
    await new Promise((r) => setTimeout(r, 200));
    const res = await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
    expectMatchesSpec('receipts.yaml', '/rooms/{roomId}/receipt/{receiptType}/{eventId}', 'post', 200, res);
    const body = await waiting;
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, body);
    const [content] = receiptsIn(body, roomId);
    expect(Object.keys(content)).toEqual([eventId]);
    expect(content[eventId]['m.read'][bob.userId].ts).toEqual(expect.any(Number));
    // A complete sync of the room shows it too.
    const initial = await alice.sync({ fresh: true });
    expect(receiptsIn(initial, roomId)[0][eventId]['m.read'][bob.userId]).toBeDefined();
  });

  test('m.read.private is seen only by its owner', async () => {
    const eventId = await alice.text(roomId, 'secretly read');
    await alice.sync();
    await bob.sync();
    await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId)}`, {});
    const own = receiptsIn(await bob.sync(), roomId);
    expect(own[0][eventId]['m.read.private'][bob.userId]).toBeDefined();
    const other = await alice.sync();
    expect(JSON.stringify(other)).not.toContain('m.read.private');
    expect(JSON.stringify(await alice.sync({ fresh: true }))).not.toContain('m.read.private');
  });

  test('threaded receipts carry their thread_id', async () => {
    const root = await alice.text(roomId, 'root');
    const reply = await alice.text(roomId, 'reply', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    await alice.sync();
    await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(reply)}`, { thread_id: root });
    await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(root)}`, { thread_id: 'main' });
    const [content] = receiptsIn(await alice.sync(), roomId);
    expect(content[reply]['m.read'][bob.userId]).toMatchObject({ thread_id: root });
    expect(content[root]['m.read'][bob.userId]).toMatchObject({ thread_id: 'main' });
  });

  test('non-members get 403; bad input 400/404; nothing changes', async () => {
    const eventId = await alice.text(roomId, 'private room message');
    await alice.sync();
    const cases: [TestUser, string, unknown, number][] = [
      [outsider, `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {}, 403],
      [bob, `/rooms/${enc(roomId)}/receipt/m.nonsense/${enc(eventId)}`, {}, 400],
      [bob, `/rooms/${enc(roomId)}/receipt/m.read/${enc('$doesnotexist')}`, {}, 404],
      [bob, `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { thread_id: '' }, 400],
      [bob, `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { thread_id: 5 }, 400],
      [bob, `/rooms/${enc(roomId)}/receipt/m.fully_read/${enc(eventId)}`, { thread_id: 'main' }, 400],
      [bob, `/rooms/${enc('!nope:test.local')}/receipt/m.read/${enc(eventId)}`, {}, 403],
    ];
    for (const [user, path, body, status] of cases) {
      const res = await user.call('POST', path, body);
      expect(res.status, path).toBe(status);
      expect(typeof res.body.errcode).toBe('string');
    }
    expect(receiptsIn(await alice.sync(), roomId)).toEqual([]);
  });

  test('an outsider never sees the room’s receipts', async () => {
    const eventId = await alice.text(roomId, 'for members');
    await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
    const sync = await outsider.sync({ fresh: true });
    expect(sync.rooms.join[roomId]).toBeUndefined();
    expect(JSON.stringify(sync)).not.toContain(eventId);
  });
});

describe('POST /rooms/{roomId}/read_markers', () => {
  test('FluffyChat’s call: m.fully_read + m.read + m.read.private, unknown keys ignored', async () => {
    const eventId = await alice.text(roomId, 'marker');
    await bob.sync();
    await alice.sync();
    const res = await bob.ok('POST', `/rooms/${enc(roomId)}/read_markers`, {
      'm.fully_read': eventId,
      'm.read': eventId,
      'm.read.private': eventId,
      'org.example.unknown': 'ignored',
    });
    expectMatchesSpec('read_markers.yaml', '/rooms/{roomId}/read_markers', 'post', 200, res);
    expect(await bob.ok('GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`)).toEqual({ event_id: eventId });
    const own = await bob.sync();
    expect(own.rooms.join[roomId].account_data.events).toContainEqual({ type: 'm.fully_read', content: { event_id: eventId } });
    expect(receiptsIn(own, roomId)[0][eventId]).toHaveProperty(['m.read.private', bob.userId]);
    const theirs = receiptsIn(await alice.sync(), roomId);
    expect(theirs[0][eventId]['m.read'][bob.userId]).toBeDefined();
    expect(JSON.stringify(theirs)).not.toContain('m.read.private');
  });

  test('m.fully_read via the receipt endpoint', async () => {
    const eventId = await alice.text(roomId, 'fully');
    await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.fully_read/${enc(eventId)}`, {});
    expect(await bob.ok('GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`)).toEqual({ event_id: eventId });
  });

  test('non-members get 403; an unknown event changes nothing', async () => {
    const eventId = await alice.text(roomId, 'x');
    const outside = await outsider.call('POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': eventId });
    expect(outside.status).toBe(403);
    expect((await outsider.call('GET', `/user/${enc(outsider.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`)).status).toBe(404);
    const before = await bob.ok('GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`);
    const unknown = await bob.call('POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': eventId, 'm.read': '$unknown' });
    expect(unknown.status).toBe(404);
    expect(await bob.ok('GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`)).toEqual(before);
    const notString = await bob.call('POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.read': 42 });
    expect(notString.status).toBe(400);
  });
});

describe('after a restart', () => {
  test('receipts, read markers and unread counts are still there', async () => {
    const first = await alice.text(roomId, 'one');
    const second = await alice.text(roomId, 'two');
    await bob.ok('POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': first, 'm.read': first });
    const before = await bob.sync({ fresh: true });
    expect(before.rooms.join[roomId].unread_notifications.notification_count).toBe(1);

    const dataDir = server.dataDir;
    await server.stop();
    server = await startServer({ dataDir });
    const bobAgain = new TestUser(server, bob.login);
    const after = await bobAgain.sync();
    expect(after.rooms.join[roomId].unread_notifications).toEqual(before.rooms.join[roomId].unread_notifications);
    expect(receiptsIn(after, roomId)[0][first]['m.read'][bob.userId]).toBeDefined();
    expect(after.rooms.join[roomId].account_data.events).toContainEqual({ type: 'm.fully_read', content: { event_id: first } });
    await bobAgain.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(second)}`, {});
    expect((await bobAgain.sync()).rooms.join[roomId].unread_notifications.notification_count).toBe(0);
  }, 30_000);
});

