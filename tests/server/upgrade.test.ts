// POST /rooms/{roomId}/upgrade through real HTTP: tombstone, predecessor, moved state, power
// levels, aliases and directory listing; who may upgrade; and what old-room members see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, timelineOf, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let ana: TestUser;
let bo: TestUser;

const state = (u: TestUser, roomId: string, type: string, key = '') => u.ok('GET', `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}`);

beforeAll(async () => {
  server = await startServer();
  [ana, bo] = await newUsers(server, ['ana', 'bo']);
});
afterAll(async () => {
  await server?.dispose();
});

describe('room upgrade', () => {
  it('tombstones the old room and makes a new one with predecessor, state, power levels and aliases', async () => {
    const old = await ana.createRoom({ preset: 'public_chat', visibility: 'public', name: 'Kitchen', topic: 'food', room_alias_name: 'kitchen', power_level_content_override: { users: { [bo.userId]: 50 } } });
    await bo.join(old);
    await ana.ok('PUT', `/rooms/${enc(old)}/state/m.room.avatar/`, { url: 'mxc://test.local/abc' });
    const start = await bo.sync();

    const res = await ana.call('POST', `/rooms/${enc(old)}/upgrade`, { new_version: '11' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectMatchesSpec('room_upgrades.yaml', '/rooms/{roomId}/upgrade', 'post', 200, res.body);
    const fresh = res.body.replacement_room;
    expect(fresh).not.toBe(old);

    const tombstone = await state(ana, old, 'm.room.tombstone');
    expect(tombstone.replacement_room).toBe(fresh);
    const create = await state(ana, fresh, 'm.room.create');
    expect(create.room_version).toBe('11');
    expect(create.predecessor.room_id).toBe(old);
    expect(await state(ana, fresh, 'm.room.name')).toEqual({ name: 'Kitchen' });
    expect((await state(ana, fresh, 'm.room.topic')).topic).toBe('food');
    expect((await state(ana, fresh, 'm.room.avatar')).url).toBe('mxc://test.local/abc');
    expect((await state(ana, fresh, 'm.room.join_rules')).join_rule).toBe('public');
    const pl = await state(ana, fresh, 'm.room.power_levels');
    expect(pl.users[ana.userId]).toBe(100);
    expect(pl.users[bo.userId]).toBe(50);
    expect((await state(ana, fresh, 'm.room.canonical_alias')).alias).toBe('#kitchen:test.local');
    // The alias now leads to the new room, and the directory lists it instead of the old one.
    expect((await bo.ok('GET', `/directory/room/${enc('#kitchen:test.local')}`)).room_id).toBe(fresh);
    expect((await bo.ok('GET', `/directory/list/room/${enc(fresh)}`)).visibility).toBe('public');
    expect((await bo.ok('GET', `/directory/list/room/${enc(old)}`)).visibility).toBe('private');
    // Old-room members see the tombstone in sync and can follow it.
    const next = await bo.sync({ since: start.next_batch, timeout: 0 });
    expect(timelineOf(next, old).some((e: any) => e.type === 'm.room.tombstone' && e.content.replacement_room === fresh)).toBe(true);
    await bo.join(fresh);
    // In the old room, ordinary members may no longer talk.
    const oldPl = await state(ana, old, 'm.room.power_levels');
    expect(oldPl.events_default).toBeGreaterThan(0);
    expect((await bo.call('PUT', `/rooms/${enc(old)}/send/m.room.message/late1`, { msgtype: 'm.text', body: 'hi' })).status).toBe(200);
    const cy = (await newUsers(server, ['cy']))[0];
    expect((await cy.call('POST', `/join/${enc(old)}`, {})).status).toBe(200);
    expect((await cy.call('PUT', `/rooms/${enc(old)}/send/m.room.message/late2`, { msgtype: 'm.text', body: 'hi' })).status).toBe(403);
  });

  it('refuses members without the power to tombstone, unknown versions, and a second upgrade', async () => {
    const room = await ana.createRoom({ preset: 'public_chat' });
    await bo.join(room);
    const denied = await bo.call('POST', `/rooms/${enc(room)}/upgrade`, { new_version: '11' });
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    const bad = await ana.call('POST', `/rooms/${enc(room)}/upgrade`, { new_version: '99' });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_UNSUPPORTED_ROOM_VERSION');
    expect((await ana.call('POST', `/rooms/${enc(room)}/upgrade`, {})).body.errcode).toBe('M_BAD_JSON');
    expect((await ana.call('POST', `/rooms/${enc(room)}/upgrade`, { new_version: '10' })).status).toBe(200);
    expect((await ana.call('POST', `/rooms/${enc(room)}/upgrade`, { new_version: '10' })).status).toBe(400);
    const outsider = (await newUsers(server, ['dee']))[0];
    expect((await outsider.call('POST', `/rooms/${enc(room)}/upgrade`, { new_version: '11' })).status).toBe(403);
  });
});
