// Building blocks for the route fuzz test: a seeded PRNG, every route (declared by the server's
// RouteTable and listed in the spec's OpenAPI files), hostile values, and a cheap database fingerprint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { RouteTable } from '../../server/http/routes.ts';
import { registerAll } from '../../server/api/index.ts';
import { resolveConfig } from '../../server/config.ts';
import type { ServerContext } from '../../server/context.ts';
import { CLIENT_SERVER_API } from './spec.ts';

/** mulberry32: small, fast, and reproducible from one 32-bit seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A route as a list of segments; params are `{name}`, optional segments are marked. */
export interface RouteTemplate {
  method: string;
  segments: { text: string; param: string | null; optional: boolean }[];
  source: 'server' | 'spec' | 'both';
}

/** The server's own route table, built in-process the way server/http/app.ts builds it. */
export function declaredRoutes(): { method: string; path: string }[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-routes-'));
  try {
    const config = resolveConfig({ dataDir: dir, serverName: 'routes.local' });
    // Handlers are never called: registration only captures the context, so any object will do.
    const anything: any = new Proxy(function () {}, {
      get: (_t, p) => (p === 'config' ? config : p === Symbol.toPrimitive ? () => 0 : anything),
      apply: () => anything,
    });
    const routes = new RouteTable();
    registerAll(routes, anything as ServerContext);
    return routes.list();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every (method, path) in the client-server OpenAPI files, with their base paths. */
export function specRoutes(): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const file of fs.readdirSync(CLIENT_SERVER_API).filter((f) => f.endsWith('.yaml'))) {
    const doc = yaml.load(fs.readFileSync(path.join(CLIENT_SERVER_API, file), 'utf8')) as any;
    if (!doc?.paths) continue;
    const base: string = doc.servers?.[0]?.variables?.basePath?.default ?? '';
    for (const [p, ops] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(ops)) {
        // Some spec paths end in a space to tell two documents of one endpoint apart.
        if (['get', 'put', 'post', 'delete'].includes(method)) out.push({ method: method.toUpperCase(), path: base + p.trim() });
      }
    }
  }
  return out;
}

/** Parses both notations (`:name`, `{/:name}` and `{name}`) into templates, merged by shape. */
export function allRouteTemplates(): RouteTemplate[] {
  const byKey = new Map<string, RouteTemplate>();
  const add = (method: string, p: string, source: 'server' | 'spec') => {
    const segments: RouteTemplate['segments'] = [];
    for (const raw of p.replace(/\{\/:(\w+)\}/g, '/?:$1').split('/').slice(1)) {
      const optional = raw.startsWith('?:');
      const m = /^\??:(\w+)$/.exec(raw) ?? /^\{(\w+)\}$/.exec(raw);
      segments.push({ text: raw, param: m ? m[1]! : null, optional });
    }
    const key = method + ' ' + segments.map((s) => (s.param ? '{}' : s.text)).join('/');
    const prev = byKey.get(key);
    if (prev) prev.source = prev.source === source ? source : 'both';
    else byKey.set(key, { method, segments, source });
  };
  for (const r of declaredRoutes()) if (!r.path.includes('/r0/')) add(r.method, r.path, 'server');
  for (const r of specRoutes()) add(r.method, r.path, 'spec');
  return [...byKey.values()];
}

/** Path segments a hostile client might send, already percent-encoded as they go on the wire. */
export const HOSTILE_SEGMENTS = [
  '..', '%2e%2e', '..%2F..%2F..%2Fetc%2Fpasswd', '..%2f..%2fmeowtrix.lock', '%2F', '%00', 'a%00b', '%ff%fe', '%ED%A0%80',
  '%', '%zz', '%F0%9F%98%BA', '%E2%80%AE', 'x'.repeat(5000), '%20', '!', '@', '$', '#', '!x:', '@%3A', '$%00:test.local',
  '@UPPER:test.local', '!room:other.server', '%2e', 'con', '-1', '0', '99999999999999999999', 'null', 'undefined',
  '__proto__', 'constructor', encodeURIComponent('{"a":1}'), encodeURIComponent('<script>alert(1)</script>'),
];

/** Query values of every wrong kind. */
export const HOSTILE_QUERY_VALUES = [
  '', '-1', '0', 'NaN', 'Infinity', '1e309', '99999999999999999999', '1.5', 'abc', '{', '[]', '{"limit":"x"}',
  '{"room":{"timeline":{"limit":-5}}}', '%ff', 'x'.repeat(20000), 's0_0_0', 's999999999_1', 't1-2', 'true', 'b', 'f',
  '..%2F..%2Fetc%2Fpasswd', '%ED%A0%80', 'http://127.0.0.1:1/', 'file:///etc/passwd',
];

export const QUERY_KEYS = [
  'limit', 'from', 'to', 'since', 'timeout', 'filter', 'dir', 'full_state', 'set_presence', 'width', 'height', 'method',
  'url', 'ts', 'server', 'allow_redirect', 'timeout_ms', 'animated', 'kind', 'next_batch', 'only', 'recurse',
  'suggested_only', 'max_depth', 'include', 'search_term', 'user_id', 'via', 'server_name', 'membership', 'not_membership',
  'at', 'access_token', 'token', 'user', 'version', 'guests', 'name', 'deactivated', 'order_by',
];

