// Unread counts on a client that keeps syncing incrementally. The server keeps each user's counts
// per room and adds only the push actions stored since it last counted; these tests prove the
// counts stay exact through new messages, mentions, receipts (unthreaded, per thread, private),
// the user's own messages and a restart (which counts everything again from the database).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { enc, newUser, sharedRoom, TestUser } from '../helpers/userdata.ts';

let server: ServerProcess;
let alice: TestUser;
let bob: TestUser;
let roomId: string;
const filter = { room: { timeline: { unread_thread_notifications: true } } };

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server, 'alice');
  bob = await newUser(server, 'bob');
  await alice.ok('PUT', `/profile/${enc(bob.userId)}/displayname`, { displayname: 'Bob' }).catch(() => undefined);
  roomId = await sharedRoom(alice, [bob]);
}, 30_000);
afterAll(() => server?.dispose());

interface Counts {
  main: { notification_count: number; highlight_count: number };
  threads: Record<string, { notification_count: number; highlight_count: number }>;
}

/** Bob's counts from his next incremental sync (the room must be in it). */
async function bobCounts(user = bob): Promise<Counts> {
  const body = await user.sync({ filter });
  const section = body.rooms.join[roomId];
  expect(section, 'the room is in the incremental sync').toBeDefined();
  return { main: section.unread_notifications, threads: section.unread_thread_notifications ?? {} };
}

const n = (notification_count: number, highlight_count = 0) => ({ notification_count, highlight_count });

test('counts stay exact while a client syncs incrementally through messages, mentions, receipts and a restart', async () => {
  await bob.sync({ filter });
  const first = await alice.text(roomId, 'one');
  expect(await bobCounts()).toEqual({ main: n(1), threads: {} });
  const second = await alice.text(roomId, 'two');
  await alice.text(roomId, 'three');
  expect(await bobCounts()).toEqual({ main: n(3), threads: {} });
  // A mention of Bob's user ID highlights.
  await alice.text(roomId, `hey ${bob.userId}`, { 'm.mentions': { user_ids: [bob.userId] } });
  expect(await bobCounts()).toEqual({ main: n(4, 1), threads: {} });

  // Bob reads up to the second message: only "three" and the mention remain.
  await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(second)}`, {});
  expect(await bobCounts()).toEqual({ main: n(2, 1), threads: {} });
  // Reading an older event changes nothing (positions only move forward).
  await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(first)}`, {});
  await alice.text(roomId, 'four');
  expect(await bobCounts()).toEqual({ main: n(3, 1), threads: {} });

  // A thread: its replies count in the thread, the root in the main timeline.
  const root = await alice.text(roomId, 'root');
  const reply1 = await alice.text(roomId, 'reply 1', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  await alice.text(roomId, 'reply 2', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  expect(await bobCounts()).toEqual({ main: n(4, 1), threads: { [root]: n(2) } });
  // A thread receipt clears only that thread, up to the reply read.
  await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(reply1)}`, { thread_id: root });
  expect(await bobCounts()).toEqual({ main: n(4, 1), threads: { [root]: n(1) } });
  await alice.text(roomId, 'reply 3', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  await alice.text(roomId, 'five');
  expect(await bobCounts()).toEqual({ main: n(5, 1), threads: { [root]: n(2) } });

  // Bob's own message in the main timeline counts as reading it; the thread stays unread.
  await bob.text(roomId, 'my answer');
  expect(await bobCounts()).toEqual({ main: n(0), threads: { [root]: n(2) } });
  await alice.text(roomId, 'six');
  await alice.text(roomId, 'reply 4', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  expect(await bobCounts()).toEqual({ main: n(1), threads: { [root]: n(3) } });

  // A private read receipt moves the counts the same way.
  const seven = await alice.text(roomId, 'seven');
  await alice.text(roomId, 'eight');
  expect(await bobCounts()).toEqual({ main: n(3), threads: { [root]: n(3) } });
  await bob.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(seven)}`, {});
  const beforeRestart = await bobCounts();
  // "eight" stays; the unthreaded receipt is after every thread reply, so the thread is read too.
  expect(beforeRestart).toEqual({ main: n(1), threads: {} });

  // After a restart nothing is remembered: the counts made from the database alone are the same.
  await alice.text(roomId, 'nine');
  const live = await bobCounts();
  expect(live).toEqual({ main: n(2), threads: {} });
  await server.stop();
  server = await startServer({ dataDir: server.dataDir });
  const fresh = new TestUser(server, bob.login);
  const initial = await fresh.sync({ fresh: true, filter });
  expect({ main: initial.rooms.join[roomId].unread_notifications, threads: initial.rooms.join[roomId].unread_thread_notifications ?? {} }).toEqual(live);
}, 60_000);
