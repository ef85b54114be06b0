// E2EE fields of /sync over raw HTTP: fresh one-time-key counts, fallback key types, to-device
// delivery (order, cap, redelivery, acknowledgement, idempotency, wake-up) and device lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { login } from '../helpers/accounts.ts';
import { TestUser, newUser, enc } from '../helpers/rooms.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** A second device of the same user. */
async function secondDevice(user: TestUser, localpart: string): Promise<TestUser> {
  return new TestUser(server, await login(server, localpart, `pw-${localpart}`));
}

const otks = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`signed_curve25519:K${i}`, { key: `k${i}`, signatures: {} }]));

describe('one-time key counts in sync', () => {
  it('shows exactly what is stored, fallback types until the fallback is used, and 0 rather than nothing', async () => {
    const anna = await newUser(server, 'otk-anna');
    const ben = await newUser(server, 'otk-ben');

    const fresh = await ben.sync({ timeout: 0 });
    expect(fresh.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(fresh.device_unused_fallback_key_types).toEqual([]);

    await anna.ok('POST', '/keys/upload', { one_time_keys: otks(33), fallback_keys: { 'signed_curve25519:FB': { key: 'fb', fallback: true, signatures: {} } } });
    const first = await anna.sync({ timeout: 0 });
    expect(first.device_one_time_keys_count).toEqual({ signed_curve25519: 33 });
    expect(first.device_unused_fallback_key_types).toEqual(['signed_curve25519']);

    const claim = { one_time_keys: { [anna.userId]: { [anna.session.deviceId]: 'signed_curve25519' } } };
    await ben.ok('POST', '/keys/claim', claim);
    const afterOne = await anna.sync({ since: first.next_batch, timeout: 0 });
    expect(afterOne.device_one_time_keys_count).toEqual({ signed_curve25519: 32 });

    for (let i = 0; i < 33; i++) await ben.ok('POST', '/keys/claim', claim); // 32 OTKs, then the fallback key
    const drained = await anna.sync({ since: afterOne.next_batch, timeout: 0 });
    expect(drained.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(drained.device_unused_fallback_key_types).toEqual([]);
    expectMatchesSpec('sync.yaml', '/sync', 'get', 200, drained);
  });
});

describe('to-device messages', () => {
  it('delivers in order, 100 per sync, redelivers on an old token and forgets after an advanced one', async () => {
    const anna = await newUser(server, 'td-anna');
    const ben = await newUser(server, 'td-ben');
    const benDevice = ben.session.deviceId;
    const start = (await ben.sync({ timeout: 0 })).next_batch;

    for (let i = 0; i < 250; i++) {
      await anna.ok('PUT', `/sendToDevice/m.test/txn${i}`, { messages: { [ben.userId]: { [benDevice]: { seq: i } } } });
    }
    // A retried request with a used txn ID sends nothing again.
    const resent = await anna.ok('PUT', '/sendToDevice/m.test/txn0', { messages: { [ben.userId]: { [benDevice]: { seq: 'duplicate' } } } });
    expectMatchesSpec('to_device.yaml', '/sendToDevice/{eventType}/{txnId}', 'put', 200, resent);

    const seqs = (res: any) => res.to_device.events.map((e: any) => e.content.seq);
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

    const first = await ben.sync({ since: start, timeout: 0 });
    expect(seqs(first)).toEqual(range(0, 100));
    expect(first.to_device.events[0]).toMatchObject({ sender: anna.userId, type: 'm.test' });
    // The response was lost; the client retries the same token and gets the same batch.
    const retried = await ben.sync({ since: start, timeout: 0 });
    expect(seqs(retried)).toEqual(range(0, 100));

    // Moving on acknowledges the first batch: delivery continues in order, 100 at a time.
    const seen = [...seqs(first)];
    let since = retried.next_batch;
    for (let round = 0; round < 5 && seen.length < 250; round++) {
      const res = await ben.sync({ since, timeout: 0 });
      expect(res.to_device.events.length).toBeLessThanOrEqual(100);
      seen.push(...seqs(res));
      since = res.next_batch;
    }
    expect(seen).toEqual(range(0, 250));
    expect((await ben.sync({ since, timeout: 0 })).to_device.events).toEqual([]);

    // Acknowledged messages are deleted (asynchronously): even the oldest token gets nothing back.
    let stale: any;
    for (let i = 0; i < 50; i++) {
      stale = await ben.sync({ since: start, timeout: 0 });
      if (stale.to_device.events.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stale.to_device.events).toEqual([]);
  });

  it('sends to every device for "*", and wakes a waiting long-poll at once', async () => {
    const anna = await newUser(server, 'td2-anna');
    const ben = await newUser(server, 'td2-ben');
    const benPhone = await secondDevice(ben, 'td2-ben');
    let since = (await benPhone.sync({ timeout: 0 })).next_batch;
    // Let anything else pending (e.g. presence from signing in) go first, so the long-poll below waits.
    since = (await benPhone.sync({ since, timeout: 0 })).next_batch;

    const t0 = Date.now();
    const waiting = benPhone.sync({ since, timeout: 20000 });
    await new Promise((r) => setTimeout(r, 300));
    await anna.ok('PUT', '/sendToDevice/m.ping/all1', { messages: { [ben.userId]: { '*': { hello: 'all' } } } });
    let woke = await waiting;
    // Another change may still have woken it first; the message then comes with the next poll.
    if (!woke.to_device.events.length) woke = await benPhone.sync({ since: woke.next_batch, timeout: 20000 });
    expect(Date.now() - t0).toBeLessThan(15000);
    expect(woke.to_device.events).toEqual([{ sender: anna.userId, type: 'm.ping', content: { hello: 'all' } }]);

    const other = await ben.sync({ timeout: 0 });
    expect(other.to_device.events).toEqual([{ sender: anna.userId, type: 'm.ping', content: { hello: 'all' } }]);
  });

  it('rejects malformed messages and changes nothing', async () => {
    const anna = await newUser(server, 'td3-anna');
    for (const body of [{}, { messages: [] }, { messages: { 'not-a-user': { X: {} } } }, { messages: { '@a:test.local': { X: 'text' } } }]) {
      const res = await anna.call('PUT', `/sendToDevice/m.test/bad${JSON.stringify(body).length}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(typeof res.body.errcode).toBe('string');
    }
  });
});

describe('device lists', () => {
  it('flags own key changes, peers in shared rooms, newcomers, and users who left', async () => {
    const anna = await newUser(server, 'dl-anna');
    const ben = await newUser(server, 'dl-ben');
    const carol = await newUser(server, 'dl-carol');
    const room = await anna.createRoom({ preset: 'private_chat', invite: [ben.userId] });
    await ben.join(room);

    let benSince = (await ben.sync({ timeout: 0 })).next_batch;
    let annaSince = (await anna.sync({ timeout: 0 })).next_batch;

    // Anna signs in on a new device and uploads its keys.
    const annaPhone = await secondDevice(anna, 'dl-anna');
    await annaPhone.ok('POST', '/keys/upload', {
      device_keys: {
        user_id: anna.userId,
        device_id: annaPhone.session.deviceId,
        algorithms: ['m.megolm.v1.aes-sha2'],
        keys: { [`ed25519:${annaPhone.session.deviceId}`]: 'edkey' },
        signatures: {},
      },
    });
    const benView = await ben.sync({ since: benSince, timeout: 0 });
    expect(benView.device_lists.changed).toContain(anna.userId);
    const annaView = await anna.sync({ since: annaSince, timeout: 0 });
    expect(annaView.device_lists.changed).toContain(anna.userId);
    // Carol shares no room with Anna: she hears nothing.
    const carolStart = (await carol.sync({ timeout: 0 })).next_batch;
    expect((await carol.sync({ since: carolStart, timeout: 0 })).device_lists.changed).not.toContain(anna.userId);

    const changes = await ben.ok('GET', `/keys/changes?from=${enc(benSince)}&to=${enc(benView.next_batch)}`);
    expectMatchesSpec('keys.yaml', '/keys/changes', 'get', 200, changes);
    expect(changes.changed).toContain(anna.userId);
    benSince = benView.next_batch;
    annaSince = annaView.next_batch;

    // Carol joins: she newly shares a room with Anna and Ben, and they with her.
    await anna.invite(room, carol.userId);
    await carol.join(room);
    const carolJoined = await carol.sync({ since: carolStart, timeout: 0 });
    expect(carolJoined.device_lists.changed).toEqual(expect.arrayContaining([anna.userId, ben.userId]));
    const benSeesCarol = await ben.sync({ since: benSince, timeout: 0 });
    expect(benSeesCarol.device_lists.changed).toContain(carol.userId);
    benSince = benSeesCarol.next_batch;

    // Carol leaves: she shares no room with Ben any more.
    await carol.ok('POST', `/rooms/${enc(room)}/leave`, {});
    const benSeesLeave = await ben.sync({ since: benSince, timeout: 0 });
    expect(benSeesLeave.device_lists.left).toContain(carol.userId);
    expect(benSeesLeave.device_lists.changed).not.toContain(carol.userId);
  });
});
