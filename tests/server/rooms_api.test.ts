// Room APIs through real HTTP: createRoom (presets, FluffyChat's bodies), membership, sending,
// state, redaction and aliases, with spec schema checks and the authorization rules.
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
  await anna.ok('PUT', `/profile/${enc(anna.userId)}/displayname`, { displayname: 'Anna' });
});
afterAll(async () => {
  await server?.dispose();
});

const state = (u: TestUser, roomId: string, type: string, key = '') => u.call('GET', `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}`);

describe('createRoom', () => {
  it('creates FluffyChat\'s group: private_chat, encrypted, with the power override merged', async () => {
    const res = await anna.call('POST', '/createRoom', {
      preset: 'private_chat',
      visibility: 'private',
      name: 'Family',
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      power_level_content_override: { events: { 'org.matrix.msc3401.call.member': 0 } },
    });
    expect(res.status).toBe(200);
    expectMatchesSpec('create_room.yaml', '/createRoom', 'post', 200, res.body);
    const roomId = res.body.room_id;
    expect(roomId).toMatch(/^![A-Za-z0-9]+:test\.local$/);
    const pl = (await state(anna, roomId, 'm.room.power_levels')).body;
    expect(pl.users[anna.userId]).toBe(100);
    expect(pl.events['org.matrix.msc3401.call.member']).toBe(0);
    expect(pl.events['m.room.power_levels']).toBe(100);
    expect((await state(anna, roomId, 'm.room.encryption')).body).toEqual({ algorithm: 'm.megolm.v1.aes-sha2' });
    expect((await state(anna, roomId, 'm.room.join_rules')).body).toEqual({ join_rule: 'invite' });
    expect((await state(anna, roomId, 'm.room.history_visibility')).body).toEqual({ history_visibility: 'shared' });
    expect((await state(anna, roomId, 'm.room.name')).body).toEqual({ name: 'Family' });
    const create = (await state(anna, roomId, 'm.room.create')).body;
    expect(create).toEqual({ creator: anna.userId, room_version: '10' });
    const me = (await state(anna, roomId, 'm.room.member', anna.userId)).body;
    expect(me).toEqual({ membership: 'join', displayname: 'Anna' });
  });

  it('creates a DM: trusted_private_chat makes the invitee admin and marks the invite is_direct', async () => {
    const roomId = await anna.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [ben.userId] });
    const invite = (await state(anna, roomId, 'm.room.member', ben.userId)).body;
    expect(invite).toMatchObject({ membership: 'invite', is_direct: true, displayname: 'ben' });
    const pl = (await state(anna, roomId, 'm.room.power_levels')).body;
    expect(pl.users[ben.userId]).toBe(100);
  });

  it('public_chat with an alias, topic, room version 11 and a space type', async () => {
    const res = await anna.ok('POST', '/createRoom', {
      preset: 'public_chat',
      visibility: 'public',
      room_alias_name: 'lounge',
      topic: 'Everyone welcome',
      room_version: '11',
      creation_content: { type: 'm.space' },
    });
    const roomId = res.room_id;
    expect((await state(anna, roomId, 'm.room.create')).body).toEqual({ room_version: '11', type: 'm.space' });
    expect((await state(anna, roomId, 'm.room.join_rules')).body).toEqual({ join_rule: 'public' });
    expect((await state(anna, roomId, 'm.room.canonical_alias')).body).toEqual({ alias: '#lounge:test.local' });
    expect((await state(anna, roomId, 'm.room.topic')).body.topic).toBe('Everyone welcome');
    const dir = await anna.ok('GET', `/directory/room/${enc('#lounge:test.local')}`);
    expect(dir).toEqual({ room_id: roomId, servers: ['test.local'] });
    expect((await anna.ok('GET', `/directory/list/room/${enc(roomId)}`)).visibility).toBe('public');
    // The alias is taken now.
    const again = await anna.call('POST', '/createRoom', { room_alias_name: 'lounge' });
    expect(again.status).toBe(400);
    expect(again.body.errcode).toBe('M_ROOM_IN_USE');
    // Anyone may join a public room by alias.
    expect((await eve.ok('POST', `/join/${enc('#lounge:test.local')}`, {})).room_id).toBe(roomId);
  });

  it('rejects bad bodies with Matrix errors and creates nothing', async () => {
    const before = (await anna.ok('GET', '/joined_rooms')).joined_rooms.length;
    const cases: [unknown, number, string][] = [
      [{ room_version: '99' }, 400, 'M_UNSUPPORTED_ROOM_VERSION'],
      [{ preset: 'nope' }, 400, 'M_INVALID_PARAM'],
      [{ invite: ['not-a-user'] }, 400, 'M_INVALID_PARAM'],
      [{ invite: '@ben:test.local' }, 400, 'M_BAD_JSON'],
      [{ initial_state: [{ type: 'm.room.name' }] }, 400, 'M_BAD_JSON'],
      [{ name: 5 }, 400, 'M_BAD_JSON'],
      [{ power_level_content_override: { kick: 'high' } }, 403, 'M_FORBIDDEN'],
      [{ invite: ['@nobody:test.local'] }, 404, 'M_NOT_FOUND'],
    ];
    for (const [body, status, errcode] of cases) {
      const res = await anna.call('POST', '/createRoom', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errcode, JSON.stringify(body)).toBe(errcode);
    }
    expect((await anna.ok('GET', '/joined_rooms')).joined_rooms.length).toBe(before);
  });
});

