// Route fuzz: every route the server declares and every route in the spec's client-server OpenAPI
// files gets malformed and hostile requests against a real server process. Nothing may answer 5xx,
// crash the process, answer an error that is not {errcode, error} JSON, leak a stack trace or path,
// or change the database while refusing the request.
// Reproduce a run with MEOWTRIX_FUZZ_SEED=<seed>; MEOWTRIX_FUZZ_MS sets the random phase's budget.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { login, registerAndLogin, createUser, type LoggedIn } from '../helpers/accounts.ts';
import { TestUser, enc } from '../helpers/rooms.ts';
import {
  Rng, allRouteTemplates, hostileBody, journalBytes, deepJson, HOSTILE_SEGMENTS, HOSTILE_QUERY_VALUES, QUERY_KEYS,
  type RouteTemplate, type HostileBody,
} from '../helpers/fuzz.ts';

const SEED = Number(process.env.MEOWTRIX_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env.MEOWTRIX_FUZZ_MS ?? 35_000);
process.stderr.write(`route fuzz seed ${SEED} (MEOWTRIX_FUZZ_SEED=${SEED} to repeat)\n`);

interface RawReply {
  status: number;
  contentType: string;
  text: string;
}

/** node:http, not fetch: fetch would normalise `..` and `%2e%2e` segments before they reach the server. */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server: ServerProcess;
let fuzzer: LoggedIn;
let admin: LoggedIn;
const FUZZER_PASSWORD = 'fuzzer-password-1';
/** Real IDs, so authenticated requests get past parsing and into the handlers. */
const known: Record<string, string[]> = {};
const violations: string[] = [];

beforeAll(async () => {
  // The journal must grow only when a request commits: no search index write on a timer after a message.
  server = await startServer({ env: { MEOWTRIX_SEARCH_INDEX_DELAY_MS: '600000' } });
  admin = await registerAndLogin(server, 'fuzzadmin', 'fuzz-admin-pw', { admin: true });
  await createUser(server, 'fuzzer', FUZZER_PASSWORD);
  fuzzer = await login(server, 'fuzzer', FUZZER_PASSWORD);
  const victim = await createUser(server, 'victim', 'victim-pw');
  const me = new TestUser(server, fuzzer);
  const bob = new TestUser(server, await registerAndLogin(server, 'bob'));
  const roomId = await me.createRoom({ name: 'fuzz room', room_alias_name: 'fuzzroom' });
  await me.invite(roomId, bob.userId);
  await bob.join(roomId);
  const eventId = await me.text(roomId, 'hello fuzz');
  const bobsRoom = await bob.createRoom({ preset: 'private_chat' });
  const upload = await fetch(`${server.url}/_matrix/media/v3/upload?filename=a.txt`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${fuzzer.accessToken}`, 'Content-Type': 'text/plain' },
    body: 'fuzz media',
  });
  const mediaId = String(((await upload.json()) as { content_uri: string }).content_uri).split('/').pop()!;
  const filterId = (await me.ok('POST', `/user/${enc(fuzzer.userId)}/filter`, { room: { timeline: { limit: 5 } } })).filter_id;
  Object.assign(known, {
    roomId: [roomId, bobsRoom], roomIdOrAlias: [roomId, '#fuzzroom:test.local'], roomAlias: ['#fuzzroom:test.local', '#new:test.local'],
    eventId: [eventId], userId: [fuzzer.userId, bob.userId], deviceId: [fuzzer.deviceId], serverName: ['test.local'],
    mediaId: [mediaId], filterId: [String(filterId)], eventType: ['m.room.message', 'm.room.name', 'm.reaction'], stateKey: [''],
    txnId: ['t1', 't2'], version: ['1'], sessionId: ['sess'], type: ['m.test', 'm.direct'], tag: ['u.fuzz', 'm.favourite'],
    kind: ['override', 'room', 'content'], ruleId: ['fuzzrule', '.m.rule.contains_display_name'], receiptType: ['m.read', 'm.read.private'],
    relType: ['m.annotation', 'm.thread'], protocol: ['irc'], token: ['tok'], fileName: ['a.txt'],
  });
  // Admin routes act on the victim, never on the users the fuzz needs.
  known.adminUserId = [victim];
}, 60_000);

afterAll(async () => {
  await server?.dispose();
});

function encodeQueryValue(v: string): string {
  return /%[0-9a-fA-F]{2}|%$/.test(v) ? v : encodeURIComponent(v);
}

function buildPath(rng: Rng, route: RouteTemplate, adminRoute: boolean): string {
  const parts: string[] = [];
  for (const seg of route.segments) {
    if (!seg.param) {
      // Odd encodings of the literal parts: percent-encoded letters, doubled slashes, case.
      const r = rng.next();
      parts.push(r < 0.02 ? seg.text.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`) : r < 0.03 ? `/${seg.text}` : r < 0.04 ? seg.text.toUpperCase() : seg.text);
      continue;
    }
    if (seg.optional && rng.chance(0.4)) continue;
    const pool = adminRoute && seg.param === 'userId' ? known.adminUserId : known[seg.param];
    parts.push(pool && rng.chance(0.6) ? encodeURIComponent(rng.pick(pool)) : rng.pick(HOSTILE_SEGMENTS));
  }
  let p = '/' + parts.join('/');
  if (rng.chance(0.4)) {
    const n = 1 + rng.int(3);
    const q: string[] = [];
    for (let i = 0; i < n; i++) q.push(`${rng.pick(QUERY_KEYS)}=${encodeQueryValue(rng.pick(HOSTILE_QUERY_VALUES))}`);
    p += '?' + q.join('&');
  }
  return p;
}

