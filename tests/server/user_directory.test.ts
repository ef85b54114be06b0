// POST /user_directory/search through real HTTP: CJK substrings, case and accents, full MXIDs,
// limit/limited, deactivated users, and the local-directory switch (--user-directory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

const searchUsers = async (u: TestUser, search_term: string, limit?: number) => {
  const res = await u.call('POST', '/user_directory/search', limit === undefined ? { search_term } : { search_term, limit });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expectMatchesSpec('users.yaml', '/user_directory/search', 'post', 200, res.body);
  return res.body as { results: { user_id: string; display_name?: string }[]; limited: boolean };
};
const found = (r: { results: { user_id: string }[] }) => r.results.map((x) => x.user_id);

describe('with every local user searchable (the default)', () => {
  let server: ServerProcess;
  let ana: TestUser;
  let wang: TestUser;
  let zoe: TestUser;
  let loner: TestUser;
  beforeAll(async () => {
    server = await startServer();
    [ana, wang, zoe, loner] = await newUsers(server, ['ana', 'wang', 'zoe', 'loner']);
    await wang.ok('PUT', `/profile/${enc(wang.userId)}/displayname`, { displayname: '王小明' });
    await zoe.ok('PUT', `/profile/${enc(zoe.userId)}/displayname`, { displayname: 'Zoë Éclair' });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('finds a CJK display name by a substring', async () => {
    const r = await searchUsers(ana, '小明');
    expect(found(r)).toEqual([wang.userId]);
    expect(r.results[0]!.display_name).toBe('王小明');
    expect(r.limited).toBe(false);
    expect(found(await searchUsers(ana, '明'))).toEqual([wang.userId]);
    expect(found(await searchUsers(ana, '李明'))).toEqual([]);
  });

  it('matches case- and accent-insensitively, on localpart and display name', async () => {
    expect(found(await searchUsers(ana, 'ECLAIR'))).toEqual([zoe.userId]);
    expect(found(await searchUsers(ana, 'zoë'))).toEqual([zoe.userId]);
    expect(found(await searchUsers(ana, 'WAN'))).toEqual([wang.userId]);
  });

  it('finds a user typed as a full MXID, and one sharing no room', async () => {
    expect(found(await searchUsers(ana, loner.userId))).toEqual([loner.userId]);
  });

  it('honours limit and says when results were cut', async () => {
    const all = await searchUsers(ana, 'test.local');
    expect(all.results.length).toBe(4);
    const one = await searchUsers(ana, 'test.local', 1);
    expect(one.results.length).toBe(1);
    expect(one.limited).toBe(true);
  });

  it('rejects a missing search term', async () => {
    const res = await ana.call('POST', '/user_directory/search', { limit: 3 });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_BAD_JSON');
  });
});

describe('with --user-directory shared', () => {
  let server: ServerProcess;
  let ana: TestUser;
  let bo: TestUser;
  beforeAll(async () => {
    server = await startServer({ args: ['--user-directory', 'shared'] });
    [ana, bo] = await newUsers(server, ['ana', 'bo']);
    await bo.ok('PUT', `/profile/${enc(bo.userId)}/displayname`, { displayname: '李波' });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('finds a user only once they share a room with the searcher', async () => {
    expect(found(await searchUsers(ana, '波'))).toEqual([]);
    const room = await ana.createRoom({ preset: 'private_chat', invite: [bo.userId] });
    // An invite is not yet a shared room.
    expect(found(await searchUsers(ana, '波'))).toEqual([]);
    await bo.join(room);
    expect(found(await searchUsers(ana, '波'))).toEqual([bo.userId]);
    expect(found(await searchUsers(bo, 'ana'))).toEqual([ana.userId]);
  });
});
