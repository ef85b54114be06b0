// /sync through raw HTTP: FluffyChat's sequence (CLIENT-COMPAT §1 steps 7-9), every section it
// relies on, long-polling that wakes exactly the right requests, gaps, lazy loading, invites,
// leaves, knocks and full_state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, timelineOf, type TestUser } from '../helpers/rooms.ts';

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

/** Long-polls like a client until `done` holds for a response; returns every response seen. */
async function syncUntil(user: TestUser, since: string, done: (res: any) => unknown): Promise<any[]> {
  const seen: any[] = [];
  for (let token = since; seen.length < 50; ) {
    const res = await user.sync({ since: token, timeout: 20000 });
    seen.push(res);
    if (done(res)) return seen;
    token = res.next_batch;
  }
  throw new Error('the awaited change never arrived');
}

function isEmptySync(res: any): boolean {
  return ['join', 'invite', 'leave', 'knock'].every((k) => !Object.keys(res.rooms[k]).length) &&
    !res.presence.events.length && !res.account_data.events.length && !res.to_device.events.length &&
    !res.device_lists.changed.length && !res.device_lists.left.length;
}

function expectSyncShape(body: any): void {
  expectMatchesSpec('sync.yaml', '/sync', 'get', 200, body);
  expect(typeof body.next_batch).toBe('string');
  for (const key of ['presence', 'account_data', 'to_device']) expect(Array.isArray(body[key].events), key).toBe(true);
  expect(Array.isArray(body.device_lists.changed)).toBe(true);
  expect(Array.isArray(body.device_lists.left)).toBe(true);
  expect(body.device_one_time_keys_count.signed_curve25519).toBeTypeOf('number');
  expect(Array.isArray(body.device_unused_fallback_key_types)).toBe(true);
  for (const section of ['join', 'invite', 'leave', 'knock']) expect(typeof body.rooms[section]).toBe('object');
  for (const room of Object.values<any>(body.rooms.join)) {
    expect(Array.isArray(room.timeline.events)).toBe(true);
    expect(typeof room.timeline.limited).toBe('boolean');
    expect(typeof room.timeline.prev_batch).toBe('string');
    for (const key of ['state', 'ephemeral', 'account_data']) expect(Array.isArray(room[key].events), key).toBe(true);
    expect(room.unread_notifications.notification_count).toBeTypeOf('number');
    expect(room.unread_notifications.highlight_count).toBeTypeOf('number');
    expect(typeof room.summary).toBe('object');
  }
  for (const room of Object.values<any>(body.rooms.invite)) expect(Array.isArray(room.invite_state.events)).toBe(true);
  for (const room of Object.values<any>(body.rooms.leave)) {
    expect(Array.isArray(room.timeline.events)).toBe(true);
    expect(Array.isArray(room.state.events)).toBe(true);
  }
}

