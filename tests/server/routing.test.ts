// The route table's own promises, through a real server process: how paths match (case, trailing
// slash, percent-decoded parameters, first declared route wins), 404 vs 405, HEAD, CORS on every
// answer, and how request bodies are read (chunked, compressed, too large, cut off).
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { TestUser, enc } from '../helpers/rooms.ts';

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** node:http, so the test decides the exact path, headers and body framing. */
function raw(port: number, method: string, path: string, options: { headers?: Record<string, string>; chunks?: Buffer[]; endEarly?: boolean } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

let server: ServerProcess;
let admin: LoggedIn;
let anna: TestUser;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  server = await startServer();
  admin = await registerAndLogin(server, 'routeadmin', 'route-admin-pw', { admin: true });
  anna = new TestUser(server, await registerAndLogin(server, 'anna'));
  roomId = await anna.createRoom({ name: 'routing', room_alias_name: 'routing' });
  eventId = await anna.text(roomId, 'hello routes');
}, 60_000);

afterAll(async () => {
  await server?.dispose();
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('path matching', () => {
  test('parameters are percent-decoded: room IDs (! :), event IDs ($), aliases (#), an empty state key', async () => {
    expect(roomId).toMatch(/^!.+:/);
    expect(eventId.startsWith('$')).toBe(true);
    const event = await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(eventId)}`);
    expect(event.event_id).toBe(eventId);
    expect(event.content.body).toBe('hello routes');
    const alias = await anna.ok('GET', `/directory/room/${enc('#routing:test.local')}`);
    expect(alias.room_id).toBe(roomId);
    // "/state/m.room.name/" is the empty state key; with and without the slash it is the same event.
    const withSlash = await anna.ok('GET', `/rooms/${enc(roomId)}/state/m.room.name/`);
    const without = await anna.ok('GET', `/rooms/${enc(roomId)}/state/m.room.name`);
    expect(withSlash).toEqual({ name: 'routing' });
    expect(without).toEqual(withSlash);
  });

  test('literal segments match whatever their case, and one trailing slash is ignored', async () => {
    for (const path of ['/_MATRIX/Client/V3/account/WHOAMI', '/_matrix/client/v3/account/whoami/']) {
      const res = await request(server.url, 'GET', path, { token: anna.session.accessToken });
      expect(res.status, path).toBe(200);
      expect(res.body.user_id).toBe(anna.userId);
    }
    for (const path of ['/_matrix/client/v3/account/whoami//', '/_matrix/client/v3//account/whoami', '/_matrix/client/v3/account']) {
      const res = await request(server.url, 'GET', path, { token: anna.session.accessToken });
      expect(res.status, path).toBe(404);
      expect(res.body.errcode).toBe('M_UNRECOGNIZED');
    }
  });

  test('a literal route and a parameter route at the same place: each method gets its own', async () => {
    const base = '/_synapse/admin/v1/registration_tokens';
    const created = await request(server.url, 'POST', `${base}/new`, { token: admin.accessToken, body: { token: 'routing-token' } });
    expect(created.status).toBe(200);
    expect(created.body.token).toBe('routing-token');
    // GET .../new is the `:token` route asking for a token called "new".
    const asToken = await request(server.url, 'GET', `${base}/new`, { token: admin.accessToken });
    expect(asToken.status).toBe(404);
    expect(asToken.body.errcode).toBe('M_NOT_FOUND');
    const found = await request(server.url, 'GET', `${base}/routing-token`, { token: admin.accessToken });
    expect(found.status).toBe(200);
    expect(found.body.token).toBe('routing-token');
  });

  test('a parameter that is not valid percent-encoding is a 400 JSON error, and the request does nothing', async () => {
    for (const bad of ['%', '%zz', '%E0%A4%A']) {
      const res = await request(server.url, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${bad}`, {
        token: anna.session.accessToken,
        body: { msgtype: 'm.text', body: 'must not be sent' },
      });
      expect(res.status, bad).toBe(400);
      expect(res.body.errcode).toBe('M_UNKNOWN');
    }
    const messages = await anna.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=5`);
    expect(messages.chunk.map((e: any) => e.content?.body)).not.toContain('must not be sent');
  });

  test('known path with another method: 405; unknown path: 404; both JSON M_UNRECOGNIZED', async () => {
    const wrong = await request(server.url, 'POST', '/_matrix/client/v3/account/whoami', { token: anna.session.accessToken, body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.body.errcode).toBe('M_UNRECOGNIZED');
    const patch = await raw(server.port, 'PATCH', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
    expect(patch.status).toBe(405);
    const unknown = await request(server.url, 'GET', '/_matrix/client/v3/rooms/x/nothing_here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
    expect(unknown.body.errcode).toBe('M_UNRECOGNIZED');
  });

  test('HEAD on a GET route answers its headers without a body', async () => {
    const get = await raw(server.port, 'GET', '/_matrix/client/versions');
    const head = await raw(server.port, 'HEAD', '/_matrix/client/versions');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
  });

  test('CORS headers on every answer: 200, 401, 404, 405, 400, and preflight', async () => {
    const answers = [
      await raw(server.port, 'GET', '/_matrix/client/v3/account/whoami', { headers: auth(anna.session.accessToken) }),
      await raw(server.port, 'GET', '/_matrix/client/v3/account/whoami'),
      await raw(server.port, 'GET', '/_matrix/client/v3/not_a_route'),
      await raw(server.port, 'DELETE', '/_matrix/client/versions'),
      await raw(server.port, 'POST', '/_matrix/client/v3/login', { headers: { 'Content-Type': 'application/json' }, chunks: [Buffer.from('{')] }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 405, 400]);
    for (const a of answers) {
      expect(a.headers['access-control-allow-origin']).toBe('*');
      expect(a.headers['access-control-allow-methods']).toMatch(/PUT/);
      expect(a.headers['access-control-allow-headers']).toMatch(/Authorization/);
      expect(JSON.parse(a.text)).toHaveProperty(a.status === 200 ? 'user_id' : 'errcode');
    }
    const preflight = await raw(server.port, 'OPTIONS', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`);
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });

  test('a missing token is 401 M_MISSING_TOKEN, an unknown one 401 M_UNKNOWN_TOKEN', async () => {
    const missing = await request(server.url, 'GET', '/_matrix/client/v3/joined_rooms');
    expect([missing.status, missing.body.errcode]).toEqual([401, 'M_MISSING_TOKEN']);
    const unknown = await request(server.url, 'GET', '/_matrix/client/v3/joined_rooms', { token: 'not-a-token' });
    expect([unknown.status, unknown.body.errcode]).toEqual([401, 'M_UNKNOWN_TOKEN']);
  });
});

