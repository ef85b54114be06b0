// An incremental /sync reads the events since its token through the room's range query, shared by
// every long-poll the message woke (server/sync/timeline_cache.ts). Whether the gap is a few
// positions or many, the timeline holds only the room's own events, newest `limit` of them,
// oldest first — never an event of another room that sits between them in the global stream,
// and never stale content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUsers, timelineOf, type TestUser } from '../helpers/rooms.ts';

let server: ServerProcess;
let anna: TestUser;
let ben: TestUser;
let eve: TestUser;

beforeAll(async () => {
  server = await startServer();
  [anna, ben, eve] = await newUsers(server, ['anna', 'ben', 'eve']);
});
afterAll(async () => {
  await server?.dispose();
});

/** A room of anna and ben, a room of eve alone, and ben's token after both exist. */
async function rooms(): Promise<{ shared: string; secret: string; since: string }> {
  const shared = await anna.createRoom({ preset: 'public_chat' });
  await ben.join(shared);
  const secret = await eve.createRoom({ preset: 'private_chat' });
  const first = await ben.sync({ timeout: 0 });
  return { shared, secret, since: (await ben.sync({ since: first.next_batch, timeout: 0 })).next_batch };
}

const bodies = (sync: any, roomId: string) => timelineOf(sync, roomId).map((e: any) => e.content?.body);
const leaked = (sync: any, text: string) => JSON.stringify(sync).includes(text);

describe('incremental timelines over short and long gaps', () => {
  it('a few new events among another room\'s: only the room\'s own, in order', async () => {
    const { shared, secret, since } = await rooms();
    await eve.text(secret, 'eve-secret-1');
    await anna.text(shared, 'a1');
    await eve.text(secret, 'eve-secret-2');
    await anna.text(shared, 'a2');
    const res = await ben.sync({ since, timeout: 0 });
    expect(bodies(res, shared)).toEqual(['a1', 'a2']);
    expect(res.rooms.join[shared].timeline.limited).toBe(false);
    expect(res.rooms.join[secret]).toBeUndefined();
    expect(leaked(res, 'eve-secret')).toBe(false);
  });

  it('a long gap: the same answer, and a limit keeps the newest', async () => {
    const { shared, secret, since } = await rooms();
    for (let i = 0; i < 12; i++) await eve.text(secret, `eve-secret-${i}`);
    await anna.text(shared, 'b1');
    for (let i = 12; i < 24; i++) await eve.text(secret, `eve-secret-${i}`);
    await anna.text(shared, 'b2');
    await anna.text(shared, 'b3');
    const res = await ben.sync({ since, timeout: 0 });
    expect(bodies(res, shared)).toEqual(['b1', 'b2', 'b3']);
    expect(leaked(res, 'eve-secret')).toBe(false);

    const limited = await ben.sync({ since, timeout: 0, filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
    expect(bodies(limited, shared)).toEqual(['b2', 'b3']);
    expect(limited.rooms.join[shared].timeline.limited).toBe(true);
    // The narrow path with a limit: three new events in the room, two wanted.
    const narrow = await ben.sync({ since: res.next_batch, timeout: 0 });
    expect(narrow.rooms.join[shared]).toBeUndefined();
    await anna.text(shared, 'c1');
    await anna.text(shared, 'c2');
    await anna.text(shared, 'c3');
    const two = await ben.sync({ since: res.next_batch, timeout: 0, filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
    expect(bodies(two, shared)).toEqual(['c2', 'c3']);
    expect(two.rooms.join[shared].timeline.limited).toBe(true);
  });

  it('an event redacted after it was read is served redacted on the next read of the same range', async () => {
    const { shared, since } = await rooms();
    const eventId = await anna.text(shared, 'soon gone');
    const before = await ben.sync({ since, timeout: 0 });
    expect(bodies(before, shared)).toEqual(['soon gone']);
    await anna.ok('PUT', `/rooms/${enc(shared)}/redact/${enc(eventId)}/r${Date.now()}`, {});
    // The same token again: the range now also holds the redaction, and the message has no content.
    const after = await ben.sync({ since, timeout: 0 });
    const events = timelineOf(after, shared);
    expect(events.map((e: any) => e.type)).toEqual(['m.room.message', 'm.room.redaction']);
    expect(events[0].content).toEqual({});
    expect(leaked(after, 'soon gone')).toBe(false);
  });

  it('a woken long-poll gets the one new event, and the sender sees its transaction ID', async () => {
    const { shared, since } = await rooms();
    let annaSince = (await anna.sync({ timeout: 0 })).next_batch;
    annaSince = (await anna.sync({ since: annaSince, timeout: 0 })).next_batch;
    const benPoll = longPollFor(ben, since, shared, 'wake up');
    const annaPoll = longPollFor(anna, annaSince, shared, 'wake up');
    await new Promise((r) => setTimeout(r, 200));
    const txnId = `woken-${Date.now()}`;
    await anna.ok('PUT', `/rooms/${enc(shared)}/send/m.room.message/${txnId}`, { msgtype: 'm.text', body: 'wake up' });
    const [toBen, toAnna] = await Promise.all([benPoll, annaPoll]);
    expect(toBen.unsigned.transaction_id).toBeUndefined();
    expect(toAnna.unsigned.transaction_id).toBe(txnId);
  });
});

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
