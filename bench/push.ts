// Push figures, measured in-process on a real storage (sql.js, temp dir), in CPU time of the main thread:
//  - push work per sent EVENT: NotificationService.onEventPersisted, the hook the send path runs in
//    the event's transaction (thread lookup, the sender's read position, rules evaluated once per
//    class of members, the push_events row), in rooms of 12 and 50 joined members, over a mix of
//    plain text, a mention, a reaction and an encrypted event. The SQL it runs is counted; the
//    transaction's commit is not. Also in a room of 12 where one member muted the room (a room
//    rule with no actions), so the hook keeps a silence for them (server/push/silences.ts).
//  - unread counts of a room with 0, 100 and 2,000 unread notifications (what /sync reads).
//  - GET /notifications, first page (limit 20), as listNotifications() computes it, with 100k
//    (--quick) or 200k push rows notifying others in busy rooms: for a rarely-notified user in three
//    quiet rooms (20 notifications span 60k positions), for the same user also a muted member of
//    one busy room, or who left it long ago, for a member of a busy room notified by each of its
//    events, for a member of a busy room mentioned in one of every 100 of its events, and for a
//    user whose only 5 notifications are the oldest rows. The dataset's silences (migration 009)
//    are kept by the push hook's own SilenceTracker from who each row notified. (The route then
//    loads and serialises the events, which is not counted.)
//   node bench/push.ts [--quick] [--push-rows N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage } from '../server/storage/database.ts';
import { MIGRATIONS } from '../server/storage/migrations/index.ts';
import { createLogger } from '../server/log.ts';
import { insertPushAction, insertPushEvent, unreadCounts } from '../server/storage/repos/push_rules.ts';
import { listNotifications } from '../server/storage/repos/notification_list.ts';
import { createUserData } from '../server/userdata/index.ts';
import { systemClock } from '../server/clock.ts';
import { effectivePowerLevels } from '../server/rooms/power_levels.ts';
import { roomVersion } from '../server/rooms/versions.ts';
import type { PersistedEvent, RoomStateView } from '../server/rooms/types.ts';
import type { Storage } from '../server/storage/types.ts';
import type { JsonObject } from '../server/http/body.ts';
import { buildUserRule, putRule } from '../server/push/rules.ts';
import { SilenceTracker } from '../server/push/silences.ts';

