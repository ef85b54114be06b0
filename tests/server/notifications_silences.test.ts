// GET /notifications for a member who muted a busy room (a room rule with no actions: only
// mentions reach them there), unmutes it, mutes it again: every page is complete and newest
// first, the same before and after a restart that comes while a silence is open, and the
// notification that ends a silence (a mention, or a message once unmuted) is listed. The server
// records those stretches without notifications (push_silences, migration 009) so a page skips the
// room's rows; the test then checks from the database that it did, and that no silence covers a
// notification of the member. And a message that would end a silence but whose write is rolled
// back (a full disk) leaves it open, so the next one that notifies ends it and is listed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { FAULT_FILE_ENV } from '../../server/storage/files.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, TestUser } from '../helpers/userdata.ts';
import { openStorage } from '../../server/storage/database.ts';
import { MIGRATIONS } from '../../server/storage/migrations/index.ts';
import { createLogger } from '../../server/log.ts';
import { SILENCE_AFTER } from '../../server/push/silences.ts';

// Thousands of messages in seconds: the send limits would slow this down to minutes.
const ARGS = ['--rate-limit', 'send.user=1000000:1000000', '--rate-limit', 'send.ip=1000000:1000000'];
let server: ServerProcess;
const cleanup: (() => unknown)[] = [];
beforeAll(async () => {
  server = await startServer({ args: ARGS });
}, 30_000);
afterAll(async () => {
  await server?.dispose();
  for (const fn of cleanup.reverse()) await fn();
});

interface Expected {
  eventId: string;
  roomId: string;
  highlight: boolean;
}

const summary = (n: any): Expected => ({
  eventId: n.event.event_id,
  roomId: n.room_id,
  highlight: n.actions.some((a: any) => a?.set_tweak === 'highlight' && a.value !== false),
});

/** Sends `count` messages from the senders in turn, `parallel` at a time (in order when 1). */
async function chatter(senders: TestUser[], roomId: string, count: number, parallel = 8): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += parallel) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => senders[(i + j) % senders.length]!.text(roomId, `chatter ${i + j}`)))));
  }
  return ids;
}

/** Every notification of the user, page by page of `limit` through `from`, checking each page. */
async function allPages(user: TestUser, limit: number): Promise<Expected[]> {
  const out: Expected[] = [];
  let from: string | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const page = await user.ok('GET', `/notifications?limit=${limit}${from ? `&from=${enc(from)}` : ''}`);
    expectMatchesSpec('notifications.yaml', '/notifications', 'get', 200, page);
    expect(page.notifications.length).toBeLessThanOrEqual(limit);
    for (const n of page.notifications) expect(n.read).toBe(false); // ann never reads or sends after joining
    out.push(...page.notifications.map(summary));
    if (page.next_token === undefined) return out;
    expect(page.notifications).toHaveLength(limit);
    from = page.next_token;
  }
  throw new Error('paging never ended');
}

async function expectPages(user: TestUser, expected: Expected[]): Promise<void> {
  const newestFirst = [...expected].reverse();
  for (const limit of [1, 4, 7, 20, 100]) expect(await allPages(user, limit), `limit ${limit}`).toEqual(newestFirst);
  const highlights = await user.ok('GET', '/notifications?only=highlight&limit=100');
  expect(highlights.notifications.map(summary)).toEqual(newestFirst.filter((e) => e.highlight));
}