describe('membership', () => {
  it('invite, join, leave, rejoin by invite only, kick, ban, unban, forget', async () => {
    const roomId = await anna.createRoom({ name: 'Kitchen' });
    // Not invited: cannot join.
    expect((await ben.call('POST', `/rooms/${enc(roomId)}/join`, {})).status).toBe(403);
    await anna.invite(roomId, ben.userId);
    expect((await ben.ok('POST', `/rooms/${enc(roomId)}/join`, {})).room_id).toBe(roomId);
    expect((await ben.ok('GET', '/joined_rooms')).joined_rooms).toContain(roomId);
    // ben (power 0) cannot kick or ban anna, nor invite someone (invite level is 0, so he can).
    expect((await ben.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: anna.userId })).status).toBe(403);
    expect((await ben.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: anna.userId })).status).toBe(403);
    await ben.invite(roomId, cleo.userId);
    // cleo rejects the invite.
    await cleo.ok('POST', `/rooms/${enc(roomId)}/leave`, {});
    expect((await state(anna, roomId, 'm.room.member', cleo.userId)).body.membership).toBe('leave');
    // anna kicks ben with a reason.
    await anna.ok('POST', `/rooms/${enc(roomId)}/kick`, { user_id: ben.userId, reason: 'tidy up' });
    const kicked = (await state(anna, roomId, 'm.room.member', ben.userId)).body;
    expect(kicked).toEqual({ membership: 'leave', reason: 'tidy up' });
    expect((await ben.call('POST', `/rooms/${enc(roomId)}/join`, {})).status).toBe(403);
    // ban, then unban, then invite again.
    await anna.ok('POST', `/rooms/${enc(roomId)}/ban`, { user_id: ben.userId });
    expect((await anna.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: ben.userId })).status).toBe(403);
    await anna.ok('POST', `/rooms/${enc(roomId)}/unban`, { user_id: ben.userId });
    await anna.invite(roomId, ben.userId);
    await ben.join(roomId);
    // leave + forget
    await ben.ok('POST', `/rooms/${enc(roomId)}/leave`, {});
    await ben.ok('POST', `/rooms/${enc(roomId)}/forget`, {});
    expect((await ben.ok('GET', '/joined_rooms')).joined_rooms).not.toContain(roomId);
    // forgetting a room you are in is refused
    const f = await anna.call('POST', `/rooms/${enc(roomId)}/forget`, {});
    expect(f.status).toBe(400);
  });

  it('knock on a knock room, then get invited in', async () => {
    const roomId = await anna.createRoom({ initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    expect((await cleo.ok('POST', `/knock/${enc(roomId)}`, { reason: 'let me in' })).room_id).toBe(roomId);
    expect((await state(anna, roomId, 'm.room.member', cleo.userId)).body).toMatchObject({ membership: 'knock', reason: 'let me in' });
    await anna.invite(roomId, cleo.userId);
    await cleo.join(roomId);
    // knocking on an invite-only room is refused
    const closed = await anna.createRoom({});
    expect((await eve.call('POST', `/knock/${enc(closed)}`, {})).status).toBe(403);
  });

  it('rejects malformed membership requests', async () => {
    const roomId = await anna.createRoom({});
    expect((await anna.call('POST', `/rooms/${enc(roomId)}/invite`, {})).body.errcode).toBe('M_MISSING_PARAM');
    expect((await anna.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: 'x' })).body.errcode).toBe('M_INVALID_PARAM');
    expect((await anna.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: '@ghost:test.local' })).status).toBe(404);
    expect((await anna.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: '@x:elsewhere.org' })).status).toBe(403);
    expect((await anna.call('POST', `/join/${enc('!nope:test.local')}`, {})).status).toBe(404);
    expect((await anna.call('POST', `/join/${enc('#nope:test.local')}`, {})).status).toBe(404);
    expect((await anna.call('POST', `/join/nonsense`, {})).status).toBe(400);
  });
});

