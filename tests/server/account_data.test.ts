// Account data and tags through the real server, and their delivery by /sync.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, syncUntil, TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server, 'alice');
  bob = await newUser(server, 'bob');
}, 30_000);
afterAll(() => server?.dispose());

const global = (u: TestUser, type: string, owner = u) => `/user/${enc(owner.userId)}/account_data/${enc(type)}`;
const perRoom = (u: TestUser, roomId: string, type: string) => `/user/${enc(u.userId)}/rooms/${enc(roomId)}/account_data/${enc(type)}`;

describe('global account data', () => {
  test('missing data is 404 M_NOT_FOUND (FluffyChat’s bootstrap checks these)', async () => {
    for (const type of ['m.megolm_backup.v1', 'm.cross_signing.master', 'm.cross_signing.self_signing', 'm.cross_signing.user_signing']) {
      const res = await alice.call('GET', global(alice, type));
      expect(res.status, type).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    }
  });

  test('PUT then GET returns the content; a later PUT replaces it', async () => {
    const put = await alice.ok('PUT', global(alice, 'm.direct'), { [bob.userId]: ['!a:test.local'] });
    expectMatchesSpec('account-data.yaml', '/user/{userId}/account_data/{type}', 'put', 200, put);
    const got = await alice.ok('GET', global(alice, 'm.direct'));
    expectMatchesSpec('account-data.yaml', '/user/{userId}/account_data/{type}', 'get', 200, got);
    expect(got).toEqual({ [bob.userId]: ['!a:test.local'] });
    await alice.ok('PUT', global(alice, 'm.direct'), { [bob.userId]: ['!b:test.local'] });
    expect(await alice.ok('GET', global(alice, 'm.direct'))).toEqual({ [bob.userId]: ['!b:test.local'] });
  });

  test('only for yourself: another user gets 403 and sees nothing', async () => {
    await alice.ok('PUT', global(alice, 'org.example.secret'), { s: 1 });
    const read = await bob.call('GET', global(bob, 'org.example.secret', alice));
    expect(read.status).toBe(403);
    expect(read.body.errcode).toBe('M_FORBIDDEN');
    const write = await bob.call('PUT', global(bob, 'org.example.secret', alice), { s: 2 });
    expect(write.status).toBe(403);
    expect(await alice.ok('GET', global(alice, 'org.example.secret'))).toEqual({ s: 1 });
    expect((await bob.call('GET', global(bob, 'org.example.secret'))).status).toBe(404);
  });

  test('server-managed types and bad bodies are refused', async () => {
    const pushRules = await alice.call('PUT', global(alice, 'm.push_rules'), { global: {} });
    expect(pushRules.status).toBe(405);
    expect(pushRules.body.errcode).toBe('M_BAD_JSON');
    const notObject = await rawPut(alice, global(alice, 'org.example.x'), '[1,2]');
    expect(notObject.status).toBe(400);
    const notJson = await rawPut(alice, global(alice, 'org.example.x'), '{oops');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    expect((await alice.call('GET', global(alice, 'org.example.x'))).status).toBe(404);
  });
});

function rawPut(u: TestUser, path: string, raw: string) {
  return request(u.server.url, 'PUT', `/_matrix/client/v3${path}`, { token: u.login.accessToken, rawBody: raw, headers: { 'Content-Type': 'application/json' } });
}

