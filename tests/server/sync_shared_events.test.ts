// One parse of a stored event is shared by every client it is sent to (server/rooms/parsed_events.ts).
// These prove the sharing leaks nothing between readers and never serves content a redaction
// or an edit has since changed: each reader is served the event before the change (so the
// shared entry exists), then again after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUsers, timelineOf, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let anna: TestUser;
let ben: TestUser;
let cleo: TestUser;

beforeAll(async () => {
  server = await startServer();
  [anna, ben, cleo] = await newUsers(server, ['anna', 'ben', 'cleo']);
});
afterAll(async () => {
  await server?.dispose();
});

async function roomOfThree(): Promise<string> {
  const roomId = await anna.createRoom({ preset: 'public_chat' });
  await ben.join(roomId);
  await cleo.join(roomId);
  return roomId;
}

const eventIn = (sync: any, roomId: string, eventId: string) => timelineOf(sync, roomId).find((e: any) => e.event_id === eventId);

/** Long-polls from `since` until the event arrives (a poll may end early for another change). */
async function longPollFor(u: TestUser, since: string, roomId: string, body: string): Promise<any> {
  for (let i = 0; i < 20; i++) {
    const sync = await u.sync({ since, timeout: 10_000 });
    const event = timelineOf(sync, roomId).find((e: any) => e.content?.body === body);
    if (event) return event;
    since = sync.next_batch;
  }
  throw new Error(`${u.userId} never received the event`);
}

describe('events shared between the clients they are sent to', () => {
  it('each reader gets their own unsigned data: only the sending device sees its transaction_id', async () => {
    const roomId = await roomOfThree();
    const since = { anna: (await anna.sync()).next_batch, cleo: (await cleo.sync()).next_batch };
    const waiting = [longPollFor(anna, since.anna, roomId, 'hello all'), longPollFor(cleo, since.cleo, roomId, 'hello all')];
    const sentId = (await ben.ok('PUT', `/rooms/${enc(roomId)}/send/m.room.message/shared-1`, { msgtype: 'm.text', body: 'hello all' })).event_id;
    const received = await Promise.all(waiting);
    const fromBen = eventIn(await ben.sync(), roomId, sentId);
    expect(fromBen.unsigned.transaction_id).toBe('shared-1');
    for (const event of received) {
      expect(event.event_id).toBe(sentId);
      expect(event.content).toEqual({ msgtype: 'm.text', body: 'hello all' });
      expect(event.unsigned.transaction_id).toBeUndefined();
    }
    // ben's transaction_id did not stick to the shared copy either.
    expect(eventIn(await anna.sync(), roomId, sentId).unsigned.transaction_id).toBeUndefined();
  });

  it('a redaction reaches readers who were already served the event: no stale content anywhere', async () => {
    const roomId = await roomOfThree();
    const secret = await ben.text(roomId, 'the wifi password is hunter2');
    // Every read path serves it once (and so shares one parse).
    for (const u of [anna, cleo]) expect(eventIn(await u.sync(), roomId, secret).content.body).toContain('hunter2');
    expect((await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(secret)}`)).content.body).toContain('hunter2');
    const since = (await cleo.sync()).next_batch;

    const redaction = await ben.ok('PUT', `/rooms/${enc(roomId)}/redact/${enc(secret)}/red-1`, { reason: 'oops' });
    const event = await anna.ok('GET', `/rooms/${enc(roomId)}/event/${enc(secret)}`);
    expect(event.content).toEqual({});
    expect(event.unsigned.redacted_because).toMatchObject({ event_id: redaction.event_id, content: { reason: 'oops' } });
    for (const u of [anna, cleo]) {
      const again = eventIn(await u.sync(), roomId, secret);
      expect(again.content).toEqual({});
      expect(JSON.stringify(again)).not.toContain('hunter2');
    }
    const page = await cleo.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=20`);
    expect(JSON.stringify(page)).not.toContain('hunter2');
    // The incremental sync carries the redaction itself.
    const incremental = await cleo.sync({ since });
    expect(eventIn(incremental, roomId, redaction.event_id)).toMatchObject({ type: 'm.room.redaction', redacts: secret });
  });

  it('an edit after the original was served shows in the original\'s bundled m.replace for every reader', async () => {
    const roomId = await roomOfThree();
    const original = await ben.text(roomId, 'see you at 6');
    for (const u of [anna, cleo]) expect(eventIn(await u.sync(), roomId, original).content.body).toBe('see you at 6');
    const edit = await ben.send(roomId, {
      msgtype: 'm.text',
      body: '* see you at 7',
      'm.new_content': { msgtype: 'm.text', body: 'see you at 7' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    for (const u of [anna, cleo]) {
      const event = await u.ok('GET', `/rooms/${enc(roomId)}/event/${enc(original)}`);
      expect(event.content.body).toBe('see you at 6');
      expect(event.unsigned['m.relations']['m.replace'].event_id).toBe(edit);
      expect(event.unsigned['m.relations']['m.replace'].content['m.new_content'].body).toBe('see you at 7');
    }
  });
});