describe('FluffyChat sequence', () => {
  it('filter upload → timeout=0 initial sync → timeout=30000 incremental sync', async () => {
    // 7. filter upload
    const filter = await ben.ok('POST', `/user/${enc(ben.userId)}/filter`, { room: { state: { lazy_load_members: true } } });
    expect(typeof filter.filter_id).toBe('string');
    const roomId = await anna.createRoom({ preset: 'private_chat', name: 'Family', invite: [ben.userId] });
    for (let i = 0; i < 12; i++) await anna.text(roomId, `early ${i}`);

    // 8. initial sync: the invite is there with stripped state, the inviter's member event and the room name
    const first = await ben.sync({ filter: filter.filter_id, timeout: 0, set_presence: 'online' });
    expectSyncShape(first);
    const invite = first.rooms.invite[roomId];
    const types = invite.invite_state.events.map((e: any) => `${e.type}|${e.state_key}`);
    expect(types).toEqual(expect.arrayContaining(['m.room.create|', 'm.room.join_rules|', 'm.room.name|', `m.room.member|${anna.userId}`, `m.room.member|${ben.userId}`]));
    expect(first.account_data.events.some((e: any) => e.type === 'm.push_rules')).toBe(true);
    expect(first.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });

    // Join, then sync incrementally: the room arrives complete, with a gap (limited) and lazy members.
    await ben.join(roomId);
    const second = await ben.sync({ filter: filter.filter_id, since: first.next_batch, timeout: 30000, set_presence: 'online' });
    expectSyncShape(second);
    const joined = second.rooms.join[roomId];
    expect(joined.timeline.limited).toBe(true);
    expect(joined.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: ben.userId, content: { membership: 'join' } });
    expect(joined.summary).toEqual({ 'm.heroes': [anna.userId], 'm.joined_member_count': 2, 'm.invited_member_count': 0 });
    const stateKeys = joined.state.events.map((e: any) => `${e.type}|${e.state_key}`);
    expect(stateKeys).toEqual(expect.arrayContaining(['m.room.create|', 'm.room.power_levels|', 'm.room.name|', `m.room.member|${anna.userId}`]));
    // prev_batch is accepted by /messages (FluffyChat's requestHistory)
    const history = await ben.ok('GET', `/rooms/${enc(roomId)}/messages?from=${joined.timeline.prev_batch}&dir=b&limit=30&filter=${enc('{"lazy_load_members":true}')}`);
    expect(history.chunk.length).toBeGreaterThan(0);
    const combined = [...history.chunk.reverse(), ...joined.timeline.events].filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
    expect(combined).toEqual(Array.from({ length: 12 }, (_, i) => `early ${i}`));

    // 9. the long-poll returns as soon as anna writes, with exactly that message
    let sent = '';
    const poll = (async () => {
      for (let token = second.next_batch; ; ) {
        const res = await ben.sync({ filter: filter.filter_id, since: token, timeout: 30000, set_presence: 'online' });
        expectSyncShape(res);
        if (timelineOf(res, roomId).length) return res;
        token = res.next_batch;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    sent = await anna.text(roomId, 'dinner is ready');
    const third = await poll;
    expect(timelineOf(third, roomId).map((e: any) => e.event_id)).toEqual([sent]);
    expect(third.rooms.join[roomId].timeline.limited).toBe(false);
  });
});

describe('long-polling', () => {
  it('wakes only requests that should see the change', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const b0 = await ben.sync();
    const e0 = await eve.sync();
    const started = Date.now();
    const benPoll = syncUntil(ben, b0.next_batch, (res) => timelineOf(res, roomId).length > 0);
    const evePoll = eve.sync({ since: e0.next_batch, timeout: 1500 });
    await new Promise((r) => setTimeout(r, 200));
    await anna.text(roomId, 'only for members');
    const benEvents = (await benPoll).flatMap((res) => timelineOf(res, roomId));
    expect(benEvents.map((e: any) => e.content.body)).toEqual(['only for members']);
    const eveRes = await evePoll;
    expect(eveRes.rooms.join[roomId]).toBeUndefined();
    expect(JSON.stringify(eveRes)).not.toContain('only for members');
    // A wake-up with nothing for eve goes back to waiting: she only returns early with something of her own.
    if (isEmptySync(eveRes)) expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('wakes an invitee and a newly created room\'s creator (CLIENT-COMPAT rule 9)', async () => {
    const c0 = await cleo.sync();
    const poll = syncUntil(cleo, c0.next_batch, (r) => Object.keys(r.rooms.invite).length);
    await new Promise((r) => setTimeout(r, 200));
    const roomId = await anna.createRoom({ is_direct: true, preset: 'trusted_private_chat', invite: [cleo.userId] });
    const res = (await poll).at(-1);
    const own = res.rooms.invite[roomId].invite_state.events.find((e: any) => e.state_key === cleo.userId);
    expect(own.content).toMatchObject({ membership: 'invite', is_direct: true });
    // The creator's next sync has the room in rooms.join.
    const a0 = await anna.sync();
    const created = await anna.createRoom({ name: 'Fresh' });
    const next = (await syncUntil(anna, a0.next_batch, (r) => r.rooms.join[created])).at(-1);
    expect(next.rooms.join[created].timeline.events[0].type).toBe('m.room.create');
  });

  it('returns an empty, well-formed response after the timeout', async () => {
    const s0 = await eve.sync();
    const res = await eve.sync({ since: s0.next_batch, timeout: 300 });
    expectSyncShape(res);
    expect(Object.keys(res.rooms.join)).toEqual([]);
  });

  it('rejects malformed parameters', async () => {
    for (const q of ['since=garbage', 'timeout=-5', 'full_state=maybe', 'set_presence=away', 'filter=%7Bnot-json', 'filter=99999']) {
      const res = await eve.call('GET', `/sync?${q}`);
      expect(res.status, q).toBeGreaterThanOrEqual(400);
      expect(res.status, q).toBeLessThan(500);
      expect(res.body.errcode, q).toMatch(/^M_/);
    }
    expect((await request(server.url, 'GET', '/_matrix/client/v3/sync')).status).toBe(401);
  });

  it('survives clients that disconnect mid-poll', async () => {
    const s0 = await eve.sync();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const polls = controllers.map((c) =>
      fetch(`${server.url}/_matrix/client/v3/sync?since=${s0.next_batch}&timeout=30000`, { headers: { Authorization: `Bearer ${eve.session.accessToken}` }, signal: c.signal }).catch((e) => e),
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const c of controllers) c.abort();
    await Promise.all(polls);
    const res = await eve.sync({ since: s0.next_batch, timeout: 0 });
    expectSyncShape(res);
  });
});

describe('sections', () => {
  it('leave and kick appear in rooms.leave; forgotten rooms do not come back', async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const s0 = await ben.sync();
    await anna.text(roomId, 'bye ben');
    await anna.ok('POST', `/rooms/${enc(roomId)}/kick`, { user_id: ben.userId, reason: 'bedtime' });
    await anna.text(roomId, 'after the kick');
    const s1 = await ben.sync({ since: s0.next_batch });
    expectSyncShape(s1);
    const left = s1.rooms.leave[roomId];
    expect(left.timeline.events.map((e: any) => e.content.body ?? e.content.membership)).toEqual(['bye ben', 'leave']);
    expect(JSON.stringify(s1)).not.toContain('after the kick');
    expect(s1.rooms.join[roomId]).toBeUndefined();
    // initial sync without include_leave does not list it; with include_leave it does
    expect((await ben.sync()).rooms.leave[roomId]).toBeUndefined();
    expect((await ben.sync({ filter: JSON.stringify({ room: { include_leave: true } }) })).rooms.leave[roomId]).toBeDefined();
    await ben.ok('POST', `/rooms/${enc(roomId)}/forget`, {});
    expect((await ben.sync({ filter: JSON.stringify({ room: { include_leave: true } }) })).rooms.leave[roomId]).toBeUndefined();
  });

  it('a rejected invite shows in rooms.leave without revealing the room', async () => {
    const roomId = await anna.createRoom({ name: 'Secret plans', invite: [eve.userId] });
    await anna.text(roomId, 'the secret');
    const s0 = await eve.sync();
    expect(s0.rooms.invite[roomId]).toBeDefined();
    await eve.ok('POST', `/rooms/${enc(roomId)}/leave`, {});
    const s1 = await eve.sync({ since: s0.next_batch });
    const left = s1.rooms.leave[roomId];
    expect(left.state.events).toEqual([]);
    expect(left.timeline.events.every((e: any) => e.type === 'm.room.member' && e.state_key === eve.userId)).toBe(true);
    expect(left.timeline.events.at(-1).content.membership).toBe('leave');
    expect(JSON.stringify(s1)).not.toContain('the secret');
  });

  it('knocks appear in rooms.knock with stripped state', async () => {
    const roomId = await anna.createRoom({ name: 'Knock knock', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    const s0 = await eve.sync();
    await eve.ok('POST', `/knock/${enc(roomId)}`, {});
    const s1 = await eve.sync({ since: s0.next_batch });
    const knock = s1.rooms.knock[roomId];
    expect(knock.knock_state.events.map((e: any) => e.type)).toEqual(expect.arrayContaining(['m.room.name', 'm.room.join_rules', 'm.room.member']));
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, s1);
  });

  it("gives transaction_id only on the sender's own copy", async () => {
    const roomId = await anna.createRoom({ invite: [ben.userId] });
    await ben.join(roomId);
    const a0 = await anna.sync();
    const b0 = await ben.sync();
    await anna.ok('PUT', `/rooms/${enc(roomId)}/send/m.room.message/my-txn-1`, { msgtype: 'm.text', body: 'hello' });
    const a1 = await anna.sync({ since: a0.next_batch });
    const b1 = await ben.sync({ since: b0.next_batch });
    expect(timelineOf(a1, roomId)[0].unsigned.transaction_id).toBe('my-txn-1');
    expect(timelineOf(b1, roomId)[0].unsigned.transaction_id).toBeUndefined();
  });

  it('full_state sends the whole state even when nothing changed', async () => {
    const roomId = await anna.createRoom({ name: 'Full' });
    const s0 = await anna.sync();
    const s1 = await anna.sync({ since: s0.next_batch, full_state: true });
    const types = s1.rooms.join[roomId].state.events.map((e: any) => e.type);
    expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.power_levels', 'm.room.member']));
  });

  it('lazy-loads members: timeline senders only, and each new sender once', async () => {
    const roomId = await anna.createRoom({ preset: 'public_chat' });
    for (const u of [ben, cleo, eve]) await u.join(roomId);
    await ben.text(roomId, 'ben speaks');
    const lazy = JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 1 } } });
    const s0 = await anna.sync({ filter: lazy });
    const members0 = s0.rooms.join[roomId].state.events.filter((e: any) => e.type === 'm.room.member').map((e: any) => e.state_key).sort();
    expect(members0).toEqual([anna.userId, ben.userId].sort());
    await cleo.text(roomId, 'cleo speaks');
    const s1 = await anna.sync({ filter: lazy, since: s0.next_batch });
    expect(s1.rooms.join[roomId].state.events.map((e: any) => e.state_key)).toEqual([cleo.userId]);
    await cleo.text(roomId, 'cleo again');
    const s2 = await anna.sync({ filter: lazy, since: s1.next_batch });
    expect(s2.rooms.join[roomId].state.events).toEqual([]);
    // without lazy loading everyone is there
    const full = await anna.sync({ filter: JSON.stringify({ room: { timeline: { limit: 1 } } }) });
    expect(full.rooms.join[roomId].state.events.filter((e: any) => e.type === 'm.room.member').length).toBe(4);
  });
});
