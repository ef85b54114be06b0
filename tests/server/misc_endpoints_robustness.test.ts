// Bad input to every endpoint of issue 8 (people search, directory, hierarchy, search, upgrade,
// reports, pushers, OpenID, mutual rooms): a clear Matrix error, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let anna: TestUser;
let eve: TestUser;
let roomId = '';
let eventId = '';

beforeAll(async () => {
  server = await startServer();
  [anna, eve] = await newUsers(server, ['anna', 'eve']);
  roomId = await anna.createRoom({ name: 'Robust', preset: 'public_chat' });
  eventId = await anna.text(roomId, 'hello');
});
afterAll(async () => {
  await server?.dispose();
});

const ODD: unknown[] = [
  {}, [], 'x', 5, null, { search_term: 5 }, { search_term: null }, { search_term: {} }, { search_term: 'x', limit: -1 }, { search_term: 'x', limit: 1e300 }, { search_term: 'x', limit: '5' },
  { limit: 1.5 }, { since: 5 }, { since: 'n!!!' }, { since: 'p' + 'A'.repeat(200) }, { filter: [] }, { filter: { generic_search_term: 5 } }, { filter: { room_types: 'm.space' } },
  { search_categories: 5 }, { search_categories: { room_events: [] } }, { search_categories: { room_events: { search_term: 'x', filter: 5 } } },
  { search_categories: { room_events: { search_term: 'x', filter: { limit: 'x', rooms: 'y', senders: {} } } } },
  { search_categories: { room_events: { search_term: 'x', event_context: { before_limit: -5 } } } },
  { search_categories: { room_events: { search_term: 'x', event_context: 5, groupings: 'x' } } },
  { search_categories: { room_events: { search_term: 'x', groupings: { group_by: [null, 5, { key: 7 }] }, include_state: 'yes' } } },
  { new_version: 11 }, { new_version: '' }, { new_version: '1'.repeat(5000) }, { reason: 5 }, { reason: 'x'.repeat(100_000) }, { score: 'bad' }, { score: -1000 },
  { pushkey: 5 }, { pushkey: 'k', app_id: 'a', kind: 'http', app_display_name: 'x', device_display_name: 'y', lang: 'en', data: [] },
  { pushkey: 'k', app_id: 'a', kind: 'http', app_display_name: 'x', device_display_name: 'y', lang: 'en', data: { url: 5 } },
  { pushkey: 'k', app_id: 'a', kind: 'http', app_display_name: 'x', device_display_name: 'y', lang: 'en', data: { url: 'http://[::1' } },
  { pushkey: 'k', app_id: 'a', kind: 'http', app_display_name: 'x', device_display_name: 'y', lang: 'en', data: { url: 'javascript:alert(1)' } },
  { pushkey: 'k', app_id: 'a', kind: null }, { pushkey: 'k', app_id: 'a'.repeat(100), kind: 'http' }, { append: 'yes' },
];

describe('robustness of issue 8 endpoints', () => {
  it('never answers 500 to odd bodies', async () => {
    const r = enc(roomId);
    const posts = [
      '/user_directory/search', '/publicRooms', '/search', `/rooms/${r}/upgrade`, `/rooms/${r}/report/${enc(eventId)}`, `/rooms/${r}/report`,
      `/users/${enc(anna.userId)}/report`, '/pushers/set', `/user/${enc(eve.userId)}/openid/request_token`, `/rooms/${enc('!nope:test.local')}/upgrade`,
    ];
    for (const path of posts) {
      for (const body of ODD) {
        const res = await eve.call('POST', path, body);
        expect(res.status, `POST ${path} ${JSON.stringify(body).slice(0, 100)}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.errcode, `POST ${path}`).toMatch(/^M_/);
      }
    }
  });

  it('never answers 500 to odd queries and paths', async () => {
    const r = enc(roomId);
    const gets = [
      '/publicRooms?limit=-1', '/publicRooms?limit=99999999999999', '/publicRooms?since=zzz', '/publicRooms?since=n', '/publicRooms?server=other.example',
      `/_matrix/client/v1/rooms/${r}/hierarchy?limit=abc`, `/_matrix/client/v1/rooms/${r}/hierarchy?max_depth=99999999999`, `/_matrix/client/v1/rooms/${r}/hierarchy?from=h99999`,
      `/_matrix/client/v1/rooms/${enc('%')}/hierarchy`, '/_matrix/client/v1/user/mutual_rooms?user_id=%40', `/_matrix/client/v1/user/mutual_rooms?user_id=${enc(anna.userId)}&from=x`,
      '/notifications?from=abc', '/notifications?limit=-3', '/notifications?only=nonsense', '/thirdparty/location?alias=x', '/thirdparty/protocol/%00',
    ];
    for (const g of gets) {
      const res = await eve.call('GET', g);
      expect(res.status, g).toBeLessThan(500);
      if (res.status >= 400) expect(res.body.errcode, g).toMatch(/^M_/);
    }
    for (const q of ['?next_batch=', '?next_batch=k1_x', '?next_batch=k99999999999_1']) {
      const res = await eve.call('POST', `/search${q}`, { search_categories: { room_events: { search_term: 'hello' } } });
      expect(res.status, q).toBeLessThan(500);
    }
    // Nothing changed: the room is not upgraded, no pusher exists.
    expect((await anna.call('GET', `/rooms/${r}/state/m.room.tombstone/`)).status).toBe(404);
    expect((await eve.ok('GET', '/pushers')).pushers).toEqual([]);
  });
});
