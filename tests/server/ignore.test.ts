// m.ignored_user_list through real HTTP: after an ignore, the ignored user's messages and invites
// no longer reach the ignorer in sync, /messages or /context; others still see them; unignoring restores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, timelineOf, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let ana: TestUser;
let bo: TestUser;
let cy: TestUser;
let room: string;

const ignore = (users: string[]) =>
  ana.ok('PUT', `/user/${enc(ana.userId)}/account_data/m.ignored_user_list`, { ignored_users: Object.fromEntries(users.map((u) => [u, {}])) });
const bodies = (events: any[]) => events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);

beforeAll(async () => {
  server = await startServer();
  [ana, bo, cy] = await newUsers(server, ['ana', 'bo', 'cy']);
  room = await ana.createRoom({ preset: 'public_chat' });
  await bo.join(room);
  await cy.join(room);
});
afterAll(async () => {
  await server?.dispose();
});

describe('ignoring a user', () => {
  it('keeps their new messages out of the ignorer\'s sync, but not out of others\'', async () => {
    const start = await ana.sync();
    await ignore([bo.userId]);
    await bo.text(room, 'from bo (ignored)');
    await cy.text(room, 'from cy');
    const next = await ana.sync({ since: start.next_batch, timeout: 0 });
    expect(bodies(timelineOf(next, room))).toEqual(['from cy']);
    // Only cy's message counts as unread.
    expect(next.rooms.join[room].unread_notifications.notification_count).toBe(1);
    expect(next.account_data.events.find((e: any) => e.type === 'm.ignored_user_list').content.ignored_users).toHaveProperty([bo.userId]);
    // An initial sync leaves them out too.
    expect(bodies(timelineOf(await ana.sync(), room))).not.toContain('from bo (ignored)');
    // Cy is not ignoring anyone.
    expect(bodies(timelineOf(await cy.sync(), room))).toEqual(expect.arrayContaining(['from bo (ignored)', 'from cy']));
  });

  it('hides them from /messages and /context', async () => {
    const res = await ana.call('GET', `/rooms/${enc(room)}/messages?dir=b&limit=20`);
    expect(res.status).toBe(200);
    expectMatchesSpec('message_pagination.yaml', '/rooms/{roomId}/messages', 'get', 200, res.body);
    expect(bodies(res.body.chunk)).toEqual(['from cy']);
    // State events (bo's join) stay: the room's membership must remain right.
    expect(res.body.chunk.some((e: any) => e.type === 'm.room.member' && e.sender === bo.userId)).toBe(true);
    const cyEvent = res.body.chunk.find((e: any) => e.content.body === 'from cy').event_id;
    const ctx = await ana.ok('GET', `/rooms/${enc(room)}/context/${enc(cyEvent)}?limit=10`);
    expect(bodies(ctx.events_before)).not.toContain('from bo (ignored)');
    expect(bodies((await cy.ok('GET', `/rooms/${enc(room)}/context/${enc(cyEvent)}?limit=10`)).events_before)).toContain('from bo (ignored)');
  });

  it('drops their invites', async () => {
    const start = await ana.sync();
    const fromBo = await bo.createRoom({ preset: 'private_chat', invite: [ana.userId] });
    const fromCy = await cy.createRoom({ preset: 'private_chat', invite: [ana.userId] });
    const next = await ana.sync({ since: start.next_batch, timeout: 0 });
    expect(Object.keys(next.rooms.invite)).toEqual([fromCy]);
    expect(Object.keys((await ana.sync()).rooms.invite)).toEqual([fromCy]);
    expect(fromBo).toBeTruthy();
  });

  it('shows their messages again after unignoring', async () => {
    await ignore([]);
    const res = await ana.ok('GET', `/rooms/${enc(room)}/messages?dir=b&limit=20`);
    expect(bodies(res.chunk)).toEqual(['from cy', 'from bo (ignored)']);
    const start = await ana.sync();
    await bo.text(room, 'bo again');
    expect(bodies(timelineOf(await ana.sync({ since: start.next_batch, timeout: 0 }), room))).toEqual(['bo again']);
  });
});