describe('sending', () => {
  it('is idempotent per device and transaction ID (FluffyChat IDs with spaces)', async () => {
    const roomId = await anna.createRoom({});
    const path = `/rooms/${enc(roomId)}/send/m.room.message/${enc('FluffyChat android-1-1700000000000')}`;
    const first = await anna.ok('PUT', path, { msgtype: 'm.text', body: 'once' });
    const second = await anna.ok('PUT', path, { msgtype: 'm.text', body: 'once' });
    expect(second.event_id).toBe(first.event_id);
    const [retryA, retryB] = await Promise.all([
      anna.ok('PUT', `/rooms/${enc(roomId)}/send/m.room.message/parallel`, { msgtype: 'm.text', body: 'x' }),
      anna.ok('PUT', `/rooms/${enc(roomId)}/send/m.room.message/parallel`, { msgtype: 'm.text', body: 'x' }),
    ]);
    expect(retryA.event_id).toBe(retryB.event_id);
    const page = await anna.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    const bodies = page.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
    expect(bodies).toEqual(['x', 'once']);
    // The sender's own copy carries the transaction ID; it is not shown to others.
    expect(page.chunk.find((e: any) => e.event_id === first.event_id).unsigned.transaction_id).toBe('FluffyChat android-1-1700000000000');
    // The same transaction ID from another user is another event.
    await anna.invite(roomId, ben.userId);
    await ben.join(roomId);
    const other = await ben.ok('PUT', path, { msgtype: 'm.text', body: 'mine' });
    expect(other.event_id).not.toBe(first.event_id);
    const benView = await ben.ok('GET', `/rooms/${enc(roomId)}/event/${enc(first.event_id)}`);
    expect(benView.unsigned.transaction_id).toBeUndefined();
  });

  it('refuses events over 65,536 bytes with 413 M_TOO_LARGE and stores nothing', async () => {
    const roomId = await anna.createRoom({});
    const res = await anna.call('PUT', `/rooms/${enc(roomId)}/send/m.room.message/big`, { msgtype: 'm.text', body: 'x'.repeat(66_000) });
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe('M_TOO_LARGE');
    const page = await anna.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    expect(page.chunk.some((e: any) => e.type === 'm.room.message')).toBe(false);
  });

  it('refuses floats (not canonical JSON), non-members and unknown rooms', async () => {
    const roomId = await anna.createRoom({});
    const float = await anna.call('PUT', `/rooms/${enc(roomId)}/send/m.room.message/f1`, { body: 'x', n: 1.5 });
    expect(float.status).toBe(400);
    expect(float.body.errcode).toBe('M_BAD_JSON');
    const stranger = await eve.call('PUT', `/rooms/${enc(roomId)}/send/m.room.message/s1`, { body: 'hi' });
    expect(stranger.status).toBe(403);
    const unknown = await anna.call('PUT', `/rooms/${enc('!nope:test.local')}/send/m.room.message/u1`, { body: 'hi' });
    expect(unknown.status).toBe(404);
  });
});

