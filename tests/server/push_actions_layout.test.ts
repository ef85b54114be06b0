// Push actions stored as one row per event (migration 008): a database whose push actions were
// written in the old one-row-per-member layout gives the same unread counts and GET
// /notifications after the migration, and read notifications older than 30 days stop being
// listed for the reader (and their rows go once every member they notified has pruned them).
//
// The old layout cannot be written by the current server, so the migration test writes it
// through the storage layer: it turns the rows the server stored into the rows the old code
// stored for the same events (one per notified member, with that member's actions and highlight),
// marks the database as schema 7 and lets the restarted server migrate it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { enc, newUser, sharedRoom, TestUser } from '../helpers/userdata.ts';
import { openStorage } from '../../server/storage/database.ts';
import { MIGRATIONS } from '../../server/storage/migrations/index.ts';
import { createLogger } from '../../server/log.ts';

const servers: ServerProcess[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.dispose();
});

const filter = { room: { timeline: { unread_thread_notifications: true } } };

/** Everything a user can see of their notifications: counts per joined room and GET /notifications. */
async function observe(user: TestUser): Promise<unknown> {
  const sync = await user.sync({ fresh: true, filter });
  const counts: Record<string, unknown> = {};
  for (const [roomId, section] of Object.entries<any>(sync.rooms.join)) {
    counts[roomId] = { main: section.unread_notifications, threads: section.unread_thread_notifications ?? {} };
  }
  const all = await user.ok('GET', '/notifications?limit=100');
  expectMatchesSpec('notifications.yaml', '/notifications', 'get', 200, all);
  const highlights = await user.ok('GET', '/notifications?only=highlight');
  const pages: unknown[] = [];
  let page = await user.ok('GET', '/notifications?limit=3');
  for (;;) {
    pages.push(page.notifications.map((n: any) => [n.event.event_id, n.read]));
    if (!page.next_token) break;
    page = await user.ok('GET', `/notifications?limit=3&from=${enc(page.next_token)}`);
  }
  const brief = (n: any) => ({ event_id: n.event.event_id, room_id: n.room_id, read: n.read, actions: n.actions, ts: n.ts });
  return { counts, all: all.notifications.map(brief), highlights: highlights.notifications.map(brief), pages };
}