describe('room account data and tags', () => {
  test('per-room data: PUT/GET, 404 when missing, 400 for a bad room ID, 405 for m.fully_read', async () => {
    const roomId = await alice.createRoom();
    expect((await alice.call('GET', perRoom(alice, roomId, 'm.marked_unread'))).status).toBe(404);
    await alice.ok('PUT', perRoom(alice, roomId, 'm.marked_unread'), { unread: true });
    const got = await alice.ok('GET', perRoom(alice, roomId, 'm.marked_unread'));
    expectMatchesSpec('account-data.yaml', '/user/{userId}/rooms/{roomId}/account_data/{type}', 'get', 200, got);
    expect(got).toEqual({ unread: true });
    // Global and room data of the same type are separate.
    expect((await alice.call('GET', global(alice, 'm.marked_unread'))).status).toBe(404);
    const badRoom = await alice.call('PUT', perRoom(alice, 'not-a-room', 'x.y'), {});
    expect(badRoom.status).toBe(400);
    const fullyRead = await alice.call('PUT', perRoom(alice, roomId, 'm.fully_read'), { event_id: '$x' });
    expect(fullyRead.status).toBe(405);
    expect(fullyRead.body.errcode).toBe('M_BAD_JSON');
    const other = await bob.call('GET', `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/m.marked_unread`);
    expect(other.status).toBe(403);
  });

  test('tags: PUT, GET, DELETE, only for yourself', async () => {
    const roomId = await alice.createRoom();
    const tags = `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags`;
    expect(await alice.ok('GET', tags)).toEqual({ tags: {} });
    await alice.ok('PUT', `${tags}/m.favourite`, { order: 0.25 });
    await alice.ok('PUT', `${tags}/u.work`, {});
    const got = await alice.ok('GET', tags);
    expectMatchesSpec('tags.yaml', '/user/{userId}/rooms/{roomId}/tags', 'get', 200, got);
    expect(got).toEqual({ tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } });
    await alice.ok('DELETE', `${tags}/u.work`);
    expect(await alice.ok('GET', tags)).toEqual({ tags: { 'm.favourite': { order: 0.25 } } });
    const badOrder = await alice.call('PUT', `${tags}/u.x`, { order: 'first' });
    expect(badOrder.status).toBe(400);
    const others = [
      await bob.call('GET', tags),
      await bob.call('PUT', `${tags}/u.bob`, {}),
      await bob.call('DELETE', `${tags}/m.favourite`),
    ];
    for (const res of others) expect(res.status).toBe(403);
    expect(await alice.ok('GET', tags)).toEqual({ tags: { 'm.favourite': { order: 0.25 } } });
  });
});

describe('account data in /sync', () => {
  test('initial sync carries global data, push rules and room data (incl. tags); incremental only changes', async () => {
    const carol = await newUser(server, 'carol');
    const roomId = await sharedRoom(carol, [bob]);
    await carol.ok('PUT', global(carol, 'm.ignored_user_list'), { ignored_users: {} });
    await carol.ok('PUT', `/user/${enc(carol.userId)}/rooms/${enc(roomId)}/tags/m.lowpriority`, {});
    await carol.ok('PUT', perRoom(carol, roomId, 'org.example.room'), { r: 1 });

    const initial = await carol.sync();
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, initial);
    const types = initial.account_data.events.map((e: any) => e.type);
    expect(types).toEqual(expect.arrayContaining(['m.ignored_user_list', 'm.push_rules']));
    const roomData = initial.rooms.join[roomId].account_data.events;
    expect(roomData).toEqual(
      expect.arrayContaining([
        { type: 'm.tag', content: { tags: { 'm.lowpriority': {} } } },
        { type: 'org.example.room', content: { r: 1 } },
      ]),
    );
    // Bob is in the same room but sees none of Carol's account data.
    const bobSync = await bob.sync({ fresh: true });
    expect(JSON.stringify(bobSync)).not.toContain('m.lowpriority');
    expect(JSON.stringify(bobSync)).not.toContain('org.example.room');

    const quiet = await carol.sync();
    expect(quiet.account_data.events).toEqual([]);

    await carol.ok('PUT', global(carol, 'org.example.later'), { l: true });
    const incremental = await carol.sync();
    expect(incremental.account_data.events).toEqual([{ type: 'org.example.later', content: { l: true } }]);
    expect(incremental.rooms.join[roomId]).toBeUndefined();
  });

  test('a PUT wakes a waiting long-poll with the change', async () => {
    const dave = await newUser(server, 'dave');
    await dave.sync();
    const waiting = syncUntil(dave, (body) => body.account_data.events.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    await dave.ok('PUT', global(dave, 'org.example.wake'), { w: 1 });
    const body = await waiting;
    expect(body.account_data.events).toEqual([{ type: 'org.example.wake', content: { w: 1 } }]);
  });

  test('data survives a restart and a since token from before it', async () => {
    const eve = await newUser(server, 'eve');
    await eve.ok('PUT', global(eve, 'org.example.durable'), { d: 1 });
    await eve.sync();
    const dataDir = server.dataDir;
    await server.stop();
    server = await startServer({ dataDir });
    const restarted = new TestUser(server, eve.login);
    restarted.since = eve.since;
    expect(await restarted.ok('GET', global(restarted, 'org.example.durable'))).toEqual({ d: 1 });
    await restarted.ok('PUT', global(restarted, 'org.example.after'), { a: 1 });
    const body = await restarted.sync();
    expect(body.account_data.events).toEqual([{ type: 'org.example.after', content: { a: 1 } }]);
  });
});
