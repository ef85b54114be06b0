// Reporting through real HTTP: event, room and user reports are stored for admins, listed by
// GET /_synapse/admin/v1/event_reports; non-members and unknown events get 404, non-admins 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { registerAndLogin } from '../helpers/accounts.ts';
import { enc, newUsers, TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let admin: TestUser;
let ana: TestUser;
let bo: TestUser;
let outsider: TestUser;
let room: string;

beforeAll(async () => {
  server = await startServer();
  admin = new TestUser(server, await registerAndLogin(server, 'host', 'pw-host', { admin: true }));
  [ana, bo, outsider] = await newUsers(server, ['ana', 'bo', 'outsider']);
  room = await ana.createRoom({ preset: 'public_chat', name: 'Chat' });
  await bo.join(room);
});
/** TestUser.call() prefixes /_matrix/client/v3; the Synapse admin API lives elsewhere. */
const reports = async (u: TestUser, query = '') => request(server.url, 'GET', `/_synapse/admin/v1/event_reports${query}`, { token: u.session.accessToken });
const adminReports = async (query = '') => {
  const res = await reports(admin, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

afterAll(async () => {
  await server?.dispose();
});

describe('reporting content', () => {
  it('stores an event report that admins can list', async () => {
    const rude = await ana.text(room, 'something rude');
    const res = await bo.call('POST', `/rooms/${enc(room)}/report/${enc(rude)}`, { reason: 'rude', score: -100 });
    expect(res.status).toBe(200);
    expectMatchesSpec('report_content.yaml', '/rooms/{roomId}/report/{eventId}', 'post', 200, res.body);
    const list = await adminReports();
    expect(list.total).toBe(1);
    expect(list.event_reports[0]).toMatchObject({ room_id: room, event_id: rude, user_id: bo.userId, reason: 'rude', score: -100, sender: ana.userId, name: 'Chat' });
    expect(typeof list.event_reports[0].id).toBe('number');
    expect(typeof list.event_reports[0].received_ts).toBe('number');
  });

  it('answers 404 for unknown events and rooms the reporter is not in', async () => {
    const ev = await ana.text(room, 'fine message');
    const notMember = await outsider.call('POST', `/rooms/${enc(room)}/report/${enc(ev)}`, { reason: 'x' });
    expect(notMember.status).toBe(404);
    expect(notMember.body.errcode).toBe('M_NOT_FOUND');
    expect((await bo.call('POST', `/rooms/${enc(room)}/report/${enc('$nope')}`, { reason: 'x' })).status).toBe(404);
    expect((await bo.call('POST', `/rooms/${enc(room)}/report/${enc(ev)}`, { reason: 7 })).body.errcode).toBe('M_BAD_JSON');
    expect((await adminReports()).total).toBe(1);
  });

  it('accepts room and user reports', async () => {
    const r = await bo.call('POST', `/rooms/${enc(room)}/report`, { reason: 'whole room is spam' });
    expect(r.status).toBe(200);
    expectMatchesSpec('report_content.yaml', '/rooms/{roomId}/report', 'post', 200, r.body);
    expect((await bo.call('POST', `/rooms/${enc('!unknown:test.local')}/report`, { reason: 'x' })).status).toBe(404);
    const u = await bo.call('POST', `/users/${enc(ana.userId)}/report`, { reason: 'mean' });
    expect(u.status).toBe(200);
    expectMatchesSpec('report_content.yaml', '/users/{userId}/report', 'post', 200, u.body);
    expect((await bo.call('POST', `/users/${enc('@ghost:test.local')}/report`, { reason: 'x' })).status).toBe(404);
  });

  it('pages the admin list and keeps it from non-admins', async () => {
    for (let i = 0; i < 3; i++) {
      const ev = await ana.text(room, `spam ${i}`);
      await bo.ok('POST', `/rooms/${enc(room)}/report/${enc(ev)}`, { reason: `spam ${i}` });
    }
    const first = await adminReports('?limit=2');
    expect(first.total).toBe(4);
    expect(first.event_reports.map((r: any) => r.reason)).toEqual(['spam 2', 'spam 1']);
    const rest = await adminReports(`?limit=2&from=${first.next_token}`);
    expect(rest.event_reports.map((r: any) => r.reason)).toEqual(['spam 0', 'rude']);
    expect(rest.next_token).toBeUndefined();
    const denied = await reports(bo);
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
  });
});