/** Rewrites the stored push actions in the layout of migrations 006/007 and marks the database as schema 7. */
async function writeOldLayout(dataDir: string): Promise<number> {
  const storage = await openStorage({ dir: dataDir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    return await storage.write((db) => {
      db.run(`CREATE TABLE push_actions (
        user_id TEXT NOT NULL, room_id TEXT NOT NULL, stream_ordering INTEGER NOT NULL, event_id TEXT NOT NULL,
        thread_id TEXT NOT NULL, highlight INTEGER NOT NULL, actions TEXT NOT NULL, ts INTEGER NOT NULL,
        PRIMARY KEY (user_id, room_id, stream_ordering))`);
      db.run(`CREATE INDEX push_actions_user ON push_actions (user_id, stream_ordering)`);
      const rows = db.all<{ stream_ordering: number; room_id: string; event_id: string; thread_id: string; ts: number; notified: string; highlighted: string; actions: string; other_actions: string | null }>(
        `SELECT * FROM push_events ORDER BY stream_ordering`,
      );
      let written = 0;
      for (const r of rows) {
        const others = r.other_actions ? (JSON.parse(r.other_actions) as Record<string, unknown>) : {};
        for (const userId of r.notified.trim().split(' ')) {
          const actions = userId in others ? JSON.stringify(others[userId]) : r.actions;
          db.run(`INSERT INTO push_actions VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [userId, r.room_id, r.stream_ordering, r.event_id, r.thread_id, r.highlighted.includes(` ${userId} `) ? 1 : 0, actions, r.ts]);
          written++;
        }
      }
      for (const table of ['push_events', 'push_highlights', 'push_pruned']) db.run(`DROP TABLE ${table}`);
      db.run(`DELETE FROM meta WHERE key = 'migration:8'`);
      db.run(`UPDATE meta SET value = '7' WHERE key = 'schema_version'`);
      return written;
    });
  } finally {
    await storage.close();
  }
}

/** Rows in each push table; `schema` 7 opens the database without running migration 008 (by default every migration runs). */
async function tableCounts(dataDir: string, schema = Number.MAX_SAFE_INTEGER): Promise<Record<string, number>> {
  const storage = await openStorage({ dir: dataDir, migrations: MIGRATIONS.filter((m) => m.version <= schema), log: createLogger('warn') });
  try {
    return storage.read((db) => {
      const tables = db.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).map((t) => t.name).filter((t) => /^push_(actions|events|highlights|pruned)$/.test(t));
      return Object.fromEntries(tables.map((t) => [t, db.get<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)!.n]));
    });
  } finally {
    await storage.close();
  }
}

test('a database written in the per-member layout gives the same counts and notifications after migration 008', async () => {
  let server = await startServer();
  servers.push(server);
  const ann = await newUser(server, 'ann');
  const ben = await newUser(server, 'ben');
  const cat = await newUser(server, 'cat');
  const dan = await newUser(server, 'dan');
  const family = await sharedRoom(ann, [ben, cat, dan]);
  const dm = await sharedRoom(ann, [ben], { is_direct: true });
  // Ben's own rule gives him other actions than the rest for one word; Dan mutes the family room.
  await ben.ok('PUT', '/pushrules/global/content/pizza', { pattern: 'pizza', actions: ['notify', { set_tweak: 'sound', value: 'pizza' }] });
  await dan.ok('PUT', `/pushrules/global/room/${enc(family)}`, { actions: [] });

  await ann.text(family, 'hello all');
  const mention = await ann.text(family, 'ben, look', { 'm.mentions': { user_ids: [ben.userId] } });
  await cat.text(family, 'pizza tonight?');
  const root = await ann.text(family, 'a thread');
  const reply = await cat.text(family, 'reply 1', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  await ann.text(family, 'reply 2', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
  await ann.text(family, 'a notice', { msgtype: 'm.notice' });
  await ann.text(family, 'everyone!', { 'm.mentions': { room: true } });
  await ann.text(dm, 'just you');
  await ann.text(dm, 'and again');
  await ben.ok('POST', `/rooms/${enc(family)}/receipt/m.read/${enc(mention)}`, {});
  await cat.ok('POST', `/rooms/${enc(family)}/receipt/m.read/${enc(reply)}`, { thread_id: root });
  await dan.text(family, 'muted here');
  await ann.text(family, 'last one');

  const users = [ann, ben, cat, dan];
  const before = [];
  for (const u of users) before.push(await observe(u));
  // Something to compare: unread counts, threads, highlights, other actions and read ones.
  expect(JSON.stringify(before)).toContain('"highlight"');
  expect(JSON.stringify(before)).toContain('"pizza"');
  expect(JSON.stringify(before)).toContain('"read":true');

  await server.stop();
  const oldRows = await writeOldLayout(server.dataDir);
  expect(oldRows).toBeGreaterThan(20);
  expect(await tableCounts(server.dataDir, 7)).toEqual({ push_actions: oldRows });

  server = await startServer({ dataDir: server.dataDir });
  servers.push(server);
  const after = [];
  for (const u of users) after.push(await observe(new TestUser(server, u.login)));
  expect(after).toEqual(before);

  await server.stop();
  const tables = await tableCounts(server.dataDir);
  expect(tables.push_actions).toBeUndefined();
  expect(tables.push_events).toBeGreaterThan(8);
  expect(tables.push_events).toBeLessThan(oldRows);
  expect(tables.push_highlights).toBe(4); // Ben's mention; @room for Ben, Cat and Dan (override rules come before Dan's room rule)
}, 90_000);

test('read notifications older than 30 days stop being listed for the reader; rows go once all have pruned', async () => {
  const dataDir = tempDataDir();
  const offsetFile = path.join(dataDir, '..', `${path.basename(dataDir)}-clock`);
  fs.writeFileSync(offsetFile, '0');
  const env = { MEOWTRIX_TEST_CLOCK_OFFSET_FILE: offsetFile };
  let server = await startServer({ dataDir, env });
  servers.push(server);
  try {
    const ann = await newUser(server, 'ann');
    const ben = await newUser(server, 'ben');
    const cat = await newUser(server, 'cat');
    const roomId = await sharedRoom(ann, [ben, cat]);
    const m1 = await ann.text(roomId, 'one');
    const m2 = await ann.text(roomId, 'two, ben', { 'm.mentions': { user_ids: [ben.userId] } });
    const m3 = await ann.text(roomId, 'three');
    const ids = async (u: TestUser, query = '') => (await u.ok('GET', `/notifications${query}`)).notifications.map((n: any) => [n.event.event_id, n.read]);

    await ben.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(m2)}`, {});
    // Read, but not old: still listed.
    expect(await ids(ben)).toEqual([[m3, false], [m2, true], [m1, true]]);
    expect(await ids(ben, '?only=highlight')).toEqual([[m2, true]]);

    fs.writeFileSync(offsetFile, String(31 * 24 * 3600_000));
    const m4 = await ann.text(roomId, 'four');
    // The next receipt prunes what it covers that is older than 30 days.
    await ben.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(m2)}`, {});
    expect(await ids(ben)).toEqual([[m4, false], [m3, false]]);
    expect(await ids(ben, '?only=highlight')).toEqual([]);
    expect((await ben.sync({ fresh: true })).rooms.join[roomId].unread_notifications).toEqual({ notification_count: 2, highlight_count: 0 });
    // Cat has read nothing: she still has all of them.
    expect(await ids(cat)).toEqual([[m4, false], [m3, false], [m2, false], [m1, false]]);

    await server.stop();
    expect((await tableCounts(dataDir)).push_events).toBe(4);
    server = await startServer({ dataDir, env });
    servers.push(server);
    const cat2 = new TestUser(server, cat.login);
    await cat2.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(m3)}`, {});
    expect(await ids(cat2)).toEqual([[m4, false]]);
    // m1 and m2 were pruned by both members they notified; m3 only by Cat so far.
    await server.stop();
    expect((await tableCounts(dataDir)).push_events).toBe(2);
    server = await startServer({ dataDir, env });
    servers.push(server);
    const ben2 = new TestUser(server, ben.login);
    expect(await ids(ben2)).toEqual([[m4, false], [m3, false]]);
    // Reading past a notification that is not old yet prunes only up to it: m3 goes, m4 stays (read).
    await ben2.ok('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(m4)}`, {});
    expect(await ids(ben2)).toEqual([[m4, true]]);
    await server.stop();
    expect((await tableCounts(dataDir)).push_events).toBe(1);
  } finally {
    fs.rmSync(offsetFile, { force: true });
  }
}, 90_000);

test('counts kept between incremental syncs stay exact whether a few or many notifications (in any room) arrived since', async () => {
  const server = await startServer();
  servers.push(server);
  const ann = await newUser(server, 'ann');
  const ben = await newUser(server, 'ben');
  const family = await sharedRoom(ann, [ben]);
  const other = await sharedRoom(ann, [ben]);
  const counts = async (roomId: string) => (await ben.sync())?.rooms?.join?.[roomId]?.unread_notifications;
  await ben.sync();
  await ann.text(family, 'one');
  expect(await counts(family)).toEqual({ notification_count: 1, highlight_count: 0 });
  // Many since the last count, in both rooms, with events that notify nobody between.
  for (let i = 0; i < 6; i++) {
    const id = await ann.text(family, `family ${i}`);
    await ann.send(family, { 'm.relates_to': { rel_type: 'm.annotation', event_id: id, key: '👍' } }, 'm.reaction');
    await ann.text(other, `other ${i}`, i === 3 ? { 'm.mentions': { user_ids: [ben.userId] } } : {});
  }
  const body = await ben.sync();
  expect(body.rooms.join[family].unread_notifications).toEqual({ notification_count: 7, highlight_count: 0 });
  expect(body.rooms.join[other].unread_notifications).toEqual({ notification_count: 6, highlight_count: 1 });
  // One at a time, in one room or the other, then a read.
  await ann.text(family, 'two', { 'm.mentions': { user_ids: [ben.userId] } });
  expect(await counts(family)).toEqual({ notification_count: 8, highlight_count: 1 });
  const last = await ann.text(other, 'three');
  expect(await counts(other)).toEqual({ notification_count: 7, highlight_count: 1 });
  await ann.text(family, 'four');
  expect(await counts(family)).toEqual({ notification_count: 9, highlight_count: 1 });
  await ben.ok('POST', `/rooms/${enc(other)}/receipt/m.read/${enc(last)}`, {});
  await ann.text(other, 'five');
  expect(await counts(other)).toEqual({ notification_count: 1, highlight_count: 0 });
  // The same counts from the database alone, after a restart.
  await server.stop();
  const again = await startServer({ dataDir: server.dataDir });
  servers.push(again);
  const fresh = await new TestUser(again, ben.login).sync({ fresh: true });
  expect(fresh.rooms.join[family].unread_notifications).toEqual({ notification_count: 9, highlight_count: 1 });
  expect(fresh.rooms.join[other].unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 });
}, 60_000);
