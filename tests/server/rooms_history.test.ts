// Reading history through real HTTP: /messages, /context, /event, /members, /joined_members,
// /relations with bundled aggregations, /threads, /timestamp_to_event, and history visibility.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let anna: TestUser;
let ben: TestUser;
let cleo: TestUser;
let eve: TestUser;

beforeAll(async () => {
  server = await startServer();
  [anna, ben, cleo, eve] = await newUsers(server, ['anna', 'ben', 'cleo', 'eve']);
});
afterAll(async () => {
  await server?.dispose();
});

const R = (roomId: string) => `/rooms/${enc(roomId)}`;

describe('/messages', () => {
  it('pages backwards and forwards, continues from sync prev_batch, validates against the spec', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await anna.text(roomId, `m${i}`));

    const page1 = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=10`);
    expectMatchesSpec('message_pagination.yaml', '/rooms/{roomId}/messages', 'get', 200, page1);
    expect(page1.chunk.map((e: any) => e.content.body)).toEqual(Array.from({ length: 10 }, (_, i) => `m${24 - i}`));
    const page2 = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=10&from=${page1.end}`);
    expect(page2.chunk.map((e: any) => e.content.body)).toEqual(Array.from({ length: 10 }, (_, i) => `m${14 - i}`));
    // forwards from page2's end token returns what came after, oldest first
    const fwd = await ben.ok('GET', `${R(roomId)}/messages?dir=f&limit=3&from=${page2.end}`);
    expect(fwd.chunk.map((e: any) => e.content.body)).toEqual(['m5', 'm6', 'm7']);
    // to bounds a page
    const bounded = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=50&from=${page1.end}&to=${page2.end}`);
    expect(bounded.chunk.length).toBe(10);
    // The sync's prev_batch is accepted as from (FluffyChat's history loading).
    const sync = await ben.sync({ filter: JSON.stringify({ room: { timeline: { limit: 5 } } }) });
    const tl = sync.rooms.join[roomId].timeline;
    expect(tl.limited).toBe(true);
    expect(tl.events.map((e: any) => e.content.body)).toEqual(['m20', 'm21', 'm22', 'm23', 'm24']);
    const older = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=30&from=${tl.prev_batch}&filter=${enc(JSON.stringify({ lazy_load_members: true }))}`);
    expect(older.chunk[0].content.body).toBe('m19');
    expect(older.chunk.filter((e: any) => e.type === 'm.room.message').length).toBe(20);
    // lazy_load_members → state has the senders' member events
    expect(older.state.map((e: any) => e.state_key).sort()).toEqual(expect.arrayContaining([anna.userId]));
    expectMatchesSpec('message_pagination.yaml', '/rooms/{roomId}/messages', 'get', 200, older);
    // The very beginning has no end token.
    const all = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=1000`);
    expect(all.end).toBeUndefined();
    expect(all.chunk.at(-1).type).toBe('m.room.create');
    // filters
    const onlyMembers = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=100&filter=${enc(JSON.stringify({ types: ['m.room.member'] }))}`);
    expect(onlyMembers.chunk.every((e: any) => e.type === 'm.room.member')).toBe(true);
    expect(onlyMembers.chunk.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects bad parameters and non-members', async () => {
    const roomId = await anna.createRoom({});
    for (const q of ['dir=x', 'dir=b&limit=-1', 'dir=b&from=garbage', 'dir=b&filter=notjson', '']) {
      const res = await anna.call('GET', `${R(roomId)}/messages?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.errcode, q).toMatch(/^M_/);
    }
    expect((await eve.call('GET', `${R(roomId)}/messages?dir=b`)).status).toBe(403);
    expect((await eve.call('GET', `${R('!unknown:test.local')}/messages?dir=b`)).status).toBe(403);
  });
});

describe('history visibility', () => {
  it('shared: a new member sees history; joined: only from their join; invited: from their invite', async () => {
    for (const [visibility, expectOld] of [['shared', true], ['joined', false], ['invited', false]] as const) {
      const roomId = await anna.createRoom({ initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: visibility } }] });
      await anna.text(roomId, `before invite (${visibility})`);
      await anna.invite(roomId, cleo.userId);
      await anna.text(roomId, `after invite (${visibility})`);
      // Invited but not joined: cannot read messages
      expect((await cleo.call('GET', `${R(roomId)}/messages?dir=b`)).status).toBe(403);
      await cleo.join(roomId);
      await anna.text(roomId, `after join (${visibility})`);
      const page = await cleo.ok('GET', `${R(roomId)}/messages?dir=b&limit=100`);
      const bodies = page.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
      expect(bodies.includes(`before invite (${visibility})`), visibility).toBe(expectOld);
      expect(bodies.includes(`after invite (${visibility})`), visibility).toBe(visibility !== 'joined');
      expect(bodies).toContain(`after join (${visibility})`);
      // The same rules hold in the initial sync timeline.
      const sync = await cleo.sync({ filter: JSON.stringify({ room: { timeline: { limit: 50 } } }) });
      const synced = sync.rooms.join[roomId].timeline.events.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
      expect(synced.includes(`before invite (${visibility})`), visibility).toBe(expectOld);
    }
  });

  it('a member who left sees history up to their leave, and nothing after', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const seen = await anna.text(roomId, 'while ben is here');
    await ben.ok('POST', `${R(roomId)}/leave`, {});
    const unseen = await anna.text(roomId, 'after ben left');
    const page = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=100`);
    const ids = page.chunk.map((e: any) => e.event_id);
    expect(ids).toContain(seen);
    expect(ids).not.toContain(unseen);
    expect((await ben.call('GET', `${R(roomId)}/event/${enc(unseen)}`)).status).toBe(404);
    expect((await ben.call('GET', `${R(roomId)}/event/${enc(seen)}`)).status).toBe(200);
    expect((await ben.call('GET', `${R(roomId)}/context/${enc(unseen)}`)).status).toBe(404);
    // a stranger gets nothing at all
    for (const p of [`/event/${enc(seen)}`, `/context/${enc(seen)}`, '/members', '/state', '/messages?dir=b', `/relations/${enc(seen)}`]) {
      const path = p.startsWith('/relations') ? `/_matrix/client/v1${R(roomId)}${p}` : `${R(roomId)}${p}`;
      expect((await eve.call('GET', path)).status, p).toBe(403);
    }
    expect((await eve.call('GET', `${R(roomId)}/joined_members`)).status).toBe(403);
  });

  it('world_readable rooms can be read by anyone', async () => {
    const roomId = await anna.createRoom({ preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    const id = await anna.text(roomId, 'hello world');
    expect((await eve.ok('GET', `${R(roomId)}/event/${enc(id)}`)).content.body).toBe('hello world');
  });
});

