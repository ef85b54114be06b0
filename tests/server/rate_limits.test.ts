// Rate limits on registering, sending, uploading and inviting: per user and per IP, configurable
// with --rate-limit, 429 M_LIMIT_EXCEEDED with retry_after_ms, host admins exempt, and defaults a
// household never meets. Requests "from the LAN" leave from 127.0.0.2: the host's own 127.0.0.1
// is exempt from per-IP limits.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { enc } from '../helpers/rooms.ts';

function call(server: ServerProcess, method: string, path: string, options: { token?: string; body?: unknown; raw?: Buffer; from?: string } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = options.raw ?? (options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body)));
    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (payload) headers['Content-Length'] = String(payload.length);
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers, localAddress: options.from ?? '127.0.0.1', agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let txn = 0;
const send = (server: ServerProcess, who: LoggedIn, roomId: string, body: string, from?: string) =>
  call(server, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/rl${txn++}`, { token: who.accessToken, body: { msgtype: 'm.text', body }, from });
const createRoom = async (server: ServerProcess, who: LoggedIn) => (await call(server, 'POST', '/_matrix/client/v3/createRoom', { token: who.accessToken, body: {} })).body.room_id as string;

function expectLimited(res: { status: number; body: any }) {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body.errcode).toBe('M_LIMIT_EXCEEDED');
  expect(res.body.retry_after_ms).toBeGreaterThan(0);
}

describe('default limits', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.dispose());

  test('a burst of 20 messages, 5 uploads and 5 invites from a LAN device all pass', async () => {
    const anna = await registerAndLogin(server, 'anna');
    const roomId = await createRoom(server, anna);
    const sends = await Promise.all(Array.from({ length: 20 }, (_, i) => send(server, anna, roomId, `burst ${i}`, '127.0.0.2')));
    expect(sends.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (let i = 0; i < 5; i++) {
      const up = await call(server, 'POST', '/_matrix/media/v3/upload', { token: anna.accessToken, raw: Buffer.from(`file ${i}`), from: '127.0.0.2' });
      expect(up.status).toBe(200);
      const invite = await call(server, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { token: anna.accessToken, body: { user_id: `@friend${i}:test.local` }, from: '127.0.0.2' });
      expect(invite.status).not.toBe(429);
    }
  });
});

describe('configured limits', () => {
  let server: ServerProcess;
  let admin: LoggedIn;
  let anna: LoggedIn;
  let ben: LoggedIn;
  let annaRoom: string;

  beforeAll(async () => {
    server = await startServer({
      args: [
        '--open-registration',
        '--rate-limit', 'send.user=5:0.5', '--rate-limit', 'send.ip=8:0.05',
        '--rate-limit', 'upload.user=3:0.05', '--rate-limit', 'invite.user=3:0.05', '--rate-limit', 'register.ip=2:0.01',
      ],
    });
    admin = await registerAndLogin(server, 'host', 'host-pw', { admin: true });
    anna = await registerAndLogin(server, 'anna');
    ben = await registerAndLogin(server, 'ben');
    annaRoom = await createRoom(server, anna);
  });
  afterAll(async () => server?.dispose());

  test('sending: per user, 429 with retry_after_ms, nothing stored, and allowed again after the wait', async () => {
    for (let i = 0; i < 5; i++) expect((await send(server, anna, annaRoom, `ok ${i}`)).status).toBe(200);
    const refused = await send(server, anna, annaRoom, 'over the limit');
    expectLimited(refused);
    const history = await call(server, 'GET', `/_matrix/client/v3/rooms/${enc(annaRoom)}/messages?dir=b&limit=50`, { token: anna.accessToken });
    expect(JSON.stringify(history.body)).not.toContain('over the limit');
    await new Promise((r) => setTimeout(r, refused.body.retry_after_ms + 50));
    expect((await send(server, anna, annaRoom, 'after the wait')).status).toBe(200);
  });

  test('sending: per IP across users on one LAN device; other addresses are unaffected', async () => {
    const benRoom = await createRoom(server, ben);
    const cleo = await registerAndLogin(server, 'cleo');
    const cleoRoom = await createRoom(server, cleo);
    for (let i = 0; i < 5; i++) expect((await send(server, ben, benRoom, `ben ${i}`, '127.0.0.3')).status).toBe(200);
    // The address has 3 of its 8 left; cleo's own bucket is full.
    for (let i = 0; i < 3; i++) expect((await send(server, cleo, cleoRoom, `cleo ${i}`, '127.0.0.3')).status).toBe(200);
    expectLimited(await send(server, cleo, cleoRoom, 'cleo over the IP limit', '127.0.0.3'));
    // Refused by the address, not by her own bucket: from elsewhere she still has 2 to send.
    expect((await send(server, cleo, cleoRoom, 'cleo from another device', '127.0.0.4')).status).toBe(200);
  });

  test('host admins are exempt', async () => {
    const room = await createRoom(server, admin);
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => send(server, admin, room, `admin ${i}`, '127.0.0.5')));
    expect(results.map((r) => r.status)).toEqual(Array(15).fill(200));
  });

  test('uploads', async () => {
    for (let i = 0; i < 3; i++) expect((await call(server, 'POST', '/_matrix/media/v3/upload', { token: ben.accessToken, raw: Buffer.from(`f${i}`) })).status).toBe(200);
    expectLimited(await call(server, 'POST', '/_matrix/media/v3/upload', { token: ben.accessToken, raw: Buffer.from('one too many') }));
    expectLimited(await call(server, 'POST', '/_matrix/media/v1/create', { token: ben.accessToken, body: {} }));
  });

  test('invites', async () => {
    const room = await createRoom(server, ben);
    for (let i = 0; i < 3; i++) {
      const res = await call(server, 'POST', `/_matrix/client/v3/rooms/${enc(room)}/invite`, { token: ben.accessToken, body: { user_id: `@guest${i}:test.local` } });
      expect(res.status).not.toBe(429);
    }
    expectLimited(await call(server, 'POST', `/_matrix/client/v3/rooms/${enc(room)}/invite`, { token: ben.accessToken, body: { user_id: '@anna:test.local' } }));
    const members = await call(server, 'GET', `/_matrix/client/v3/rooms/${enc(room)}/members`, { token: ben.accessToken });
    expect(JSON.stringify(members.body)).not.toContain('@anna:test.local');
  });

  test('invites in createRoom count against the same limit: over it, 429 and no room is created', async () => {
    const dana = await registerAndLogin(server, 'dana');
    const guests = [];
    for (let i = 0; i < 4; i++) guests.push((await registerAndLogin(server, `dguest${i}`)).userId);
    const joinedRooms = async () => (await call(server, 'GET', '/_matrix/client/v3/joined_rooms', { token: dana.accessToken })).body.joined_rooms as string[];
    // 4 invites against a bucket of 3: refused whole, nothing created.
    expectLimited(await call(server, 'POST', '/_matrix/client/v3/createRoom', { token: dana.accessToken, body: { name: 'too many', invite: guests } }));
    expect(await joinedRooms()).toEqual([]);
    // 500 can never fit: refused the same way, before any invitee is even looked up.
    const flood = Array.from({ length: 500 }, (_, i) => `@flood${i}:test.local`);
    const refused = await call(server, 'POST', '/_matrix/client/v3/createRoom', { token: dana.accessToken, body: { invite: flood } });
    expectLimited(refused);
    expect(refused.body.error).toMatch(/at most 3/);
    expect(await joinedRooms()).toEqual([]);
    // 3 fit; they use up the bucket, so a following /invite is refused.
    const created = await call(server, 'POST', '/_matrix/client/v3/createRoom', { token: dana.accessToken, body: { invite: guests.slice(0, 3) } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const members = await call(server, 'GET', `/_matrix/client/v3/rooms/${enc(created.body.room_id)}/members`, { token: dana.accessToken });
    expect(members.body.chunk.filter((m: any) => m.content.membership === 'invite').map((m: any) => m.state_key).sort()).toEqual(guests.slice(0, 3).sort());
    expectLimited(await call(server, 'POST', `/_matrix/client/v3/rooms/${enc(created.body.room_id)}/invite`, { token: dana.accessToken, body: { user_id: guests[3] } }));
    // A room with no invites costs nothing.
    expect((await call(server, 'POST', '/_matrix/client/v3/createRoom', { token: dana.accessToken, body: {} })).status).toBe(200);
  });

  test('registration: per IP; the host PC itself is not limited', async () => {
    const register = (name: string, from: string) =>
      call(server, 'POST', '/_matrix/client/v3/register', { body: { username: name, password: 'a-long-password', auth: { type: 'm.login.dummy' } }, from });
    expect((await register('lan1', '127.0.0.6')).status).toBe(200);
    expect((await register('lan2', '127.0.0.6')).status).toBe(200);
    expectLimited(await register('lan3', '127.0.0.6'));
    const taken = await call(server, 'GET', '/_matrix/client/v3/register/available?username=lan3', { from: '127.0.0.6' });
    expect(taken.body.available).toBe(true);
    expect((await register('host1', '127.0.0.1')).status).toBe(200);
  });
});

test('a malformed --rate-limit stops the server with a clear message', async () => {
  await expect(startServer({ args: ['--rate-limit', 'sending.user=1:1'] })).rejects.toThrow(/--rate-limit must look like/);
});
