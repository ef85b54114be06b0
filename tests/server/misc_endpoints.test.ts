// The small endpoints clients call that must answer properly rather than 404: 3PIDs, TURN,
// third-party protocols, OpenID tokens, mutual rooms, and GET /notifications (from, limit,
// only=highlight); every response checked against the spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let ana: TestUser;
let bo: TestUser;
let cy: TestUser;

beforeAll(async () => {
  server = await startServer();
  [ana, bo, cy] = await newUsers(server, ['ana', 'bo', 'cy']);
});
afterAll(async () => {
  await server?.dispose();
});

describe('small endpoints', () => {
  it('GET /account/3pid is an empty list', async () => {
    const body = await ana.ok('GET', '/account/3pid');
    expectMatchesSpec('administrative_contact.yaml', '/account/3pid', 'get', 200, body);
    expect(body).toEqual({ threepids: [] });
  });

  it('GET /voip/turnServer is empty: no TURN on the LAN', async () => {
    const body = await ana.ok('GET', '/voip/turnServer');
    expect(body).toEqual({});
    expect((await request(server.url, 'GET', '/_matrix/client/v3/voip/turnServer')).status).toBe(401);
  });

  it('GET /thirdparty/protocols is {}, and lookups are empty', async () => {
    const body = await ana.ok('GET', '/thirdparty/protocols');
    // (Its schema refers to the application-service API, which the spec checkout lacks; {} is the documented empty answer.)
    expect(body).toEqual({});
    expect(await ana.ok('GET', '/thirdparty/user/irc')).toEqual([]);
    expect((await ana.call('GET', '/thirdparty/protocol/irc')).status).toBe(404);
  });

  it('POST /user/{u}/openid/request_token gives a well-formed token, only for oneself', async () => {
    const body = await ana.ok('POST', `/user/${enc(ana.userId)}/openid/request_token`, {});
    expectMatchesSpec('openid.yaml', '/user/{userId}/openid/request_token', 'post', 200, body);
    expect(body).toMatchObject({ token_type: 'Bearer', matrix_server_name: 'test.local' });
    expect(body.access_token.length).toBeGreaterThan(20);
    expect(body.expires_in).toBeGreaterThan(0);
    const other = await ana.call('POST', `/user/${enc(bo.userId)}/openid/request_token`, {});
    expect(other.status).toBe(403);
    expect(other.body.errcode).toBe('M_FORBIDDEN');
  });

  it('GET /v1/user/mutual_rooms lists the rooms both users are joined to', async () => {
    const shared = await ana.createRoom({ preset: 'public_chat' });
    await bo.join(shared);
    const invitedOnly = await ana.createRoom({ preset: 'private_chat', invite: [bo.userId] });
    await ana.createRoom({ preset: 'public_chat' });
    const res = await ana.call('GET', `/_matrix/client/v1/user/mutual_rooms?user_id=${enc(bo.userId)}`);
    expect(res.status).toBe(200);
    expectMatchesSpec('mutual_rooms.yaml', '/mutual_rooms', 'get', 200, res.body);
    expect(res.body.joined).toEqual([shared]);
    expect(res.body.count).toBe(1);
    expect(res.body.joined).not.toContain(invitedOnly);
    expect((await ana.ok('GET', `/_matrix/client/unstable/uk.half-shot.msc2666/user/mutual_rooms?user_id=${enc(bo.userId)}`)).joined).toEqual([shared]);
    expect((await ana.ok('GET', `/_matrix/client/v1/user/mutual_rooms?user_id=${enc(cy.userId)}`)).joined).toEqual([]);
    expect((await ana.call('GET', '/_matrix/client/v1/user/mutual_rooms')).body.errcode).toBe('M_MISSING_PARAM');
    expect((await ana.call('GET', '/_matrix/client/v1/user/mutual_rooms?user_id=nobody')).body.errcode).toBe('M_INVALID_PARAM');
    const versions = await request(server.url, 'GET', '/_matrix/client/versions');
    expect(versions.body.unstable_features['uk.half-shot.msc2666.query_mutual_rooms']).toBe(true);
  });

  it('GET /notifications pages the push-rule notifications and filters highlights', async () => {
    await cy.ok('PUT', `/profile/${enc(cy.userId)}/displayname`, { displayname: 'Cy' });
    const room = await ana.createRoom({ preset: 'public_chat' });
    await cy.join(room);
    await bo.join(room);
    const plain = [await ana.text(room, 'one'), await ana.text(room, 'two')];
    const mention = await ana.send(room, { msgtype: 'm.text', body: 'hey Cy', 'm.mentions': { user_ids: [cy.userId] } });
    const all = await cy.ok('GET', '/notifications?limit=2');
    expectMatchesSpec('notifications.yaml', '/notifications', 'get', 200, all);
    expect(all.notifications.map((n: any) => n.event.event_id)).toEqual([mention, plain[1]]);
    expect(all.notifications[0]).toMatchObject({ room_id: room, read: false });
    const rest = await cy.ok('GET', `/notifications?limit=2&from=${enc(all.next_token)}`);
    expect(rest.notifications.map((n: any) => n.event.event_id)).toEqual([plain[0]]);
    const highlights = await cy.ok('GET', '/notifications?only=highlight');
    expectMatchesSpec('notifications.yaml', '/notifications', 'get', 200, highlights);
    expect(highlights.notifications.map((n: any) => n.event.event_id)).toEqual([mention]);
  });
});