describe('/context, /event, /members, /joined_members', () => {
  it('answers as the spec describes', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId, cleo.userId] });
    await ben.join(roomId);
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await (i % 2 ? ben : anna).text(roomId, `c${i}`));
    const ctxRes = await ben.ok('GET', `${R(roomId)}/context/${enc(ids[4]!)}?limit=4`);
    expectMatchesSpec('event_context.yaml', '/rooms/{roomId}/context/{eventId}', 'get', 200, ctxRes);
    expect(ctxRes.event.content.body).toBe('c4');
    expect(ctxRes.events_before.map((e: any) => e.content.body)).toEqual(['c3', 'c2']);
    expect(ctxRes.events_after.map((e: any) => e.content.body)).toEqual(['c5', 'c6']);
    expect(ctxRes.state.some((e: any) => e.type === 'm.room.create')).toBe(true);
    // Continue paging from context tokens.
    const before = await ben.ok('GET', `${R(roomId)}/messages?dir=b&limit=2&from=${ctxRes.start}`);
    expect(before.chunk.map((e: any) => e.content.body)).toEqual(['c1', 'c0']);
    const after = await ben.ok('GET', `${R(roomId)}/messages?dir=f&limit=2&from=${ctxRes.end}`);
    expect(after.chunk.map((e: any) => e.content.body)).toEqual(['c7', 'c8']);

    const ev = await ben.ok('GET', `${R(roomId)}/event/${enc(ids[0]!)}`);
    expectMatchesSpec('rooms.yaml', '/rooms/{roomId}/event/{eventId}', 'get', 200, ev);
    expect((await ben.call('GET', `${R(roomId)}/event/${enc('$missing')}`)).status).toBe(404);

    const members = await ben.ok('GET', `${R(roomId)}/members`);
    expectMatchesSpec('rooms.yaml', '/rooms/{roomId}/members', 'get', 200, members);
    const byUser = Object.fromEntries(members.chunk.map((e: any) => [e.state_key, e.content.membership]));
    expect(byUser).toEqual({ [anna.userId]: 'join', [ben.userId]: 'join', [cleo.userId]: 'invite' });
    const joinedOnly = await ben.ok('GET', `${R(roomId)}/members?membership=join`);
    expect(joinedOnly.chunk.map((e: any) => e.state_key).sort()).toEqual([anna.userId, ben.userId].sort());
    const notJoined = await ben.ok('GET', `${R(roomId)}/members?not_membership=join`);
    expect(notJoined.chunk.map((e: any) => e.state_key)).toEqual([cleo.userId]);
    // `at` a point before ben joined
    const annaJoin = await ben.ok('GET', `${R(roomId)}/state/m.room.member/${enc(anna.userId)}?format=event`);
    const early = await ben.ok('GET', `${R(roomId)}/members?at=${(await ben.ok('GET', `${R(roomId)}/context/${enc(annaJoin.event_id)}?limit=1`)).end}`);
    expect(early.chunk.map((e: any) => e.state_key)).toEqual([anna.userId]);
    expect((await ben.call('GET', `${R(roomId)}/members?membership=maybe`)).status).toBe(400);

    const joined = await ben.ok('GET', `${R(roomId)}/joined_members`);
    expectMatchesSpec('rooms.yaml', '/rooms/{roomId}/joined_members', 'get', 200, joined);
    expect(Object.keys(joined.joined).sort()).toEqual([anna.userId, ben.userId].sort());
    expect(joined.joined[ben.userId].display_name).toBe('ben');
    const jr = await ben.ok('GET', '/joined_rooms');
    expectMatchesSpec('list_joined_rooms.yaml', '/joined_rooms', 'get', 200, jr);
  });
});