test('a member who mutes, unmutes and mutes again a busy room gets every page right, across a restart', async () => {
  let ann = await newUser(server, 'ann');
  let [bob, cat, dan] = [await newUser(server, 'bob'), await newUser(server, 'cat'), await newUser(server, 'dan')];
  const quiet = await sharedRoom(bob, [ann]);
  const busy = await sharedRoom(cat, [bob, dan, ann]);
  const crowd = await sharedRoom(dan, [bob, cat]); // ann is not in it: positions of the busy room are not contiguous
  const expected: Expected[] = []; // oldest first
  const notifying = (roomId: string, highlight = false) => (eventId: string) => expected.push({ eventId, roomId, highlight });
  const mention = (sender: TestUser) => sender.text(busy, 'ann, look', { 'm.mentions': { user_ids: [ann.userId] } }).then(notifying(busy, true));
  const longer = SILENCE_AFTER * 3; // each muted stretch is long enough for a silence

  // Before muting, the busy room notifies ann like everyone.
  (await chatter([bob, cat, dan], busy, 12, 1)).forEach(notifying(busy));
  await bob.text(quiet, 'quiet 1').then(notifying(quiet));

  // Muted ("mentions only": a room rule without actions; the mention rules come first).
  await ann.ok('PUT', `/pushrules/global/room/${enc(busy)}`, { actions: [] });
  await chatter([bob, cat, dan], busy, longer);
  await chatter([bob, cat], crowd, 40);
  await bob.text(quiet, 'quiet 2').then(notifying(quiet));
  await chatter([bob, cat, dan], busy, longer);
  await mention(cat); // ends a silence
  await chatter([bob, cat, dan], busy, longer);
  await bob.text(quiet, 'quiet 3').then(notifying(quiet));

  // Unmuted: every message of the busy room notifies ann again, from the first.
  await ann.ok('DELETE', `/pushrules/global/room/${enc(busy)}`);
  (await chatter([bob, cat, dan], busy, 10, 1)).forEach(notifying(busy));

  // Muted again (dont_notify: the same empty actions), and left muted across the restart.
  await ann.ok('PUT', `/pushrules/global/room/${enc(busy)}`, { actions: ['dont_notify'] });
  await chatter([bob, cat, dan], busy, longer);
  await bob.text(quiet, 'quiet 4').then(notifying(quiet));
  await chatter([bob, cat, dan], busy, longer);
  await expectPages(ann, expected);

  await server.stop();
  server = await startServer({ dataDir: server.dataDir, args: ARGS });
  const again = (u: TestUser) => new TestUser(server, u.login);
  [ann, bob, cat, dan] = [again(ann), again(bob), again(cat), again(dan)];
  await expectPages(ann, expected);

  // Still muted after the restart: the busy room's chatter is not listed; a mention is.
  await chatter([bob, cat, dan], busy, longer);
  await mention(dan);
  await chatter([bob, cat, dan], busy, longer);
  await expectPages(ann, expected);
  // Unmuted after the restart: the first message ends the silence the restart kept open.
  await ann.ok('DELETE', `/pushrules/global/room/${enc(busy)}`);
  (await chatter([bob, cat, dan], busy, 5, 1)).forEach(notifying(busy));
  await bob.text(quiet, 'quiet 5').then(notifying(quiet));
  await expectPages(ann, expected);
  expect(expected.filter((e) => e.roomId === busy && !e.highlight)).toHaveLength(27);

  // From the database: ann's silences in the busy room (one per muted stretch between her
  // notifications there) hold none of her notifications, and all have ended.
  await server.stop();
  const storage = await openStorage({ dir: server.dataDir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    const silences = storage.read((db) => db.all<{ room_id: string; since_pos: number; until_pos: number | null }>(`SELECT room_id, since_pos, until_pos FROM push_silences WHERE user_id = ?`, [ann.userId]));
    expect(silences.map((s) => s.room_id)).toEqual([busy, busy, busy, busy]);
    for (const s of silences) expect(s.until_pos).not.toBeNull();
    const notified = storage.read((db) =>
      db.all<{ s: number }>(`SELECT stream_ordering AS s FROM push_events WHERE room_id = ? AND instr(notified, ?) > 0`, [busy, ` ${ann.userId} `]).map((r) => r.s),
    );
    expect(notified).toHaveLength(expected.filter((e) => e.roomId === busy).length);
    for (const s of silences) expect(notified.filter((p) => p >= s.since_pos && p < s.until_pos!)).toEqual([]);
    // Each silence ends at a notification of ann.
    for (const s of silences) expect(notified).toContain(s.until_pos);
  } finally {
    await storage.close();
  }
}, 240_000);

test('a message refused by a full disk does not end a silence: the next one that notifies does', async () => {
  const faultDir = tempDataDir('meowtrix-fault-');
  cleanup.push(() => fs.rmSync(faultDir, { recursive: true, force: true }));
  const disk = path.join(faultDir, 'disk');
  const s = await startServer({ args: ARGS, env: { [FAULT_FILE_ENV]: disk } });
  cleanup.push(() => s.dispose());
  const [ann, bob, cat] = [await newUser(s, 'ann'), await newUser(s, 'bob'), await newUser(s, 'cat')];
  const busy = await sharedRoom(cat, [bob, ann]);
  await ann.ok('PUT', `/pushrules/global/room/${enc(busy)}`, { actions: [] });
  await chatter([bob, cat], busy, SILENCE_AFTER * 2); // a silence opens
  await ann.ok('DELETE', `/pushrules/global/room/${enc(busy)}`);

  // This message would end the silence, but its write is rolled back: the silence stays open.
  fs.writeFileSync(disk, 'ENOSPC');
  expect((await cat.call('PUT', `/rooms/${enc(busy)}/send/m.room.message/lost`, { msgtype: 'm.text', body: 'lost' })).status).toBe(500);
  fs.rmSync(disk);
  const kept = await bob.text(busy, 'kept');
  const after = await cat.text(busy, 'and after');
  const listed = await ann.ok('GET', '/notifications?limit=10');
  expect(listed.notifications.map((n: any) => n.event.event_id)).toEqual([after, kept]);
}, 60_000);