describe('state', () => {
  it('GET/PUT state events with schema checks; no power, no rename', async () => {
    const roomId = await anna.createRoom({ name: 'Old', invite: [ben.userId] });
    await ben.join(roomId);
    const put = await anna.ok('PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'New' });
    expect(put.event_id).toMatch(/^\$/);
    // Identical state again returns the same event.
    expect((await anna.ok('PUT', `/rooms/${enc(roomId)}/state/m.room.name`, { name: 'New' })).event_id).toBe(put.event_id);
    const one = await state(ben, roomId, 'm.room.name');
    expectMatchesSpec('room_state.yaml', '/rooms/{roomId}/state/{eventType}/{stateKey}', 'put', 200, put);
    expect(one.body).toEqual({ name: 'New' });
    const asEvent = await ben.ok('GET', `/rooms/${enc(roomId)}/state/m.room.name/?format=event`);
    expect(asEvent).toMatchObject({ type: 'm.room.name', state_key: '', content: { name: 'New' }, unsigned: { prev_content: { name: 'Old' } } });
    const all = await ben.ok('GET', `/rooms/${enc(roomId)}/state`);
    expectMatchesSpec('rooms.yaml', '/rooms/{roomId}/state', 'get', 200, all);
    expect(all.map((e: any) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels', 'm.room.name', 'm.room.member']));
    // ben has power 0: cannot rename.
    const denied = await ben.call('PUT', `/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'Bens' });
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    expect((await state(ben, roomId, 'm.room.name')).body).toEqual({ name: 'New' });
    // Unknown state → 404; a non-member sees nothing.
    expect((await state(ben, roomId, 'm.room.topic')).status).toBe(404);
    expect((await state(eve, roomId, 'm.room.name')).status).toBe(403);
    expect((await eve.call('GET', `/rooms/${enc(roomId)}/state`)).status).toBe(403);
    // State keys starting with @ belong to that user.
    expect((await ben.call('PUT', `/rooms/${enc(roomId)}/state/x.status/${enc(anna.userId)}`, { v: 1 })).status).toBe(403);
  });
});

describe('redaction', () => {
  it('strips content for every later reader; only the sender or a moderator may redact', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const mine = await ben.text(roomId, 'oops, secret');
    const annas = await anna.text(roomId, 'anna here');
    // ben (power 0 < redact 50) cannot redact anna's message
    expect((await ben.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(annas)}/r1`, {})).status).toBe(403);
    const red = await ben.ok('PUT', `/rooms/${enc(roomId)}/redact/${enc(mine)}/r2`, { reason: 'typo' });
    expectMatchesSpec('redaction.yaml', '/rooms/{roomId}/redact/{eventId}/{txnId}', 'put', 200, red);
    // anna (100) may redact anyone's
    await anna.ok('PUT', `/rooms/${enc(roomId)}/redact/${enc(annas)}/r3`, {});
    const seen = await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(mine)}`);
    expect(seen.content).toEqual({});
    expect(seen.unsigned.redacted_because).toMatchObject({ type: 'm.room.redaction', redacts: mine, content: { reason: 'typo' } });
    const page = await ben.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=10`);
    const redaction = page.chunk.find((e: any) => e.type === 'm.room.redaction' && e.redacts === mine);
    expect(redaction.event_id).toBe(red.event_id);
    expect(page.chunk.find((e: any) => e.event_id === mine).content).toEqual({});
    expect((await anna.call('PUT', `/rooms/${enc(roomId)}/redact/${enc('$nope')}/r4`, {})).status).toBe(404);
  });

  it('follows v11 rules in a v11 room: redacts moves into content', async () => {
    const roomId = await anna.createRoom({ room_version: '11' });
    const msg = await anna.text(roomId, 'bye');
    const red = await anna.ok('PUT', `/rooms/${enc(roomId)}/redact/${enc(msg)}/v11`, {});
    const ev = await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(red.event_id)}`);
    expect(ev.content.redacts).toBe(msg);
    expect(ev.redacts).toBe(msg);
  });
});

describe('aliases', () => {
  it('PUT, GET, list and DELETE an alias; conflicts and permissions', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const alias = '#attic:test.local';
    await anna.ok('PUT', `/directory/room/${enc(alias)}`, { room_id: roomId });
    expect((await anna.call('PUT', `/directory/room/${enc(alias)}`, { room_id: roomId })).status).toBe(409);
    const got = await ben.ok('GET', `/directory/room/${enc(alias)}`);
    expectMatchesSpec('directory.yaml', '/directory/room/{roomAlias}', 'get', 200, got);
    const list = await ben.ok('GET', `/rooms/${enc(roomId)}/aliases`);
    expectMatchesSpec('directory.yaml', '/rooms/{roomId}/aliases', 'get', 200, list);
    expect(list.aliases).toEqual([alias]);
    expect((await eve.call('GET', `/rooms/${enc(roomId)}/aliases`)).status).toBe(403);
    expect((await eve.call('PUT', `/directory/room/${enc('#eves:test.local')}`, { room_id: roomId })).status).toBe(403);
    expect((await anna.call('PUT', `/directory/room/${enc('#x:other.org')}`, { room_id: roomId })).status).toBe(400);
    // ben is not the creator and has no power: cannot delete
    expect((await ben.call('DELETE', `/directory/room/${enc(alias)}`)).status).toBe(403);
    // The canonical alias must be a real alias of this room.
    await anna.ok('PUT', `/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { alias });
    const bad = await anna.call('PUT', `/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { alias: '#nowhere:test.local' });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_ALIAS');
    await anna.ok('DELETE', `/directory/room/${enc(alias)}`);
    expect((await anna.call('GET', `/directory/room/${enc(alias)}`)).status).toBe(404);
  });
});

describe('profile changes', () => {
  it('update the member event in every joined room', async () => {
    const r1 = await cleo.createRoom({});
    const r2 = await cleo.createRoom({});
    await cleo.ok('PUT', `/profile/${enc(cleo.userId)}/displayname`, { displayname: 'Cleo C.' });
    for (const r of [r1, r2]) expect((await state(cleo, r, 'm.room.member', cleo.userId)).body).toEqual({ membership: 'join', displayname: 'Cleo C.' });
  });
});
