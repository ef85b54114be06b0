// Every per-user data endpoint (account data, tags, filters, push rules, receipts, read markers,
// typing, presence, notifications) against odd input: always a Matrix error or success, never a 500.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUser, type TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
let alice: TestUser;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server, 'alice');
  roomId = await alice.createRoom();
  eventId = await alice.text(roomId, 'hello');
}, 30_000);
afterAll(() => server?.dispose());

const ODD_SEGMENTS = ['%00', '..', '%F0%9F%90%88', 'x'.repeat(600), '%2F', '.', '%25', '@', '!', '$'];
const ODD_BODIES = ['', 'null', '[]', '"text"', '42', '{"a":', '{"presence":{"x":1}}', JSON.stringify({ actions: 'notify', conditions: {}, pattern: 7, enabled: 'no', typing: 1, timeout: 1e309 }), JSON.stringify({ 'm.read': ['$x'], 'm.fully_read': {}, thread_id: [] }), JSON.stringify({ room: { timeline: { limit: 1e20, types: null } } }), `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`];

test('no input makes any per-user data endpoint answer 500', async () => {
  const u = () => enc(alice.userId);
  const r = () => enc(roomId);
  const routes: [string, (seg: string) => string][] = [
    ['GET', (s) => `/user/${u()}/account_data/${s}`],
    ['PUT', (s) => `/user/${u()}/account_data/${s}`],
    ['GET', (s) => `/user/${u()}/rooms/${s}/account_data/x.y`],
    ['PUT', (s) => `/user/${u()}/rooms/${r()}/account_data/${s}`],
    ['GET', (s) => `/user/${u()}/rooms/${s}/tags`],
    ['PUT', (s) => `/user/${u()}/rooms/${r()}/tags/${s}`],
    ['DELETE', (s) => `/user/${s}/rooms/${r()}/tags/x`],
    ['POST', (s) => `/user/${s}/filter`],
    ['GET', (s) => `/user/${u()}/filter/${s}`],
    ['GET', (s) => `/pushrules/global/${s}/x`],
    ['PUT', (s) => `/pushrules/global/override/${s}`],
    ['PUT', (s) => `/pushrules/global/room/${s}`],
    ['DELETE', (s) => `/pushrules/global/content/${s}`],
    ['PUT', (s) => `/pushrules/global/underride/${s}/enabled`],
    ['PUT', (s) => `/pushrules/global/override/${s}/actions`],
    ['PUT', (s) => `/pushrules/global/override/.m.rule.master/${s}`],
    ['POST', (s) => `/rooms/${r()}/receipt/${s}/${enc(eventId)}`],
    ['POST', (s) => `/rooms/${r()}/receipt/m.read/${s}`],
    ['POST', (s) => `/rooms/${s}/read_markers`],
    ['PUT', (s) => `/rooms/${r()}/typing/${s}`],
    ['PUT', (s) => `/rooms/${s}/typing/${u()}`],
    ['GET', (s) => `/presence/${s}/status`],
    ['PUT', (s) => `/presence/${s}/status`],
    ['GET', (s) => `/notifications?from=${s}&limit=${s}&only=${s}`],
    ['GET', (s) => `/sync?timeout=0&filter=${s}`],
  ];
  const failures: string[] = [];
  for (const [method, path] of routes) {
    for (const seg of ODD_SEGMENTS) {
      const bodies = method === 'GET' ? [undefined] : ODD_BODIES;
      for (const body of bodies) {
        const res = await request(server.url, method, `/_matrix/client/v3${path(seg)}`, {
          token: alice.login.accessToken,
          rawBody: body,
          headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        });
        const ok = res.status < 500 && (res.status < 400 || typeof res.body?.errcode === 'string');
        if (!ok) failures.push(`${method} ${path(seg).slice(0, 80)} ${String(body).slice(0, 40)} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
  }
  expect(failures).toEqual([]);
  // The server is still fine and Alice's data is intact.
  expect((await alice.ok('GET', '/pushrules/')).global.override[0].rule_id).toBe('.m.rule.master');
}, 240_000);
