// GET/POST /publicRooms through real HTTP: stable pagination with total_room_count_estimate,
// search terms, room_types for spaces, publishing and unpublishing, and unauthenticated GET.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let ana: TestUser;
let bo: TestUser;
let cy: TestUser;
const publicIds: string[] = [];
let space: string;
let hidden: string;

beforeAll(async () => {
  server = await startServer();
  [ana, bo, cy] = await newUsers(server, ['ana', 'bo', 'cy']);
  const names = ['Garden club', 'Kitchen', 'Homework help', 'Movie night', '家庭聊天'];
  for (const [i, name] of names.entries()) {
    const id = await ana.createRoom({ visibility: 'public', preset: 'public_chat', name, topic: i === 1 ? 'Recipes and groceries' : undefined });
    publicIds.push(id);
  }
  // Different member counts: busiest first.
  await bo.join(publicIds[2]!);
  await cy.join(publicIds[2]!);
  await bo.join(publicIds[3]!);
  space = await ana.createRoom({ visibility: 'public', preset: 'public_chat', name: 'Family space', creation_content: { type: 'm.space' } });
  hidden = await ana.createRoom({ preset: 'private_chat', name: 'Garden secrets' });
});
afterAll(async () => {
  await server?.dispose();
});

const post = async (u: TestUser, body: Record<string, unknown>) => {
  const res = await u.call('POST', '/publicRooms', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expectMatchesSpec('list_public_rooms.yaml', '/publicRooms', 'post', 200, res.body);
  return res.body;
};

describe('the room directory', () => {
  it('pages through every published room in a stable order, with a total', async () => {
    const seen: string[] = [];
    let since: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await request(server.url, 'GET', `/_matrix/client/v3/publicRooms?limit=2${since ? `&since=${enc(since)}` : ''}`);
      expect(res.status).toBe(200);
      expectMatchesSpec('list_public_rooms.yaml', '/publicRooms', 'get', 200, res.body);
      expect(res.body.total_room_count_estimate).toBe(6);
      expect(res.body.chunk.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.chunk.map((r: any) => r.room_id));
      since = res.body.next_batch;
      if (!since) break;
    }
    expect(new Set(seen).size).toBe(6);
    expect(seen).toEqual(expect.arrayContaining([...publicIds, space]));
    expect(seen).not.toContain(hidden);
    expect(seen.slice(0, 2)).toEqual([publicIds[2], publicIds[3]]);
    // The same request gives the same order.
    const again = await post(ana, { limit: 6 });
    expect(again.chunk.map((r: any) => r.room_id)).toEqual(seen);
    const busiest = again.chunk[0];
    expect(busiest).toMatchObject({ name: 'Homework help', num_joined_members: 3, join_rule: 'public', world_readable: false, guest_can_join: false });
    // A later page can go back.
    const second = await post(ana, { limit: 2, since: (await post(ana, { limit: 2 })).next_batch });
    expect(second.prev_batch).toBeTruthy();
    expect((await post(ana, { limit: 2, since: second.prev_batch })).chunk.map((r: any) => r.room_id)).toEqual(seen.slice(0, 2));
  });

  it('filters by a search term over names, topics and aliases, including CJK', async () => {
    expect((await post(bo, { filter: { generic_search_term: 'garden' } })).chunk.map((r: any) => r.room_id)).toEqual([publicIds[0]]);
    expect((await post(bo, { filter: { generic_search_term: 'RECIPES' } })).chunk.map((r: any) => r.room_id)).toEqual([publicIds[1]]);
    const cjk = await post(bo, { filter: { generic_search_term: '聊天' } });
    expect(cjk.chunk.map((r: any) => r.room_id)).toEqual([publicIds[4]]);
    expect(cjk.total_room_count_estimate).toBe(1);
  });

  it('lists spaces with room_types, and plain rooms with null', async () => {
    const spaces = await post(bo, { filter: { room_types: ['m.space'] } });
    expect(spaces.chunk.map((r: any) => r.room_id)).toEqual([space]);
    expect(spaces.chunk[0].room_type).toBe('m.space');
    const rooms = await post(bo, { filter: { room_types: [null] } });
    expect(rooms.chunk.length).toBe(5);
  });

  it('follows publishing through /directory/list/room', async () => {
    await ana.ok('PUT', `/directory/list/room/${enc(publicIds[0]!)}`, { visibility: 'private' });
    expect((await post(bo, {})).chunk.map((r: any) => r.room_id)).not.toContain(publicIds[0]);
    await ana.ok('PUT', `/directory/list/room/${enc(publicIds[0]!)}`, { visibility: 'public' });
    expect((await post(bo, {})).total_room_count_estimate).toBe(6);
  });

  it('continues after the last room shown even when rooms are published between pages', async () => {
    const first = await post(bo, { limit: 3 });
    // Many new rooms, some sorting before and some after the page boundary.
    for (let i = 0; i < 4; i++) await cy.createRoom({ visibility: 'public', preset: 'public_chat', name: `Late ${i}` });
    const shown = new Set(first.chunk.map((r: any) => r.room_id));
    let since = first.next_batch;
    const later: string[] = [];
    while (since) {
      const page = await post(bo, { limit: 3, since });
      later.push(...page.chunk.map((r: any) => r.room_id));
      since = page.next_batch;
    }
    expect(later.filter((id) => shown.has(id))).toEqual([]);
    expect(later).toEqual(expect.arrayContaining(publicIds.filter((id) => !shown.has(id))));
  });

  it('rejects bad input', async () => {
    for (const body of [{ limit: 'ten' }, { filter: 'x' }, { filter: { room_types: [3] } }, { since: 'bogus' }]) {
      const res = await bo.call('POST', '/publicRooms', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode).toMatch(/^M_(BAD_JSON|INVALID_PARAM)$/);
    }
    expect((await request(server.url, 'POST', '/_matrix/client/v3/publicRooms', { body: {} })).status).toBe(401);
  });
});
