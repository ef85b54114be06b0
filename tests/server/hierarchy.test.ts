// GET /v1/rooms/{roomId}/hierarchy through real HTTP: a space with a nested space and a suggested
// child, suggested_only, max_depth, pagination, parent-only claims, loops, and rooms the requester may not see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let ana: TestUser;
let bo: TestUser;
let home: string;
let kitchen: string;
let kids: string;
let homework: string;
let diary: string;

const addChild = (space: string, child: string, content: Record<string, unknown>) =>
  ana.ok('PUT', `/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, { via: ['test.local'], ...content });

const hierarchy = async (u: TestUser, roomId: string, query = '') => {
  const res = await u.call('GET', `/_matrix/client/v1/rooms/${enc(roomId)}/hierarchy${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expectMatchesSpec('space_hierarchy.yaml', '/rooms/{roomId}/hierarchy', 'get', 200, res.body);
  return res.body;
};
const roomIds = (body: any) => body.rooms.map((r: any) => r.room_id);

beforeAll(async () => {
  server = await startServer();
  [ana, bo] = await newUsers(server, ['ana', 'bo']);
  const space = { creation_content: { type: 'm.space' }, preset: 'public_chat' };
  home = await ana.createRoom({ ...space, name: 'Home' });
  kids = await ana.createRoom({ ...space, name: 'Kids' });
  kitchen = await ana.createRoom({ preset: 'public_chat', name: 'Kitchen', topic: 'food' });
  homework = await ana.createRoom({ preset: 'public_chat', name: 'Homework' });
  diary = await ana.createRoom({ preset: 'private_chat', name: 'Diary' });
  await addChild(home, kids, { order: 'b' });
  await addChild(home, kitchen, { order: 'a', suggested: true });
  await addChild(home, diary, { order: 'c' });
  await addChild(kids, homework, {});
  // A removed child (empty content) does not count.
  const gone = await ana.createRoom({ preset: 'public_chat', name: 'Gone' });
  await ana.ok('PUT', `/rooms/${enc(home)}/state/m.space.child/${enc(gone)}`, {});
  await ana.ok('PUT', `/rooms/${enc(kitchen)}/state/m.space.parent/${enc(home)}`, { via: ['test.local'], canonical: true });
});
afterAll(async () => {
  await server?.dispose();
});

describe('space hierarchy', () => {
  it('walks nested spaces breadth-first in child order, with children_state', async () => {
    const body = await hierarchy(ana, home);
    expect(roomIds(body)).toEqual([home, kitchen, kids, diary, homework]);
    const root = body.rooms[0];
    expect(root).toMatchObject({ name: 'Home', room_type: 'm.space', join_rule: 'public', num_joined_members: 1 });
    expect(root.children_state.map((e: any) => e.state_key)).toEqual([kitchen, kids, diary]);
    expect(root.children_state[0]).toMatchObject({ type: 'm.space.child', sender: ana.userId, content: { suggested: true, order: 'a' } });
    expect(body.rooms[1]).toMatchObject({ name: 'Kitchen', topic: 'food' });
    expect(body.rooms.find((r: any) => r.room_id === kids).children_state.map((e: any) => e.state_key)).toEqual([homework]);
    expect(body.next_batch).toBeUndefined();
  });

  it('does not list a room that only claims the space as parent, and survives a loop', async () => {
    const secretRoom = await ana.createRoom({ preset: 'public_chat', name: 'Secret' });
    await ana.ok('PUT', `/rooms/${enc(secretRoom)}/state/m.space.parent/${enc(home)}`, { via: ['test.local'] });
    await addChild(kids, home, {});
    const body = await hierarchy(ana, home);
    expect(roomIds(body)).toEqual([home, kitchen, kids, diary, homework]);
    expect(body.rooms.find((r: any) => r.room_id === kids).children_state.map((e: any) => e.state_key)).toEqual([homework, home]);
    await ana.ok('PUT', `/rooms/${enc(kids)}/state/m.space.child/${enc(home)}`, {});
  });

  it('shows only suggested children with suggested_only', async () => {
    expect(roomIds(await hierarchy(ana, home, '?suggested_only=true'))).toEqual([home, kitchen]);
  });

  it('stops at max_depth', async () => {
    const body = await hierarchy(ana, home, '?max_depth=1');
    expect(roomIds(body)).toEqual([home, kitchen, kids, diary]);
    expect(body.rooms.find((r: any) => r.room_id === kids).children_state).toEqual([]);
    expect(roomIds(await hierarchy(ana, home, '?max_depth=0'))).toEqual([home]);
  });

  it('paginates with limit and from', async () => {
    const first = await hierarchy(ana, home, '?limit=2');
    expect(roomIds(first)).toEqual([home, kitchen]);
    const second = await hierarchy(ana, home, `?limit=2&from=${enc(first.next_batch)}`);
    expect(roomIds(second)).toEqual([kids, diary]);
    const third = await hierarchy(ana, home, `?limit=2&from=${enc(second.next_batch)}`);
    expect(roomIds(third)).toEqual([homework]);
    expect(third.next_batch).toBeUndefined();
  });

  it('leaves out rooms the requester may not see, until they are invited', async () => {
    expect(roomIds(await hierarchy(bo, home))).toEqual([home, kitchen, kids, homework]);
    await ana.invite(diary, bo.userId);
    expect(roomIds(await hierarchy(bo, home))).toContain(diary);
    const res = await bo.call('GET', `/_matrix/client/v1/rooms/${enc(diary.replace('!', '!x'))}/hierarchy`);
    expect(res.status).toBe(403);
    const privateRoot = await ana.createRoom({ preset: 'private_chat', creation_content: { type: 'm.space' } });
    expect((await bo.call('GET', `/_matrix/client/v1/rooms/${enc(privateRoot)}/hierarchy`)).body.errcode).toBe('M_FORBIDDEN');
  });

  it('rejects bad parameters', async () => {
    for (const q of ['?limit=0', '?limit=x', '?max_depth=-1', '?from=nope', '?suggested_only=yes']) {
      const res = await ana.call('GET', `/_matrix/client/v1/rooms/${enc(home)}/hierarchy${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.errcode).toBe('M_INVALID_PARAM');
    }
  });
});