describe('request bodies', () => {
  const sendPath = () => `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/body-${Math.random().toString(36).slice(2)}`;
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  test('a chunked body (no Content-Length) in several pieces is read whole', async () => {
    const body = json({ msgtype: 'm.text', body: 'chunked '.repeat(2000) });
    const pieces = [body.subarray(0, 7), body.subarray(7, 5000), body.subarray(5000)];
    const res = await raw(server.port, 'PUT', sendPath(), { headers: { ...auth(anna.session.accessToken), 'Content-Type': 'application/json' }, chunks: pieces });
    expect(res.status, res.text).toBe(200);
    const event = await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(JSON.parse(res.text).event_id)}`);
    expect(event.content.body).toBe('chunked '.repeat(2000));
  });

  test('a gzip-compressed body is inflated; an unknown Content-Encoding is refused with a JSON 415', async () => {
    const body = zlib.gzipSync(json({ msgtype: 'm.text', body: 'compressed hello' }));
    const headers = { ...auth(anna.session.accessToken), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) };
    const res = await raw(server.port, 'PUT', sendPath(), { headers, chunks: [body] });
    expect(res.status, res.text).toBe(200);
    const event = await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(JSON.parse(res.text).event_id)}`);
    expect(event.content.body).toBe('compressed hello');
    const odd = await raw(server.port, 'PUT', sendPath(), { headers: { ...headers, 'Content-Encoding': 'x-unknown' }, chunks: [body] });
    expect(odd.status).toBe(415);
    expect(JSON.parse(odd.text).errcode).toBe('M_UNKNOWN');
  });

  test('over the limit without a declared length: 413 M_TOO_LARGE once the client has sent it all, nothing stored', async () => {
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    const res = await raw(server.port, 'PUT', sendPath(), {
      headers: { ...auth(anna.session.accessToken), 'Content-Type': 'application/json' },
      chunks: [Buffer.from('{"msgtype":"m.text","body":"'), piece, piece, piece, piece, piece, Buffer.from('"}')],
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).errcode).toBe('M_TOO_LARGE');
    // The connection was kept usable for the answer, and the server still answers.
    expect((await anna.ok('GET', '/account/whoami')).user_id).toBe(anna.userId);
  });

  test('an empty body on a POST is {} (logout needs none)', async () => {
    const session = await registerAndLogin(server, 'leaver');
    const res = await raw(server.port, 'POST', '/_matrix/client/v3/logout', { headers: { ...auth(session.accessToken), 'Content-Length': '0' } });
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toEqual({});
    const after = await request(server.url, 'GET', '/_matrix/client/v3/account/whoami', { token: session.accessToken });
    expect(after.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  test('a client that hangs up halfway through its body leaves nothing behind and the server running', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path: sendPath(), agent: false,
        headers: { ...auth(anna.session.accessToken), 'Content-Type': 'application/json', 'Content-Length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"msgtype":"m.text","body":"cut');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    const messages = await anna.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=10`);
    expect(messages.chunk.map((e: any) => e.content?.body).filter((b: unknown) => typeof b === 'string' && b.startsWith('cut'))).toEqual([]);
  });
});
