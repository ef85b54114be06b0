// Filters through the real server: POST/GET /user/{u}/filter, and filters applied to /sync.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, type TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server, 'alice');
  bob = await newUser(server, 'bob');
}, 30_000);
afterAll(() => server?.dispose());

describe('stored filters', () => {
  test('FluffyChat’s filter is stored, returned as given, and deduplicated', async () => {
    const filter = { room: { state: { lazy_load_members: true } } };
    const created = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, filter);
    expectMatchesSpec('filter.yaml', '/user/{userId}/filter', 'post', 200, created);
    expect(typeof created.filter_id).toBe('string');

    const again = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, filter);
    expect(again.filter_id).toBe(created.filter_id);

    const got = await alice.ok('GET', `/user/${enc(alice.userId)}/filter/${created.filter_id}`);
    expectMatchesSpec('filter.yaml', '/user/{userId}/filter/{filterId}', 'get', 200, got);
    expect(got).toEqual(filter);

    const other = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 10 } }, event_fields: ['type', 'content.body'] });
    expect(other.filter_id).not.toBe(created.filter_id);
  });

  test('filters belong to their user: 403 for another user, 404 for unknown IDs', async () => {
    const { filter_id } = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, { presence: { types: ['m.presence'] } });
    const post = await bob.call('POST', `/user/${enc(alice.userId)}/filter`, {});
    expect(post.status).toBe(403);
    expect(post.body.errcode).toBe('M_FORBIDDEN');
    const get = await bob.call('GET', `/user/${enc(alice.userId)}/filter/${filter_id}`);
    expect(get.status).toBe(403);
    // Bob's own filter space does not contain Alice's filter.
    const bobs = await bob.call('GET', `/user/${enc(bob.userId)}/filter/${filter_id}`);
    expect(bobs.status).toBe(404);
    expect(bobs.body.errcode).toBe('M_NOT_FOUND');
    for (const id of ['99999', 'abc', '-1']) {
      const res = await alice.call('GET', `/user/${enc(alice.userId)}/filter/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    }
  });

  test('malformed filters are rejected with M_BAD_JSON and store nothing', async () => {
    const bad = [
      { room: { timeline: { limit: 'ten' } } },
      { room: { timeline: { limit: -1 } } },
      { room: { rooms: 'not-a-list' } },
      { event_fields: [1] },
      { event_format: 'xml' },
      { presence: { types: [true] } },
      { room: { state: { lazy_load_members: 'yes' } } },
      { account_data: [] },
    ];
    const before = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, { room: { include_leave: true } });
    for (const body of bad) {
      const res = await alice.call('POST', `/user/${enc(alice.userId)}/filter`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode).toBe('M_BAD_JSON');
    }
    const after = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, { room: { include_leave: false } });
    expect(Number(after.filter_id)).toBe(Number(before.filter_id) + 1);
  });
});

describe('filters on /sync', () => {
  test('unknown filter IDs and malformed inline filters are errors, not a crash', async () => {
    const unknown = await alice.call('GET', '/sync?timeout=0&filter=424242');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const notJson = await alice.call('GET', `/sync?timeout=0&filter=${enc('{"room":')}`);
    expect(notJson.status).toBe(400);
    const wrongType = await alice.call('GET', `/sync?timeout=0&filter=${enc('{"room":{"timeline":{"limit":"x"}}}')}`);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errcode).toBe('M_INVALID_PARAM');
  });

  test('account_data types/not_types and room filters shape what sync returns', async () => {
    await alice.ok('PUT', `/user/${enc(alice.userId)}/account_data/m.direct`, { [bob.userId]: ['!x:test.local'] });
    await alice.ok('PUT', `/user/${enc(alice.userId)}/account_data/org.example.other`, { a: 1 });
    const roomA = await sharedRoom(alice, [bob], { name: 'A' });
    const roomB = await sharedRoom(alice, [bob], { name: 'B' });
    await alice.ok('PUT', `/user/${enc(alice.userId)}/rooms/${enc(roomA)}/account_data/org.example.note`, { n: 'a' });
    await alice.ok('PUT', `/user/${enc(alice.userId)}/rooms/${enc(roomB)}/account_data/org.example.note`, { n: 'b' });

    const onlyDirect = await alice.sync({ fresh: true, filter: { account_data: { types: ['m.direct'] } } });
    expect(onlyDirect.account_data.events.map((e: any) => e.type)).toEqual(['m.direct']);

    const noPushRules = await alice.sync({ fresh: true, filter: { account_data: { not_types: ['m.push_*'] } } });
    const types = noPushRules.account_data.events.map((e: any) => e.type);
    expect(types).toContain('m.direct');
    expect(types).toContain('org.example.other');
    expect(types).not.toContain('m.push_rules');

    const stored = await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, { room: { not_rooms: [roomB], account_data: { types: ['org.example.*'] } } });
    const body = await alice.sync({ fresh: true, filter: stored.filter_id });
    expect(body.rooms.join[roomA].account_data.events).toEqual([{ type: 'org.example.note', content: { n: 'a' } }]);
    expect(body.rooms.join[roomB]).toBeUndefined();
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, body);
  });

  test('timeline types/not_senders/limit and event_fields apply to the timeline', async () => {
    const roomId = await sharedRoom(alice, [bob]);
    await alice.text(roomId, 'from alice 1');
    await bob.text(roomId, 'from bob');
    await alice.text(roomId, 'from alice 2');
    await alice.send(roomId, { topic: 'filtered' }, 'm.room.topic');
    const filter = {
      event_fields: ['type', 'sender', 'content.body'],
      room: { rooms: [roomId], timeline: { types: ['m.room.message'], not_senders: [bob.userId], limit: 5 } },
    };
    const body = await alice.sync({ fresh: true, filter });
    expect(Object.keys(body.rooms.join)).toEqual([roomId]);
    const timeline = body.rooms.join[roomId].timeline.events;
    expect(timeline).toEqual([
      { type: 'm.room.message', sender: alice.userId, content: { body: 'from alice 1' } },
      { type: 'm.room.message', sender: alice.userId, content: { body: 'from alice 2' } },
    ]);
  });
});