/** Checks one reply; returns false if the request must be repeated to tell a real write from background noise. */
function check(what: string, reply: RawReply, grew: boolean): boolean {
  if (reply.status >= 500) violations.push(`${what} → ${reply.status} ${reply.text.slice(0, 300)}`);
  if (reply.status >= 400) {
    let body: any;
    try {
      body = JSON.parse(reply.text);
    } catch {
      body = null;
    }
    // User-interactive auth answers 401 with its flows (spec), with an errcode only after a failed stage.
    const uia = reply.status === 401 && body && Array.isArray(body.flows);
    if (!uia && (!body || typeof body.errcode !== 'string' || typeof body.error !== 'string' || !reply.contentType.includes('application/json'))) {
      violations.push(`${what} → ${reply.status} not a JSON Matrix error: ${reply.contentType} ${reply.text.slice(0, 200)}`);
    }
    if (/\bat .+:\d+:\d+|\/work\/|node_modules|\.ts\b/.test(reply.text) || reply.text.includes(server.dataDir)) {
      violations.push(`${what} → ${reply.status} leaks internals: ${reply.text.slice(0, 300)}`);
    }
    if (grew) return false;
  }
  return true;
}

async function send(what: string, method: string, path: string, token: string | null, body: HostileBody | null): Promise<RawReply> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers['Content-Type'] = body.contentType;
  try {
    return await rawRequest(server.port, method, path, headers, body?.raw);
  } catch (err) {
    violations.push(`${what} → connection failed: ${(err as Error).message}`);
    if (server.proc.exitCode !== null || server.proc.signalCode !== null) throw new Error(`server died (seed ${SEED}) at ${what}\n${server.output().slice(-3000)}`);
    return { status: 0, contentType: '', text: '' };
  }
}

/** Sends, checks, and if a refused request seemed to write, repeats it once: a second write is a finding. */
async function probe(what: string, method: string, path: string, token: string | null, body: HostileBody | null): Promise<RawReply> {
  const before = journalBytes(server.dataDir);
  const reply = await send(what, method, path, token, body);
  if (!check(what, reply, journalBytes(server.dataDir) > before)) {
    const again = journalBytes(server.dataDir);
    const second = await send(what, method, path, token, body);
    if (second.status >= 400 && journalBytes(server.dataDir) > again) {
      violations.push(`${what} → ${second.status} ${second.text.slice(0, 120)} but the database changed`);
    }
  }
  return reply;
}

function describeBody(body: HostileBody | null): string {
  return body ? `[${body.kind}] ${body.raw.subarray(0, 80).toString('utf8')}` : '';
}