const quick = process.argv.includes('--quick');
const report = (figure: string, unit: string, samples: number[], about: string, size?: string) =>
  process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples, about, size })}\n`);
/** ms this (main) thread has run: storage's worker threads (journal, snapshots) are not counted. */
const threadMs = (): number => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const cpuMs = (since: number): number => threadMs() - since;
/**
 * ms of CPU per call of fn, over calls adding up to ≥ 300 ms: this kernel counts a thread's time
 * in scheduler ticks (4 ms), so short totals would be mostly rounding.
 */
function perCall(fn: () => void): number {
  const started = threadMs();
  let calls = 0;
  do {
    for (let i = 0; i < 10; i++) fn();
    calls += 10;
  } while (cpuMs(started) < (quick ? 150 : 300) && calls < 100_000);
  return cpuMs(started) / calls;
}

async function withStorage<T>(fn: (storage: Storage) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-bench-push-'));
  const storage = await openStorage({ dir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** µs of CPU per event for the send path's push hook in a room of `size` joined members, `muted` of whom muted the room. */
function pushPerEvent(size: number, muted = 0): Promise<number> {
  return withStorage(async (storage) => {
    const { notifications, pushRules } = createUserData({ storage, clock: systemClock, notify: () => {} });
    const roomId = `!room${size}:bench.local`;
    const members = Array.from({ length: size }, (_, i) => `@member${i}:bench.local`);
    for (const m of members.slice(size - muted)) await pushRules.edit(m, (rules) => putRule(rules, 'room', buildUserRule('room', roomId, { actions: [] })));
    const powerLevels = effectivePowerLevels(undefined, members[0]!);
    const memberContent = new Map(members.map((m, i) => [m, { membership: 'join', displayname: `Member ${i}` } as JsonObject]));
    const state: RoomStateView = {
      roomId,
      version: roomVersion('10')!,
      creator: members[0]!,
      content: (type, key) => (type === 'm.room.member' ? memberContent.get(key) : undefined),
      joinedMembers: () => members,
      powerLevels: () => powerLevels,
    };
    const contents: [string, JsonObject][] = [
      ['m.room.message', { msgtype: 'm.text', body: 'hello there, how is everyone?' }],
      ['m.room.message', { msgtype: 'm.text', body: 'ping', 'm.mentions': { user_ids: [members[3]!] } }],
      ['m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } }],
      ['m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'abc' }],
    ];
    const perWrite = 500;
    const writes = quick ? 6 : 20;
    let pos = 0;
    let spent = 0;
    for (let w = 0; w < writes; w++) {
      await storage.write((db) => {
        const started = threadMs();
        for (let i = 0; i < perWrite; i++) {
          pos++;
          const [type, content] = contents[pos % contents.length]!;
          const sender = members[pos % size]!;
          const event: PersistedEvent = { streamPos: pos, eventId: `$e${pos}`, roomId, type, sender, originServerTs: pos, content, pdu: {} };
          notifications.onEventPersisted(db, event, state);
        }
        // The first write warms the rulesets, plans and statements up.
        if (w > 0) spent += cpuMs(started);
      });
    }
    return (spent * 1000) / ((writes - 1) * perWrite);
  });
}

async function unreadCountCost(unread: number): Promise<number> {
  return withStorage(async (storage) => {
    await storage.write((db) => {
      for (let i = 1; i <= unread; i++) {
        insertPushAction(db, '@me:bench.local', { room_id: '!r:bench.local', stream_ordering: i, event_id: `$e${i}`, thread_id: 'main', highlight: i % 10 === 0 ? 1 : 0, actions: '["notify"]', ts: i });
      }
    });
    return perCall(() => storage.read((db) => unreadCounts(db, '@me:bench.local', '!r:bench.local')));
  });
}

const user = (name: string) => `@${name}:bench.local`;
const NOTIFY = '["notify",{"set_tweak":"sound","value":"default"}]';
/** Notifications of 'rare': the first events of the history. */
const RARE = 5;
/** Where 'left' left busy0. */
const LEFT_AT = 1_000;
/** 'mentioned' is mentioned in one of every MENTION_EVERY events of busy1 (their only notifications). */
const MENTION_EVERY = 100;
const MENTION = '["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight"}]';
/**
 * Push rows for `total` events: the first RARE notify 'rare' alone; three quiet rooms get one
 * event every 3,001 positions, notifying 'quiet' and 'muted' (and a few others); the rest go
 * round-robin to four busy rooms of 12 others each, notifying all but the sender ('muted' is a
 * member of busy0 who is never notified there; 'busy' is notified by every event of busy0; 'left',
 * notified like 'quiet' in the quiet rooms, was notified in busy0 until leaving it at LEFT_AT).
 * 'q1' sends the events of the rare and quiet rooms, b{r}_0 those of busy room r. Silences are
 * kept from that as the push hook keeps them.
 */
async function notificationDataset(storage: Storage, total: number): Promise<void> {
  const memberships: [string, string][] = [];
  const busyMembers = (r: number) => Array.from({ length: 12 }, (_, i) => user(`b${r}_${i}`));
  for (let r = 0; r < 4; r++) for (const m of busyMembers(r)) memberships.push([`!busy${r}:bench.local`, m]);
  memberships.push(['!busy0:bench.local', user('muted')], ['!busy0:bench.local', user('busy')], ['!busy1:bench.local', user('mentioned')]);
  for (let q = 0; q < 3; q++) for (const m of ['quiet', 'muted', 'q1', 'q2']) memberships.push([`!quiet${q}:bench.local`, user(m)]);
  memberships.push(['!rare:bench.local', user('rare')], ['!rare:bench.local', user('q1')]);
  for (let q = 0; q < 3; q++) memberships.push([`!quiet${q}:bench.local`, user('left')]);
  const batch = 20_000;
  const silences = new SilenceTracker();
  for (let from = 1; from <= total; from += batch) {
    await storage.write((db) => {
      if (from === 1) {
        for (const [room, m] of memberships) {
          db.run(`INSERT INTO memberships (room_id, user_id, membership, event_id, stream_pos) VALUES (?, ?, 'join', ?, 0)`, [room, m, `$join_${room}_${m}`]);
        }
        db.run(`INSERT INTO memberships (room_id, user_id, membership, event_id, stream_pos) VALUES (?, ?, 'leave', '$left', ?)`, ['!busy0:bench.local', user('left'), LEFT_AT]);
      }
      for (let pos = from; pos < Math.min(total + 1, from + batch); pos++) {
        const row = { stream_ordering: pos, event_id: `$e${pos}`, thread_id: 'main', ts: pos };
        if (pos <= RARE) {
          const members = [{ userId: user('rare'), actions: NOTIFY, highlight: false }];
          insertPushEvent(db, { ...row, room_id: '!rare:bench.local' }, members);
          silences.observe(db, '!rare:bench.local', pos, user('q1'), true, []);
          continue;
        }
        if (pos % 3_001 === 0) {
          const members = ['quiet', 'muted', 'left', 'q2'].map((m) => ({ userId: user(m), actions: NOTIFY, highlight: false }));
          insertPushEvent(db, { ...row, room_id: `!quiet${(pos / 3_001) % 3}:bench.local` }, members);
          silences.observe(db, `!quiet${(pos / 3_001) % 3}:bench.local`, pos, user('q1'), true, []);
          continue;
        }
        const r = pos % 4;
        const members = busyMembers(r).slice(1).map((userId) => ({ userId, actions: NOTIFY, highlight: false }));
        if (r === 0) members.push({ userId: user('busy'), actions: NOTIFY, highlight: false });
        if (r === 0 && pos < LEFT_AT) members.push({ userId: user('left'), actions: NOTIFY, highlight: false });
        const mention = r === 1 && pos % (4 * MENTION_EVERY) === 1;
        if (mention) members.push({ userId: user('mentioned'), actions: MENTION, highlight: true });
        insertPushEvent(db, { ...row, room_id: `!busy${r}:bench.local` }, members);
        // 'muted' is the one joined member of busy0 it did not notify, 'mentioned' of busy1 unless mentioned.
        const quiet = r === 0 ? [user('muted')] : r === 1 && !mention ? [user('mentioned')] : [];
        silences.observe(db, `!busy${r}:bench.local`, pos, busyMembers(r)[0]!, true, quiet);
      }
    });
  }
}

/** ms of CPU per first page of 20 notifications, for each of the users. */
function notificationPageCost(total: number, users: readonly (readonly [string, string, number])[]): Promise<number[]> {
  return withStorage(async (storage) => {
    await notificationDataset(storage, total);
    await storage.durable?.();
    return users.map(([name, , expected]) => {
      // Warm-up (JIT, statements); a page is always full here.
      for (let i = 0; i < 5; i++) {
        const rows = storage.read((db) => listNotifications(db, user(name), Number.MAX_SAFE_INTEGER, 20, false));
        if (rows.length !== expected) throw new Error(`${name}: ${rows.length} notifications, expected ${expected}`);
      }
      return perCall(() => storage.read((db) => listNotifications(db, user(name), Number.MAX_SAFE_INTEGER, 20, false)));
    });
  });
}

const runs = quick ? 2 : 3;
for (const size of [12, 50]) {
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) samples.push(await pushPerEvent(size));
  report(`push work per sent event, room of ${size}`, 'µs', samples, 'CPU of onEventPersisted per event (rules per member class + its push_events row)', `${size} members`);
}
{
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) samples.push(await pushPerEvent(12, 1));
  report('push work per sent event, room of 12, one member muted it', 'µs', samples, 'CPU of onEventPersisted per event, with the silence kept for the muted member', '12 members');
}
for (const n of [0, 100, 2000]) {
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) samples.push(await unreadCountCost(n));
  report(`unread counts of a room with ${n} unread`, 'ms', samples, 'CPU of unreadCounts() for one room', `${n} unread`);
}
const rowsOption = process.argv.indexOf('--push-rows');
const pushRows = rowsOption > 0 ? Number(process.argv[rowsOption + 1]) : quick ? 100_000 : 200_000;
const who = [
  ['quiet', 'rarely-notified user in 3 quiet rooms', 20],
  ['muted', 'the same user, also a muted member of a busy room', 20],
  ['left', 'the same user, who left the busy room long ago instead', 20],
  ['busy', 'a member notified by every event of a busy room', 20],
  ['mentioned', `a member of a busy room mentioned in 1 of ${MENTION_EVERY} of its events`, 20],
  ['rare', `a user with only ${RARE} notifications, the oldest`, RARE],
] as const;
const pages: number[][] = who.map(() => []);
for (let r = 0; r < runs; r++) (await notificationPageCost(pushRows, who)).forEach((ms, i) => pages[i]!.push(ms));
who.forEach(([, about], i) => report(`GET /notifications first page: ${about}`, 'ms', pages[i]!, 'CPU of listNotifications(), limit 20', `${pushRows / 1000}k push rows`));
