// GET /notifications for a rarely notified user on a server whose history is mostly others'
// notifications: every page complete and newest first across several rooms (whose stream
// positions interleave), `from` paging, `read` flags, a muted room's mention, and a room the user
// left (twice) still listing what they were notified of while in it. The history spans more than a
// thousand positions with no notification of the user, so pages reach back through growing windows
// of positions, through the rooms the user is in and through all rows.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, type TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
beforeAll(async () => {
  // Thousands of messages in seconds: the send limits would slow this down to minutes.
  server = await startServer({ args: ['--rate-limit', 'send.user=1000000:1000000', '--rate-limit', 'send.ip=1000000:1000000'] });
}, 30_000);
afterAll(() => server?.dispose());

interface Expected {
  eventId: string;
  roomId: string;
  read: boolean;
  highlight: boolean;
}

/** Sends `count` messages from the senders in turn, `parallel` at a time (their order does not matter to the test). */
async function chatter(senders: TestUser[], roomId: string, count: number, parallel = 8): Promise<void> {
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => senders[(i + j) % senders.length]!.text(roomId, `chatter ${i + j}`)));
  }
}

/** Every notification of the user, page by page of `limit` through `from`, checking each page. */
async function allPages(user: TestUser, limit: number, query = ''): Promise<any[]> {
  const out: any[] = [];
  let from: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await user.ok('GET', `/notifications?limit=${limit}${query}${from ? `&from=${enc(from)}` : ''}`);
    expectMatchesSpec('notifications.yaml', '/notifications', 'get', 200, page);
    expect(page.notifications.length).toBeLessThanOrEqual(limit);
    out.push(...page.notifications);
    if (page.next_token === undefined) return out;
    expect(page.notifications).toHaveLength(limit);
    from = page.next_token;
  }
  throw new Error('paging never ended');
}

const summary = (n: any) => ({ eventId: n.event.event_id, roomId: n.room_id, read: n.read, highlight: n.actions.some((a: any) => a?.set_tweak === 'highlight' && a.value !== false) });

test('a rarely notified user pages through their notifications in several rooms, past others\' long history', async () => {
  const ann = await newUser(server, 'ann');
  const [bob, cat, dan] = [await newUser(server, 'bob'), await newUser(server, 'cat'), await newUser(server, 'dan')];
  const quiet = [await sharedRoom(bob, [ann]), await sharedRoom(cat, [ann]), await sharedRoom(dan, [ann, bob])];
  const crowd = await sharedRoom(bob, [cat, dan]); // ann is not in it
  const busy = await sharedRoom(cat, [bob, dan, ann]);
  await ann.ok('PUT', `/pushrules/global/room/${enc(busy)}`, { actions: [] }); // muted
  const senderOf = (roomId: string) => (roomId === quiet[0] ? bob : roomId === quiet[1] ? cat : dan);

  // Newest last; `read` is fixed up when ann sends (sending reads up to it).
  const expected: Expected[] = [];
  const quietMessage = async (q: number, body: string) => {
    const roomId = quiet[q]!;
    expected.push({ eventId: await senderOf(roomId).text(roomId, body), roomId, read: false, highlight: false });
  };

  // Older history: ann is notified now and then in the quiet rooms, between others' chatter.
  for (let round = 0; round < 16; round++) {
    await quietMessage(round % 3, `quiet ${round}`);
    if (round === 7) await quietMessage(0, 'right after another'); // two rooms' positions next to each other
    await chatter([bob, cat, dan], crowd, 30);
    if (round === 5) {
      await ann.text(quiet[1]!, 'read up to here');
      for (const e of expected) if (e.roomId === quiet[1]) e.read = true;
    }
  }
  // Ann leaves the third quiet room: what she was notified of there stays listed, nothing new is.
  // (Her leave is an event she sent, which reads up to it.)
  await ann.ok('POST', `/rooms/${enc(quiet[2]!)}/leave`, {});
  for (const e of expected) if (e.roomId === quiet[2]) e.read = true;
  await dan.text(quiet[2]!, 'after ann left');
  // Back for a while, and gone again: what she got in both stays.
  await dan.invite(quiet[2]!, ann.userId);
  await ann.join(quiet[2]!);
  await quietMessage(2, 'welcome back');
  await ann.ok('POST', `/rooms/${enc(quiet[2]!)}/leave`, {});
  for (const e of expected) if (e.roomId === quiet[2]) e.read = true;
  await dan.text(quiet[2]!, 'gone again');
  // A long stretch with nothing for ann: the crowd, and the muted room she is in, where only a mention notifies her.
  await chatter([bob, cat, dan], crowd, 300);
  await chatter([bob, cat, dan], busy, 400);
  expected.push({ eventId: await cat.text(busy, 'ann, look', { 'm.mentions': { user_ids: [ann.userId] } }), roomId: busy, read: false, highlight: true });
  await chatter([bob, cat, dan], busy, 2_400);
  // Newest: a few more in the quiet rooms.
  for (let round = 0; round < 4; round++) await quietMessage(round % 2, `new ${round}`);
  const newestFirst = [...expected].reverse();

  const everything = await ann.ok('GET', '/notifications?limit=100');
  expect(everything.next_token).toBeUndefined();
  expect(everything.notifications.map(summary)).toEqual(newestFirst);
  for (const n of everything.notifications) expect(n.event.sender).not.toBe(ann.userId);
  for (const limit of [1, 3, 7, 20]) expect((await allPages(ann, limit)).map(summary), `limit ${limit}`).toEqual(newestFirst);
  // The first page alone, as a client asks for it.
  const first = await ann.ok('GET', '/notifications');
  expect(first.notifications.map(summary)).toEqual(newestFirst.slice(0, 20));
  expect(first.next_token).toBe(String(Number(first.next_token)));

  const highlights = await ann.ok('GET', '/notifications?only=highlight');
  expect(highlights.notifications.map(summary)).toEqual(newestFirst.filter((e) => e.highlight));

  // A member notified by every message of a busy room: the newest page is the newest messages.
  const newest: string[] = [];
  for (let i = 0; i < 25; i++) newest.push(await [cat, dan][i % 2]!.text(crowd, `newest ${i}`));
  const bobs = await bob.ok('GET', '/notifications?limit=20');
  expect(bobs.notifications.map((n: any) => n.event.event_id)).toEqual(newest.slice(-20).reverse());
  const bobsNext = await bob.ok('GET', `/notifications?limit=5&from=${enc(bobs.next_token)}`);
  expect(bobsNext.notifications.map((n: any) => n.event.event_id)).toEqual(newest.slice(0, 5).reverse());
  // ann's list has not changed.
  expect((await ann.ok('GET', '/notifications?limit=100')).notifications.map(summary)).toEqual(newestFirst);
}, 180_000);