describe('input limits at the edge', () => {
  const call = (method: string, path: string, raw: string | Buffer) =>
    rawRequest(server.port, method, `/_matrix/client/v3${path}`, { Authorization: `Bearer ${fuzzer.accessToken}`, 'Content-Type': 'application/json' }, Buffer.from(raw));
  const get = async (path: string) => {
    const res = await rawRequest(server.port, 'GET', `/_matrix/client/v3${path}`, { Authorization: `Bearer ${fuzzer.accessToken}` });
    return { status: res.status, body: JSON.parse(res.text) };
  };
  const sendPath = () => `/rooms/${enc(known.roomId![0]!)}/send/m.room.message/limits-${Math.random()}`;

  test('malformed sync and pagination tokens: 400 M_INVALID_PARAM', async () => {
    for (const since of ['garbage', 's', 's-1', 's1_2_3_4_5_6_7_8_9_10_11', '99999999999999999999999', '%00', 's_', 'NaN', 's1.5_0', 'x'.repeat(3000)]) {
      const res = await get(`/sync?timeout=0&since=${encodeURIComponent(since)}`);
      expect([res.status, res.body.errcode], `since=${since.slice(0, 40)}`).toEqual([400, 'M_INVALID_PARAM']);
    }
    for (const from of ['garbage', 't-1', '99999999999999999999999', 'x'.repeat(3000)]) {
      const res = await get(`/rooms/${enc(known.roomId![0]!)}/messages?dir=b&from=${encodeURIComponent(from)}`);
      expect([res.status, res.body.errcode], `from=${from.slice(0, 40)}`).toEqual([400, 'M_INVALID_PARAM']);
    }
  });

  test('nesting, integer range, floats in events, lone surrogates and invalid UTF-8 are refused and never stored', async () => {
    const before = journalBytes(server.dataDir);
    const cases: [string, string | Buffer, string][] = [
      ['nested 65 deep', `{"msgtype":"m.text","body":"x","n":${deepJson(64)}}`, 'M_BAD_JSON'],
      ['integer above 2^53-1', '{"msgtype":"m.text","body":"x","n":9007199254740992}', 'M_BAD_JSON'],
      ['integer below -(2^53-1)', '{"msgtype":"m.text","body":"x","n":-9007199254740992}', 'M_BAD_JSON'],
      ['overflowing number', '{"msgtype":"m.text","body":"x","n":1e999}', 'M_BAD_JSON'],
      ['float in event content', '{"msgtype":"m.text","body":"x","n":0.5}', 'M_BAD_JSON'],
      ['lone high surrogate', '{"msgtype":"m.text","body":"lone \\ud83d here"}', 'M_BAD_JSON'],
      ['lone low surrogate in a key', '{"msgtype":"m.text","body":"x","\\udc00":1}', 'M_BAD_JSON'],
      ['invalid UTF-8', Buffer.from([...Buffer.from('{"msgtype":"m.text","body":"'), 0xc3, 0x28, ...Buffer.from('"}')]), 'M_NOT_JSON'],
      ['UTF-8 encoded surrogate', Buffer.from([...Buffer.from('{"msgtype":"m.text","body":"'), 0xed, 0xa0, 0xbd, ...Buffer.from('"}')]), 'M_NOT_JSON'],
    ];
    for (const [label, raw, errcode] of cases) {
      const res = await call('PUT', sendPath(), raw);
      expect([res.status, JSON.parse(res.text).errcode], label).toEqual([400, errcode]);
      // Floats are fine outside events (m.tag order is one); everything else is refused everywhere.
      if (label.startsWith('float')) continue;
      const data = await call('PUT', `/user/${enc(fuzzer.userId)}/account_data/org.example.limits`, raw);
      expect(data.status, `account data: ${label}`).toBe(400);
    }
    expect(journalBytes(server.dataDir), 'a refused body was stored').toBe(before);
    // A valid pair (an emoji) and the extreme safe integers still pass.
    const ok = await call('PUT', sendPath(), '{"msgtype":"m.text","body":"\\ud83d\\ude3a","n":9007199254740991,"m":-9007199254740991}');
    expect(ok.status, ok.text).toBe(200);
  });
});

