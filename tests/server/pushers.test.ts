// Pushers and push delivery through real HTTP, with a fake push gateway (a local HTTP server in
// this test): the spec's notify body for a message under the default rules, nothing for a muted
// room, retries after gateway failures, rejected pushkeys, event_id_only, and validation.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUsers, TestUser } from '../helpers/rooms.ts';
import { login } from '../helpers/accounts.ts';

interface Notify {
  path: string;
  body: any;
}

/** A push gateway: records every request; `answer` decides each reply. */
class FakeGateway {
  readonly received: Notify[] = [];
  answer: (n: Notify) => { status: number; body: unknown } = () => ({ status: 200, body: { rejected: [] } });
  private server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const n = { path: req.url ?? '', body: JSON.parse(data) };
      this.received.push(n);
      const reply = this.answer(n);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/_matrix/push/v1/notify`;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  forEvent(eventId: string): Notify[] {
    return this.received.filter((n) => n.body.notification?.event_id === eventId);
  }
}

async function waitFor<T>(probe: () => T | undefined | false, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let server: ServerProcess;
let gateway: FakeGateway;
let ana: TestUser;
let bo: TestUser;
let cy: TestUser;
let dm: string;
let group: string;

const pusher = (overrides: Record<string, unknown> = {}) => ({
  pushkey: 'bo-phone',
  kind: 'http',
  app_id: 'im.fluffychat.unifiedpush',
  app_display_name: 'FluffyChat',
  device_display_name: 'Bo\'s phone',
  lang: 'en',
  data: { url: gateway.url, extra: 'kept' },
  ...overrides,
});

beforeAll(async () => {
  gateway = new FakeGateway();
  await gateway.start();
  server = await startServer({ env: { MEOWTRIX_PUSH_RETRY_MS: '50' } });
  [ana, bo, cy] = await newUsers(server, ['ana', 'bo', 'cy']);
  await ana.ok('PUT', `/profile/${enc(ana.userId)}/displayname`, { displayname: 'Ana' });
  dm = await ana.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [bo.userId] });
  await bo.join(dm);
  group = await ana.createRoom({ preset: 'public_chat', name: 'Family' });
  await bo.join(group);
  await cy.join(group);
});
afterAll(async () => {
  await server?.dispose();
  await gateway?.close();
});

describe('pushers', () => {
  it('sets and lists an http pusher', async () => {
    const set = await bo.call('POST', '/pushers/set', pusher());
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expectMatchesSpec('pusher.yaml', '/pushers/set', 'post', 200, set.body);
    const list = await bo.ok('GET', '/pushers');
    expectMatchesSpec('pusher.yaml', '/pushers', 'get', 200, list);
    expect(list.pushers).toEqual([expect.objectContaining({ pushkey: 'bo-phone', kind: 'http', app_id: 'im.fluffychat.unifiedpush', lang: 'en', data: { url: gateway.url, extra: 'kept' } })]);
    expect((await ana.ok('GET', '/pushers')).pushers).toEqual([]);
  });

  it('delivers the spec notify body for a message under the default rules', async () => {
    const eventId = await ana.text(dm, 'dinner is ready');
    const [n] = await waitFor(() => gateway.forEvent(eventId).length > 0 && gateway.forEvent(eventId), 'the notify');
    expect(n!.path).toBe('/_matrix/push/v1/notify');
    const notification = n!.body.notification;
    expect(notification).toMatchObject({
      event_id: eventId,
      room_id: dm,
      type: 'm.room.message',
      sender: ana.userId,
      sender_display_name: 'Ana',
      content: { msgtype: 'm.text', body: 'dinner is ready' },
      prio: 'high',
    });
    expect(notification.counts.unread).toBeGreaterThanOrEqual(1);
    expect(notification.devices).toEqual([
      { app_id: 'im.fluffychat.unifiedpush', pushkey: 'bo-phone', pushkey_ts: expect.any(Number), data: { extra: 'kept' }, tweaks: { sound: 'default' } },
    ]);
    // The sender is never pushed about their own message.
    expect(gateway.received.every((r) => r.body.notification.devices[0].pushkey === 'bo-phone')).toBe(true);
  });

  it('sends nothing for a muted room', async () => {
    await bo.ok('PUT', `/pushrules/global/room/${enc(group)}`, { actions: [] });
    const muted = await ana.text(group, 'muted chatter');
    const marker = await ana.text(dm, 'after the muted one');
    await waitFor(() => gateway.forEvent(marker).length > 0, 'the later notify');
    expect(gateway.forEvent(muted)).toEqual([]);
    // Unmuted, the group notifies again.
    await bo.ok('DELETE', `/pushrules/global/room/${enc(group)}`);
    const loud = await ana.text(group, 'loud again');
    await waitFor(() => gateway.forEvent(loud).length > 0, 'the unmuted notify');
  });

  it('retries with backoff while the gateway fails, without holding up the send', async () => {
    let failures = 2;
    gateway.answer = () => (failures-- > 0 ? { status: 503, body: {} } : { status: 200, body: { rejected: [] } });
    const eventId = await ana.text(dm, 'are you there?');
    await waitFor(() => gateway.forEvent(eventId).length === 3, 'three attempts');
    gateway.answer = () => ({ status: 200, body: { rejected: [] } });
  });

  it('still accepts messages while a gateway is unreachable', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/_matrix/push/v1/notify`;
    await new Promise<void>((r) => closed.close(() => r()));
    await cy.ok('POST', '/pushers/set', pusher({ pushkey: 'cy-phone', data: { url: deadUrl } }));
    const sent = await ana.call('PUT', `/rooms/${enc(group)}/send/m.room.message/unreachable1`, { msgtype: 'm.text', body: 'hello cy' });
    expect(sent.status).toBe(200);
    await cy.ok('POST', '/pushers/set', { ...pusher({ pushkey: 'cy-phone' }), kind: null });
    expect((await cy.ok('GET', '/pushers')).pushers).toEqual([]);
  });

  it('sends only IDs and counts for event_id_only pushers', async () => {
    await cy.ok('POST', '/pushers/set', pusher({ pushkey: 'cy-tablet', data: { url: gateway.url, format: 'event_id_only' } }));
    const eventId = await ana.text(group, 'for cy');
    const n = await waitFor(() => gateway.forEvent(eventId).find((r) => r.body.notification.devices[0].pushkey === 'cy-tablet'), 'cy\'s notify');
    expect(Object.keys(n.body.notification).sort()).toEqual(['counts', 'devices', 'event_id', 'prio', 'room_id']);
    expect(n.body.notification.devices[0].data).toEqual({ format: 'event_id_only' });
  });

  it('drops a pusher whose pushkey the gateway rejects', async () => {
    gateway.answer = (n) => ({ status: 200, body: { rejected: n.body.notification.devices.map((d: any) => d.pushkey).filter((k: string) => k === 'cy-tablet') } });
    await ana.text(group, 'one more');
    // Removal follows the gateway's answer asynchronously: poll for it.
    for (let i = 0; i < 200 && (await cy.ok('GET', '/pushers')).pushers.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await cy.ok('GET', '/pushers')).pushers).toEqual([]);
    gateway.answer = () => ({ status: 200, body: { rejected: [] } });
  });

  it('gives a pushkey to one user unless append is set', async () => {
    await cy.ok('POST', '/pushers/set', pusher({ pushkey: 'shared-key' }));
    await bo.ok('POST', '/pushers/set', pusher({ pushkey: 'shared-key', append: true }));
    expect((await cy.ok('GET', '/pushers')).pushers.map((p: any) => p.pushkey)).toEqual(['shared-key']);
    await bo.ok('POST', '/pushers/set', pusher({ pushkey: 'shared-key' }));
    expect((await cy.ok('GET', '/pushers')).pushers).toEqual([]);
    expect((await bo.ok('GET', '/pushers')).pushers.map((p: any) => p.pushkey).sort()).toEqual(['bo-phone', 'shared-key']);
  });

  it('forgets the pushers of a device that logs out', async () => {
    const phone = new TestUser(server, await login(server, 'cy', 'pw-cy'));
    await phone.ok('POST', '/pushers/set', pusher({ pushkey: 'cy-old-phone' }));
    expect((await cy.ok('GET', '/pushers')).pushers.map((p: any) => p.pushkey)).toContain('cy-old-phone');
    await phone.ok('POST', '/logout', {});
    for (let i = 0; i < 100 && (await cy.ok('GET', '/pushers')).pushers.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await cy.ok('GET', '/pushers')).pushers).toEqual([]);
  });

  it('rejects gateways that are not http(s) push gateway URLs, and incomplete pushers', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [pusher({ data: { url: 'ftp://127.0.0.1/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'file:///etc/passwd' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'http://127.0.0.1:1/somewhere/else' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'http://user:pw@127.0.0.1/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: {} }), 'M_MISSING_PARAM'],
      [pusher({ kind: 'email' }), 'M_INVALID_PARAM'],
      [{ ...pusher(), lang: undefined }, 'M_MISSING_PARAM'],
      [{ ...pusher(), pushkey: 'x'.repeat(600) }, 'M_INVALID_PARAM'],
    ];
    for (const [body, errcode] of cases) {
      const res = await bo.call('POST', '/pushers/set', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode, JSON.stringify(body)).toBe(errcode);
    }
    expect((await bo.ok('GET', '/pushers')).pushers.length).toBe(2);
  });
});