const FIELD_NAMES = [
  'user_id', 'reason', 'body', 'msgtype', 'content', 'type', 'state_key', 'visibility', 'preset', 'invite', 'initial_state',
  'room_version', 'power_level_content_override', 'creation_content', 'name', 'topic', 'room_alias_name', 'is_direct',
  'displayname', 'avatar_url', 'device_keys', 'one_time_keys', 'fallback_keys', 'filter', 'presence', 'status_msg',
  'timeout', 'typing', 'm.fully_read', 'm.read', 'identifier', 'password', 'new_password', 'auth', 'username', 'device_id',
  'initial_device_display_name', 'messages', 'rooms', 'sessions', 'algorithm', 'auth_data', 'version', 'search_term',
  'search_categories', 'kind', 'app_id', 'pushkey', 'data', 'actions', 'conditions', 'pattern', 'enabled', 'tags',
  'order', 'room_id', 'thread_id', 'score', 'event_id', 'new_version', 'room_alias', 'server', 'limit', 'since',
  'master_key', 'self_signing_key', 'user_signing_key', 'keys', 'signatures', 'token', 'uses_allowed', 'expiry_time',
  'admin', 'deactivated', 'erase', 'logout_devices', 'devices', 'id_server', 'threepids', 'mac', 'nonce',
];

/** A deeply nested JSON text (arrays and objects alternating). */
export function deepJson(depth: number): string {
  let s = '1';
  for (let i = 0; i < depth; i++) s = i % 2 ? `[${s}]` : `{"a":${s}}`;
  return s;
}

function hostileValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 12 : 15)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1, 2 ** 31, -(2 ** 53) + 1, 2 ** 53 - 1, 1.5, -0.000001]);
    case 3: return '';
    case 4: return 'x'.repeat(rng.pick([256, 4096, 70000]));
    case 5: return rng.pick(['\ud800', 'a\udfffb', '\u0000', '\u202e\u200b', '😺'.repeat(100), '@:', '!:', '$', '..\\..\\']);
    case 6: return rng.pick(['@fuzz:test.local', '!nope:test.local', '$nope', '#nope:test.local', 'mxc://test.local/../../x']);
    case 7: return [];
    case 8: return {};
    case 9: return rng.pick(['m.text', 'm.room.message', 'm.login.password', 'public', 'private_chat', 'invite', 'online']);
    case 10: return rng.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    case 11: return 'x'.repeat(rng.int(64));
    case 12: return Array.from({ length: rng.int(5) }, () => hostileValue(rng, depth + 1));
    case 13: return hostileObject(rng, depth + 1);
    default: return { [rng.pick(FIELD_NAMES)]: hostileValue(rng, depth + 1) };
  }
}

function hostileObject(rng: Rng, depth = 0): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  const n = rng.int(6);
  for (let i = 0; i < n; i++) obj[rng.chance(0.9) ? rng.pick(FIELD_NAMES) : rng.pick(['', '__proto__', 'x'.repeat(300), '\ud800'])] = hostileValue(rng, depth);
  return obj;
}

export interface HostileBody {
  /** What the body is, for failure messages. */
  kind: string;
  raw: Buffer;
  contentType: string;
}

const text = (kind: string, s: string, contentType = 'application/json'): HostileBody => ({ kind, raw: Buffer.from(s, 'utf8'), contentType });

/** A body that is valid JSON of wrong shapes, or not JSON at all. */
export function hostileBody(rng: Rng): HostileBody {
  switch (rng.int(12)) {
    case 0: return text('not json', rng.pick(['{', '{"a":}', "{'a':1}", 'nul', '{"a":1}}', '\u0000', '{"a":1,}']));
    case 1: return { kind: 'invalid utf-8', raw: Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')]), contentType: 'application/json' };
    case 2: return { kind: 'utf-8 encoded surrogate', raw: Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), contentType: 'application/json' };
    case 3: return text('not an object', rng.pick(['[]', '"s"', '1', 'null', 'true', '[{}]']));
    case 4: return text('deep nesting', `{"x":${deepJson(rng.pick([100, 1000, 20000]))}}`);
    case 5: return text('big integer', `{"${rng.pick(FIELD_NAMES)}":${rng.pick(['9007199254740993', '-9007199254740993', '1e400', '123456789012345678901234567890'])}}`);
    case 6: return text('lone surrogate escape', `{"${rng.pick(FIELD_NAMES)}":"\\ud800x","body":"\\udc00"}`);
    case 7: return text('wrong content-type', JSON.stringify(hostileObject(rng)), rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']));
    case 8: return text('duplicate keys', '{"type":"m.login.password","type":1,"content":{},"content":[]}');
    default: return text('hostile object', JSON.stringify(hostileObject(rng)));
  }
}

/** Bytes of every journal file: it grows exactly when a transaction commits. */
export function journalBytes(dataDir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dataDir)) if (/^journal-\d+\.log$/.test(name)) total += fs.statSync(path.join(dataDir, name)).size;
  return total;
}

/** Names of every file under the media store, to spot stray or half-written files. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
