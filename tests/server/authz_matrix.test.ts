// Authorization matrix: every endpoint that takes a room, event, user or device, called as an
// outsider, a member who left, a banned member, a member without power, another user and a
// deactivated user. Each must be refused with the spec's code, and no response may carry what
// happened in the private room after the caller lost access (a canary in content, state, members,
// receipts, typing and account data).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin } from '../helpers/accounts.ts';
import { TestUser, enc, newUsers } from '../helpers/rooms.ts';

const CANARY = 'canary-7f3e91';
let server: ServerProcess;
let alice: TestUser; // room creator, power 100
let mem: TestUser; // joined, power 0
let lefty: TestUser;
let banned: TestUser;
let outsider: TestUser;
let dead: TestUser; // joined, then deactivated
let roomId: string;
let eventId: string; // alice's canary message, sent after the others lost access
let earlyEventId: string; // sent while everyone was still in the room
let filterId: string;

beforeAll(async () => {
  server = await startServer();
  const admin = await registerAndLogin(server, 'authzadmin', 'authz-admin-pw', { admin: true });
  [alice, mem, lefty, banned, outsider, dead] = await newUsers(server, ['alice', 'mem', 'lefty', 'banned', 'outsider', 'dead']);
  roomId = await alice.createRoom({ preset: 'private_chat', name: 'private' });
  for (const u of [mem, lefty, banned, dead]) {
    await alice.invite(roomId, u.userId);
    await u.join(roomId);
  }
  earlyEventId = await alice.text(roomId, 'early message everyone saw');
  await lefty.ok('POST', `/rooms/${enc(roomId)}/leave`, {});
  await alice.ok('POST', `/rooms/${enc(roomId)}/ban`, { user_id: banned.userId, reason: 'test' });
  const deactivated = await request(server.url, 'POST', `/_synapse/admin/v1/deactivate/${enc(dead.userId)}`, { token: admin.accessToken, body: {} });
  expect(deactivated.status).toBe(200);
  // Everything below happened after the callers lost access: none of it may reach them.
  eventId = await alice.text(roomId, `${CANARY} message`);
  await alice.ok('PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: `${CANARY} topic` });
  await alice.ok('PUT', `/rooms/${enc(roomId)}/state/org.example.secret/`, { secret: CANARY });
  await alice.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
  await alice.ok('PUT', `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 30000 });
  await alice.ok('PUT', `/user/${enc(alice.userId)}/account_data/org.example.secret`, { secret: CANARY });
  await alice.ok('PUT', `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/org.example.secret`, { secret: CANARY });
  await alice.ok('PUT', `/user/${enc(alice.userId)}/rooms/${enc(roomId)}/tags/u.${CANARY}`, {});
  filterId = (await alice.ok('POST', `/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 7 } }, event_fields: [CANARY] })).filter_id;
}, 90_000);

afterAll(async () => {
  await server?.dispose();
});

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

