// Bad input to every room and sync endpoint: a clear Matrix error, never a 500, nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let anna: TestUser;
let eve: TestUser;
let roomId = '';
let eventId = '';
let doomedId = '';

beforeAll(async () => {
  server = await startServer();
  [anna, eve] = await newUsers(server, ['anna', 'eve']);
  roomId = await anna.createRoom({ name: 'Robust' });
  eventId = await anna.text(roomId, 'hello');
  doomedId = await anna.text(roomId, 'to be redacted');
});
afterAll(async () => {
  await server?.dispose();
});

const BODIES: unknown[] = [{}, { user_id: 5 }, { user_id: ['@a:b'] }, { reason: {} }, { room_id: 7 }, { visibility: 1 }, { body: 1.5 }, { content: null }, { 'm.relates_to': 'x' },
  { 'm.relates_to': { rel_type: 5, event_id: {} } }, { invite: [null] }, { initial_state: 'x' }, { initial_state: [null] }, { creation_content: [] }, { power_level_content_override: { users: 'x' } },
  { room_version: 11 }, { alias: 5 }, { alt_aliases: 'x' }, { membership: 'join' }, { users: { '@x:y': '9' } }, { join_rule: ['public'] }, { name: 'x'.repeat(70_000) }];

describe('robustness', () => {
  it('never answers 500 to odd bodies, paths or queries', async () => {
    const r = enc(roomId);
    const e = enc(eventId);
    const paths: [string, string][] = [
      ['POST', '/createRoom'], ['POST', `/rooms/${r}/invite`], ['POST', `/rooms/${r}/join`], ['POST', `/rooms/${r}/leave`], ['POST', `/rooms/${r}/forget`],
      ['POST', `/rooms/${r}/kick`], ['POST', `/rooms/${r}/ban`], ['POST', `/rooms/${r}/unban`], ['POST', `/knock/${r}`], ['POST', `/join/${enc('#x:test.local')}`],
      ['PUT', `/rooms/${r}/send/m.room.message/fz`], ['PUT', `/rooms/${r}/send/m.reaction/fz2`], ['PUT', `/rooms/${r}/state/m.room.name/`], ['PUT', `/rooms/${r}/state/m.room.power_levels/`],
      ['PUT', `/rooms/${r}/state/m.room.join_rules/`], ['PUT', `/rooms/${r}/state/m.room.member/${enc(anna.userId)}`], ['PUT', `/rooms/${r}/state/m.room.canonical_alias/`],
      ['PUT', `/rooms/${r}/redact/${enc(doomedId)}/fz3`], ['PUT', `/directory/room/${enc('#fz:test.local')}`], ['PUT', `/directory/list/room/${r}`],
    ];
    let i = 0;
    for (const [method, path] of paths) {
      for (const body of BODIES) {
        const p = path.replace(/\/fz(\d?)$/, `/fz$1-${i++}`);
        // anna leaving her own room would end the test early; eve tries everything.
        for (const who of /\/(leave|forget)$/.test(p) ? [eve] : [anna, eve]) {
          const res = await who.call(method, p, body);
          expect(res.status, `${method} ${p} ${JSON.stringify(body).slice(0, 80)}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.body.errcode, `${method} ${p}`).toMatch(/^M_/);
        }
      }
    }
    const gets = [
      `/rooms/${r}/messages?dir=b&from=t-1`, `/rooms/${r}/messages?dir=f&from=s1_2_3_4_5_6_7_8_9`, `/rooms/${r}/messages?dir=b&limit=99999999999`, `/rooms/${r}/messages?dir=b&filter=%5B%5D`,
      `/rooms/${r}/messages?dir=b&filter=${enc('{"types":"x"}')}`, `/rooms/${r}/context/${e}?limit=abc`, `/rooms/${r}/context/%24`, `/rooms/${r}/event/%00`, `/rooms/${enc('!')}/state`,
      `/rooms/${r}/members?at=tt`, `/rooms/${r}/state/m.room.name/${enc('/../x')}`, `/sync?since=s`, `/sync?filter=${enc('{"room":{"timeline":{"limit":-1}}}')}`,
      `/sync?filter=${enc('{"room":{"timeline":{"limit":100000}}}')}`, `/sync?timeout=99999999999999`, `/directory/room/nohash`, `/rooms/%ZZ/state`,
      `/_matrix/client/v1/rooms/${r}/relations/${e}/m.annotation?dir=x`, `/_matrix/client/v1/rooms/${r}/threads?include=some`, `/_matrix/client/v1/rooms/${r}/timestamp_to_event?ts=1&dir=q`,
    ];
    for (const g of gets) {
      const res = await anna.call('GET', g);
      expect(res.status, g).toBeLessThan(500);
      if (res.status >= 400) expect(res.body.errcode, g).toMatch(/^M_/);
    }
    // The room still works, the first message is intact, and eve (never a member) got nothing in.
    expect((await anna.ok('GET', `/rooms/${r}/event/${e}`)).content.body).toBe('hello');
    expect((await anna.ok('GET', `/rooms/${r}/state/m.room.member/${enc(anna.userId)}`)).membership).toBe('join');
    const history = await anna.ok('GET', `/rooms/${r}/messages?dir=b&limit=1000`);
    expect(history.chunk.some((ev: any) => ev.sender === eve.userId)).toBe(false);
    await anna.text(roomId, 'still fine');
  }, 240_000);

  it('treats names of JavaScript built-ins as ordinary event types and presets', async () => {
    // Lookup tables keyed by event type or preset must not find Object.prototype's members
    // (a 'constructor' event's redaction once answered 500). A room of its own: the test above
    // may have lowered anna's power in the shared one.
    const r = enc(await anna.createRoom({ name: 'Built-ins' }));
    for (const [i, type] of ['constructor', 'toString', '__proto__', 'hasOwnProperty'].entries()) {
      const sent = await anna.ok('PUT', `/rooms/${r}/send/${enc(type)}/builtin-${i}`, { body: 'odd', constructor: 1 });
      await anna.ok('PUT', `/rooms/${r}/state/${enc(type)}/`, { v: i });
      await anna.ok('PUT', `/rooms/${r}/redact/${enc(sent.event_id)}/builtin-redact-${i}`, {});
      const redacted = await anna.ok('GET', `/rooms/${r}/event/${enc(sent.event_id)}`);
      expect(redacted.type).toBe(type);
      expect(redacted.content).toEqual({});
    }
    const preset = await anna.call('POST', '/createRoom', { preset: 'constructor' });
    expect(preset.status).toBe(400);
    expect(preset.body.errcode).toBe('M_INVALID_PARAM');
    const search = await anna.call('POST', '/search', { search_categories: { room_events: { search_term: 'odd', keys: ['constructor'] } } });
    expect(search.status).toBe(400);
  });
});