describe('relations, threads and timestamps', () => {
  it('bundles edits and threads, lists relations and thread roots', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const root = await anna.text(roomId, 'original');
    const edit = await anna.send(roomId, { msgtype: 'm.text', body: '* edited', 'm.new_content': { msgtype: 'm.text', body: 'edited' }, 'm.relates_to': { rel_type: 'm.replace', event_id: root } });
    // An edit by someone else is not a valid replacement.
    await ben.send(roomId, { msgtype: 'm.text', body: '* hijack', 'm.new_content': { body: 'hijack' }, 'm.relates_to': { rel_type: 'm.replace', event_id: root } });
    const r1 = await ben.send(roomId, { key: '👍', 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } }, 'm.reaction');
    const t1 = await ben.send(roomId, { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const t2 = await anna.send(roomId, { msgtype: 'm.text', body: 'thread reply 2', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });

    const ev = await ben.ok('GET', `${R(roomId)}/event/${enc(root)}`);
    expect(ev.unsigned['m.relations']['m.replace'].event_id).toBe(edit);
    expect(ev.unsigned['m.relations']['m.thread']).toMatchObject({ count: 2, current_user_participated: true });
    expect(ev.unsigned['m.relations']['m.thread'].latest_event.event_id).toBe(t2);

    const all = await ben.ok('GET', `/_matrix/client/v1${R(roomId)}/relations/${enc(root)}`);
    expectMatchesSpec('relations.yaml', '/rooms/{roomId}/relations/{eventId}', 'get', 200, all);
    expect(all.chunk.length).toBe(5);
    const reactions = await ben.ok('GET', `/_matrix/client/v1${R(roomId)}/relations/${enc(root)}/m.annotation`);
    expect(reactions.chunk.map((e: any) => e.event_id)).toEqual([r1]);
    const reactionsOfType = await ben.ok('GET', `/_matrix/client/v1${R(roomId)}/relations/${enc(root)}/m.annotation/m.reaction`);
    expect(reactionsOfType.chunk.length).toBe(1);
    const paged = await ben.ok('GET', `/_matrix/client/v1${R(roomId)}/relations/${enc(root)}/m.thread?limit=1`);
    expect(paged.chunk.map((e: any) => e.event_id)).toEqual([t2]);
    const next = await ben.ok('GET', `/_matrix/client/v1${R(roomId)}/relations/${enc(root)}/m.thread?limit=1&from=${paged.next_batch}`);
    expect(next.chunk.map((e: any) => e.event_id)).toEqual([t1]);

    const threads = await ben.ok('GET', `/_matrix/client/v1${R(roomId)}/threads`);
    expectMatchesSpec('threads_list.yaml', '/rooms/{roomId}/threads', 'get', 200, threads);
    expect(threads.chunk.map((e: any) => e.event_id)).toEqual([root]);
    // Redacting the edit removes it from the bundle.
    await anna.ok('PUT', `${R(roomId)}/redact/${enc(edit)}/red-edit`, {});
    const after = await ben.ok('GET', `${R(roomId)}/event/${enc(root)}`);
    expect(after.unsigned['m.relations']['m.replace']).toBeUndefined();
  });

  it('finds the event nearest a timestamp', async () => {
    const roomId = await anna.createRoom({});
    const t0 = Date.now();
    const id = await anna.text(roomId, 'now');
    const res = await anna.ok('GET', `/_matrix/client/v1${R(roomId)}/timestamp_to_event?ts=${t0}&dir=f`);
    expectMatchesSpec('room_event_by_timestamp.yaml', '/rooms/{roomId}/timestamp_to_event', 'get', 200, res);
    expect(res.event_id).toBe(id);
    expect((await anna.call('GET', `/_matrix/client/v1${R(roomId)}/timestamp_to_event?ts=${Date.now() + 100000}&dir=f`)).status).toBe(404);
    expect((await anna.call('GET', `/_matrix/client/v1${R(roomId)}/timestamp_to_event?ts=abc&dir=f`)).status).toBe(400);
    expect((await eve.call('GET', `/_matrix/client/v1${R(roomId)}/timestamp_to_event?ts=${t0}&dir=f`)).status).toBe(403);
  });
});