describe(`route fuzz (seed ${SEED})`, () => {
  const routes = allRouteTemplates();

  test('every declared route is in the fuzz set, and the spec adds its own', () => {
    expect(routes.filter((r) => r.source !== 'spec').length).toBeGreaterThan(100);
    expect(routes.filter((r) => r.source !== 'server').length).toBeGreaterThan(100);
  });

  test('invalid bodies to every non-GET route: 4xx JSON errors, database unchanged', async () => {
    const rng = new Rng(SEED);
    const invalid: HostileBody[] = [
      { kind: 'not json', raw: Buffer.from('{"a":'), contentType: 'application/json' },
      { kind: 'invalid utf-8', raw: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), contentType: 'application/json' },
      { kind: 'not an object', raw: Buffer.from('[1,2]'), contentType: 'application/json' },
      { kind: 'deep nesting', raw: Buffer.from(`{"a":${deepJson(5000)}}`), contentType: 'application/json' },
      { kind: 'lone surrogate', raw: Buffer.from('{"body":"\\ud800","msgtype":"m.text","content":{"body":"\\udc00"}}'), contentType: 'application/json' },
      { kind: 'integer out of range', raw: Buffer.from('{"body":"x","msgtype":"m.text","timeout":9007199254740993}'), contentType: 'application/json' },
    ];
    const before = journalBytes(server.dataDir);
    for (const route of routes) {
      // Uploads take raw bytes: any body is a valid file.
      if (route.method === 'GET' || route.segments.some((s) => s.text === 'media')) continue;
      const adminRoute = route.segments[0]?.text === '_synapse';
      const path = '/' + route.segments.filter((s) => !s.optional).map((s) => {
        if (!s.param) return s.text;
        const pool = adminRoute && s.param === 'userId' ? known.adminUserId : known[s.param];
        return encodeURIComponent(pool ? pool[0]! : 'x');
      }).join('/');
      for (const body of invalid) {
        const what = `${route.method} ${path} ${describeBody(body)}`;
        const reply = await probe(what, route.method, path, adminRoute ? admin.accessToken : fuzzer.accessToken, body);
        if (reply.status < 400) violations.push(`${what} → ${reply.status}: an invalid body was accepted`);
      }
      rng.next();
    }
    expect(journalBytes(server.dataDir), 'refused requests changed the database').toBe(before);
    expect(violations, `seed ${SEED}`).toEqual([]);
  }, 120_000);

  test('random hostile requests to every route: no 5xx, JSON errors, nothing written when refused', async () => {
    const rng = new Rng(SEED);
    const deadline = Date.now() + BUDGET_MS;
    let sent = 0;
    const statuses = new Map<number, number>();
    while (Date.now() < deadline) {
      const route = rng.pick(routes);
      const adminRoute = route.segments[0]?.text === '_synapse';
      const path = buildPath(rng, route, adminRoute);
      const authPick = rng.next();
      const token = authPick < 0.7 ? (adminRoute ? admin.accessToken : fuzzer.accessToken) : authPick < 0.8 ? admin.accessToken : authPick < 0.95 ? null : 'syt_garbage_token';
      // Logging out would only end the fuzz user's session: not interesting, and it stops the deep paths.
      if (token && /\/logout/.test(path)) continue;
      const method = rng.chance(0.03) ? rng.pick(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']) : route.method;
      const body = method === 'GET' || method === 'DELETE' ? null : hostileBody(rng);
      const what = `${method} ${path.slice(0, 300)} ${describeBody(body)}`;
      const reply = await probe(what, method, path, token, body);
      sent++;
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status === 401 && token === fuzzer.accessToken) fuzzer = await login(server, 'fuzzer', FUZZER_PASSWORD);
      if (violations.length > 50) break;
    }
    process.stderr.write(`route fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
    expect(server.proc.exitCode).toBeNull();
    expect(sent).toBeGreaterThan(100);
    expect(violations, `seed ${SEED}`).toEqual([]);
  }, BUDGET_MS + 60_000);

  test('the server still answers normally afterwards', async () => {
    const res = await rawRequest(server.port, 'GET', '/_matrix/client/versions', {});
    expect(res.status).toBe(200);
    expect(server.output()).not.toMatch(/Maximum call stack|FATAL|out of memory/);
  });
});