const r = () => enc(roomId);
/** Endpoints that read a room: refused, or (for members who left) answered without anything later. */
const roomReads = (): Call[] => [
  { method: 'GET', path: `/rooms/${r()}/messages?dir=b&limit=50` },
  { method: 'GET', path: `/rooms/${r()}/state` },
  { method: 'GET', path: `/rooms/${r()}/state/m.room.topic/` },
  { method: 'GET', path: `/rooms/${r()}/state/org.example.secret/` },
  { method: 'GET', path: `/rooms/${r()}/members` },
  { method: 'GET', path: `/rooms/${r()}/joined_members` },
  { method: 'GET', path: `/rooms/${r()}/event/${enc(eventId)}` },
  { method: 'GET', path: `/rooms/${r()}/context/${enc(eventId)}` },
  { method: 'GET', path: `/rooms/${r()}/aliases` },
  { method: 'GET', path: `/_matrix/client/v1/rooms/${r()}/relations/${enc(eventId)}` },
  { method: 'GET', path: `/_matrix/client/v1/rooms/${r()}/threads` },
  { method: 'GET', path: `/_matrix/client/v1/rooms/${r()}/timestamp_to_event?ts=${Date.now() + 60_000}&dir=b` },
  { method: 'GET', path: `/_matrix/client/v1/rooms/${r()}/hierarchy` },
];
/** Endpoints that change a room: refused outright for anyone not joined. */
const roomWrites = (): Call[] => [
  { method: 'PUT', path: `/rooms/${r()}/send/m.room.message/authz-${Math.random()}`, body: { msgtype: 'm.text', body: 'intruder' } },
  { method: 'PUT', path: `/rooms/${r()}/state/m.room.name/`, body: { name: 'intruder' } },
  { method: 'PUT', path: `/rooms/${r()}/redact/${enc(eventId)}/authz-${Math.random()}`, body: {} },
  { method: 'POST', path: `/rooms/${r()}/invite`, body: { user_id: '@someone:test.local' } },
  { method: 'POST', path: `/rooms/${r()}/kick`, body: { user_id: '@mem:test.local' } },
  { method: 'POST', path: `/rooms/${r()}/ban`, body: { user_id: '@mem:test.local' } },
  { method: 'POST', path: `/rooms/${r()}/unban`, body: { user_id: '@banned:test.local' } },
  { method: 'POST', path: `/rooms/${r()}/receipt/m.read/${enc(eventId)}`, body: {} },
  { method: 'POST', path: `/rooms/${r()}/read_markers`, body: { 'm.fully_read': eventId } },
  { method: 'POST', path: `/rooms/${r()}/upgrade`, body: { new_version: '11' } },
  { method: 'POST', path: `/rooms/${r()}/report/${enc(eventId)}`, body: { reason: 'x' } },
  { method: 'PUT', path: `/directory/list/room/${r()}`, body: { visibility: 'public' } },
  { method: 'PUT', path: `/directory/room/${enc('#intruder:test.local')}`, body: { room_id: roomId } },
  { method: 'POST', path: `/join/${r()}`, body: {} },
  { method: 'POST', path: `/rooms/${r()}/join`, body: {} },
  { method: 'POST', path: `/knock/${r()}`, body: {} },
];

function leaks(body: unknown): boolean {
  return JSON.stringify(body).includes(CANARY);
}

async function expectNoAccess(who: () => TestUser, label: string, allowHistory: boolean) {
  const failures: string[] = [];
  for (const call of roomReads()) {
    const res = await who().call(call.method, call.path, call.body);
    if (leaks(res.body)) failures.push(`${call.method} ${call.path} leaked the canary: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    const okStatuses = allowHistory ? [200, 403, 404] : [403, 404];
    if (!okStatuses.includes(res.status)) failures.push(`${call.method} ${call.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    if (res.status >= 400 && typeof res.body?.errcode !== 'string') failures.push(`${call.method} ${call.path} → ${res.status} without errcode`);
  }
  for (const call of roomWrites()) {
    const res = await who().call(call.method, call.path, call.body);
    // The join family may also say "not invited"/"banned"/"not knockable": still 403.
    if (res.status !== 403 && res.status !== 404) failures.push(`${call.method} ${call.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    if (leaks(res.body)) failures.push(`${call.method} ${call.path} leaked the canary`);
  }
  // Neither sync nor search may carry the room's later events, state, receipts or typing.
  const sync = await who().call('GET', '/sync?timeout=0');
  expect(sync.status).toBe(200);
  if (leaks(sync.body)) failures.push(`/sync leaked the canary: ${JSON.stringify(sync.body).slice(0, 300)}`);
  if (!allowHistory && JSON.stringify(sync.body).includes(roomId)) failures.push('/sync mentions the room');
  const search = await who().call('POST', '/search', { search_categories: { room_events: { search_term: CANARY } } });
  if (leaks(search.body)) failures.push(`/search leaked the canary: ${JSON.stringify(search.body).slice(0, 300)}`);
  expect(failures, label).toEqual([]);
}

describe('authorization matrix', () => {
  test('an outsider can neither read nor change the private room', async () => {
    await expectNoAccess(() => outsider, 'outsider', false);
  });

  test('a member who left sees at most the history before leaving', async () => {
    await expectNoAccess(() => lefty, 'left member', true);
    const early = await lefty.call('GET', `/rooms/${r()}/event/${enc(earlyEventId)}`);
    expect([200, 404]).toContain(early.status);
  });

  test('a banned member sees at most the history before the ban and cannot rejoin', async () => {
    await expectNoAccess(() => banned, 'banned member', true);
  });

  test('a member without power cannot kick, ban, change power or name, upgrade or redact others', async () => {
    const refused: Call[] = [
      { method: 'POST', path: `/rooms/${r()}/kick`, body: { user_id: alice.userId } },
      { method: 'POST', path: `/rooms/${r()}/ban`, body: { user_id: alice.userId } },
      { method: 'POST', path: `/rooms/${r()}/unban`, body: { user_id: banned.userId } },
      { method: 'PUT', path: `/rooms/${r()}/state/m.room.power_levels/`, body: { users: { [mem.userId]: 100 } } },
      { method: 'PUT', path: `/rooms/${r()}/state/m.room.name/`, body: { name: 'mine now' } },
      { method: 'PUT', path: `/rooms/${r()}/state/m.room.join_rules/`, body: { join_rule: 'public' } },
      { method: 'PUT', path: `/rooms/${r()}/state/m.room.history_visibility/`, body: { history_visibility: 'world_readable' } },
      { method: 'PUT', path: `/rooms/${r()}/redact/${enc(eventId)}/authz-redact`, body: {} },
      { method: 'POST', path: `/rooms/${r()}/upgrade`, body: { new_version: '11' } },
      { method: 'PUT', path: `/directory/list/room/${r()}`, body: { visibility: 'public' } },
    ];
    const failures: string[] = [];
    for (const call of refused) {
      const res = await mem.call(call.method, call.path, call.body);
      if (res.status !== 403 || res.body?.errcode !== 'M_FORBIDDEN') failures.push(`${call.method} ${call.path} → ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(failures).toEqual([]);
    const pl = await alice.ok('GET', `/rooms/${r()}/state/m.room.power_levels/`);
    expect(pl.users[mem.userId] ?? 0).toBe(0);
  });

  test("another user cannot read or write a user's account data, filters, tags, presence, typing, profile or devices", async () => {
    const a = enc(alice.userId);
    const calls: { call: Call; codes: number[] }[] = [
      { call: { method: 'GET', path: `/user/${a}/account_data/org.example.secret` }, codes: [403] },
      { call: { method: 'PUT', path: `/user/${a}/account_data/org.example.secret`, body: { x: 1 } }, codes: [403] },
      { call: { method: 'GET', path: `/user/${a}/rooms/${r()}/account_data/org.example.secret` }, codes: [403] },
      { call: { method: 'PUT', path: `/user/${a}/rooms/${r()}/account_data/org.example.secret`, body: { x: 1 } }, codes: [403] },
      { call: { method: 'GET', path: `/user/${a}/rooms/${r()}/tags` }, codes: [403] },
      { call: { method: 'PUT', path: `/user/${a}/rooms/${r()}/tags/u.x`, body: {} }, codes: [403] },
      { call: { method: 'DELETE', path: `/user/${a}/rooms/${r()}/tags/u.${CANARY}` }, codes: [403] },
      { call: { method: 'GET', path: `/user/${a}/filter/${enc(String(filterId))}` }, codes: [403, 404] },
      { call: { method: 'POST', path: `/user/${a}/filter`, body: {} }, codes: [403] },
      { call: { method: 'POST', path: `/user/${a}/openid/request_token`, body: {} }, codes: [403] },
      { call: { method: 'PUT', path: `/presence/${a}/status`, body: { presence: 'offline' } }, codes: [403] },
      { call: { method: 'PUT', path: `/rooms/${r()}/typing/${a}`, body: { typing: false } }, codes: [403] },
      { call: { method: 'PUT', path: `/profile/${a}/displayname`, body: { displayname: 'hijacked' } }, codes: [403] },
      { call: { method: 'PUT', path: `/profile/${a}/avatar_url`, body: { avatar_url: 'mxc://test.local/x' } }, codes: [403] },
      { call: { method: 'GET', path: `/devices/${enc(alice.session.deviceId)}` }, codes: [404] },
      { call: { method: 'PUT', path: `/devices/${enc(alice.session.deviceId)}`, body: { display_name: 'hijacked' } }, codes: [404] },
      { call: { method: 'GET', path: `/_synapse/admin/v2/users/${a}` }, codes: [403] },
      { call: { method: 'GET', path: `/_synapse/admin/v2/users/${a}/devices` }, codes: [403] },
      { call: { method: 'POST', path: `/_synapse/admin/v1/deactivate/${a}`, body: {} }, codes: [403] },
      { call: { method: 'GET', path: `/admin/whois/${a}` }, codes: [403] },
    ];
    const failures: string[] = [];
    for (const { call, codes } of calls) {
      const res = call.path.startsWith('/_synapse')
        ? await request(server.url, call.method, call.path, { token: mem.session.accessToken, body: call.body })
        : await mem.call(call.method, call.path, call.body);
      if (!codes.includes(res.status) || typeof res.body?.errcode !== 'string') failures.push(`${call.method} ${call.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      if (leaks(res.body)) failures.push(`${call.method} ${call.path} leaked the canary`);
    }
    expect(failures).toEqual([]);
    // And nothing was changed behind alice's back.
    expect((await alice.ok('GET', `/profile/${enc(alice.userId)}/displayname`)).displayname).not.toBe('hijacked');
    expect((await alice.ok('GET', `/user/${enc(alice.userId)}/account_data/org.example.secret`)).secret).toBe(CANARY);
  });

  test("another user cannot read, change or delete a user's key backup", async () => {
    const created = await alice.ok('POST', '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: CANARY, signatures: {} } });
    const v = created.version as string;
    const session = { first_message_index: 0, forwarded_count: 0, is_verified: true, session_data: { ciphertext: CANARY, ephemeral: 'e', mac: 'm' } };
    await alice.ok('PUT', `/room_keys/keys/${r()}/s1?version=${v}`, session);
    const failures: string[] = [];
    const calls: Call[] = [
      { method: 'GET', path: '/room_keys/version' },
      { method: 'GET', path: `/room_keys/version/${v}` },
      { method: 'GET', path: `/room_keys/keys?version=${v}` },
      { method: 'GET', path: `/room_keys/keys/${r()}/s1?version=${v}` },
      { method: 'PUT', path: `/room_keys/keys/${r()}/s1?version=${v}`, body: session },
      { method: 'PUT', path: `/room_keys/version/${v}`, body: { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {}, version: v } },
      { method: 'DELETE', path: `/room_keys/keys?version=${v}` },
      { method: 'DELETE', path: `/room_keys/version/${v}` },
    ];
    for (const call of calls) {
      const res = await mem.call(call.method, call.path, call.body);
      // mem has no backup of its own: every version is unknown to it.
      if (res.status !== 404 && res.status !== 403) failures.push(`${call.method} ${call.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 150)}`);
      if (leaks(res.body)) failures.push(`${call.method} ${call.path} leaked the canary`);
    }
    expect(failures).toEqual([]);
    const mine = await alice.ok('GET', `/room_keys/keys?version=${v}`);
    expect(JSON.stringify(mine)).toContain(CANARY);
  });

  test('a deactivated user: every token is dead and login is refused', async () => {
    const calls = [...roomReads(), ...roomWrites(), { method: 'GET', path: '/sync' }, { method: 'GET', path: '/account/whoami' }];
    const failures: string[] = [];
    for (const call of calls) {
      const res = await dead.call(call.method, call.path, call.body);
      if (res.status !== 401 || res.body?.errcode !== 'M_UNKNOWN_TOKEN') failures.push(`${call.method} ${call.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 150)}`);
    }
    expect(failures).toEqual([]);
    const login = await request(server.url, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'dead' }, password: 'pw-dead' },
    });
    // Deactivation erases the password, so the answer may not say why (Synapse does the same).
    expect(login.status).toBe(403);
    expect(['M_USER_DEACTIVATED', 'M_FORBIDDEN']).toContain(login.body.errcode);
  });

  test('the room is unchanged by all of it', async () => {
    const state = await alice.ok('GET', `/rooms/${r()}/state`);
    const name = state.find((e: any) => e.type === 'm.room.name');
    expect(name.content.name).toBe('private');
    const members = await alice.ok('GET', `/rooms/${r()}/joined_members`);
    expect(Object.keys(members.joined).sort()).toEqual([alice.userId, mem.userId].sort());
    const msgs = await alice.ok('GET', `/rooms/${r()}/messages?dir=b&limit=100`);
    expect(JSON.stringify(msgs)).not.toContain('intruder');
  });
});
