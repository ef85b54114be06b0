// Household histories of 10k, 100k or 1M stored events, for the history and scaling benchmarks.
//
// Accounts and rooms are made over HTTP by a real server (so they are exactly what the server
// makes); the server is then stopped and the messages are written through the storage layer, built
// as the room service builds them and passed through the production in-transaction hooks (push
// actions and unread counts, search index), 5,000 events per transaction — the HTTP path would take
// hours for 1M (see writeHistory for the two shortcuts).
// Members read as they go (receipts, as clients send them), so old read notifications are pruned as
// in real life. Time runs over three years. The data dir ends with a fresh snapshot and an empty
// journal, so a server starts from it without replay.
//
// Datasets are cached under $TMPDIR/meowtrix-bench-datasets/<events>-<key>, the key hashing the
// migrations and this file, so reruns are instant and a schema change regenerates.
//   node bench/dataset.ts 1000000        (generate ahead of a run; prints the directory)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage, type EngineStorage } from '../server/storage/database.ts';
import { MIGRATIONS } from '../server/storage/migrations/index.ts';
import { createLogger } from '../server/log.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../server/rooms/signing_key.ts';
import { hashAndSign } from '../server/rooms/hashing.ts';
import { roomVersion, type RoomVersion } from '../server/rooms/versions.ts';
import { authEventIds, relationOf, stateReader, StateContentCache } from '../server/rooms/building.ts';
import { effectivePowerLevels } from '../server/rooms/power_levels.ts';
import * as roomsRepo from '../server/storage/repos/rooms.ts';
import * as eventsRepo from '../server/storage/repos/events.ts';
import { createUserData } from '../server/userdata/index.ts';
import { indexOnPersist } from '../server/search/service.ts';
import type { Clock } from '../server/clock.ts';
import type { PersistHook, PersistedEvent, RoomStateView } from '../server/rooms/types.ts';
import type { SqlReader } from '../server/storage/types.ts';
import type { JsonObject } from '../server/http/body.ts';
import { startBenchServer, newClients, progress, sizeLabel, type Client } from './lib.ts';

export const MEMBERS = ['anna', 'ben', 'cleo', 'dora', 'emil', 'fay', 'gus', 'hana'] as const;
/** anna is in every room: the reader of the history benchmarks. */
export const READER = 'anna';

export interface DatasetInfo {
  /** The generator's FORMAT that made it (absent: 1). */
  format?: number;
  events: number;
  rooms: Record<string, { roomId: string; members: string[]; share: number }>;
  /** The room with the most history (the /messages figures page through it). */
  bigRoom: string;
  users: number;
  generatedMs: number;
}

/** Bump when the generated history changes (the migrations are hashed in as well). */
const FORMAT = 1;
const ROOT = path.join(os.tmpdir(), 'meowtrix-bench-datasets');
const YEARS_MS = 3 * 365 * 24 * 3600 * 1000;
const WORDS = 'the a and dinner school garden homework movie tonight tomorrow shopping list milk bread soccer practice dentist holiday photos grandma birthday cake is at pick up who can you me we later ok thanks love'.split(' ');
const CHINESE = ['我们今天晚上吃饺子', '明天早上去学校', '奶奶的生日蛋糕', '周末去公园散步', '记得买牛奶和面包'];

function schemaKey(): string {
  const hash = crypto.createHash('sha256');
  const dir = path.join(import.meta.dirname, '..', 'server', 'storage', 'migrations');
  for (const f of fs.readdirSync(dir).sort()) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  hash.update(String(FORMAT));
  return hash.digest('hex').slice(0, 12);
}

export function datasetPath(events: number): string {
  return path.join(ROOT, `${events}-${schemaKey()}`);
}

/** Room layout: a family room, four group chats, and a DM between anna and each other member. */
function householdRooms(): { name: string; members: string[]; share: number }[] {
  const rooms = [
    { name: 'family', members: [...MEMBERS], share: 0.35 },
    { name: 'parents', members: ['anna', 'ben'], share: 0.1 },
    { name: 'kids', members: ['anna', 'cleo', 'dora', 'emil'], share: 0.1 },
    { name: 'grandparents', members: ['anna', 'ben', 'fay', 'gus', 'hana'], share: 0.1 },
    { name: 'holidays', members: ['anna', 'ben', 'cleo', 'dora', 'emil', 'fay'], share: 0.07 },
  ];
  const dms = MEMBERS.filter((m) => m !== READER).map((m) => ({ name: `dm-${m}`, members: [READER, m], share: 0.28 / (MEMBERS.length - 1) }));
  return [...rooms, ...dms];
}

function messageBody(i: number): string {
  if (i % 9 === 0) return `${CHINESE[i % CHINESE.length]}，第${i}条`;
  const words = Array.from({ length: 3 + (i % 14) }, (_, k) => WORDS[(i * 31 + k * 17) % WORDS.length]);
  return words.join(' ');
}

/** Accounts and rooms over HTTP, by a real server in `dir`. */
async function createHousehold(dir: string): Promise<DatasetInfo['rooms']> {
  const server = await startBenchServer({ dataDir: dir });
  try {
    const clients = await newClients(server, [...MEMBERS]);
    const byName = new Map<string, Client>(MEMBERS.map((m, i) => [m, clients[i]!]));
    const rooms: DatasetInfo['rooms'] = {};
    for (const room of householdRooms()) {
      const owner = byName.get(READER) as Client;
      const roomId = await owner.createRoom({ preset: 'private_chat', name: room.name, invite: room.members.filter((m) => m !== READER).map((m) => byName.get(m)!.userId) });
      for (const m of room.members) if (m !== READER) await byName.get(m)!.join(roomId);
      rooms[room.name] = { roomId, members: room.members, share: room.share };
    }
    return rooms;
  } finally {
    await server.stop();
  }
}

/**
 * One room's share of a transaction: message and reaction events built exactly as the room service
 * builds them (same PDU fields, content hash, reference-hash event ID, auth events, prev event,
 * depth, relation columns), stored with the production repository functions, then given to the
 * production persist hooks (push rules → push actions and read positions; search index). Two
 * shortcuts, for speed: one real ed25519 signature is reused (stored events are never re-verified;
 * the string has the real size), and the members and auth events of these message-only rooms are
 * read once instead of per event.
 */
interface RoomCursor {
  row: roomsRepo.RoomRow;
  version: RoomVersion;
  members: string[];
  auth: Map<string, string[]>;
  view: RoomStateView;
}

function cursorOf(db: SqlReader, roomId: string, members: string[]): RoomCursor {
  const row = roomsRepo.getRoom(db, roomId)!;
  const state = stateReader(db, roomId, new StateContentCache());
  const joined = roomsRepo.membersOfRoom(db, roomId, 'join');
  const auth = new Map(members.map((m) => [`@${m}:bench.local`, authEventIds(state, { type: 'm.room.message', sender: `@${m}:bench.local`, content: {} })]));
  const version = roomVersion(row.room_version)!;
  const view: RoomStateView = {
    roomId, version, creator: row.creator,
    content: (type, key) => state.content(type, key),
    joinedMembers: () => joined,
    powerLevels: () => effectivePowerLevels(state.content('m.room.power_levels', ''), row.creator),
  };
  return { row, version, members: joined, auth, view };
}

/** Messages through the production storage layer and persist hooks, in big transactions. */
async function writeHistory(dir: string, rooms: DatasetInfo['rooms'], total: number): Promise<void> {
  const log = createLogger(process.env.BENCH_LOG === 'debug' ? 'debug' : 'warn');
  // Snapshots at the engine's usual thresholds, as a server writing this history would make them.
  const storage = await openStorage({ dir, migrations: MIGRATIONS, log });
  const start = Date.now() - YEARS_MS;
  let written = 0;
  const clock: Clock = { now: () => start + Math.floor((written / total) * YEARS_MS) };
  const userData = createUserData({ storage, clock, notify: () => {} });
  const realKey = loadOrCreateSigningKey(dir);
  const signature = realKey.sign('a reused signature of the real length');
  const key: SigningKey = { ...realKey, sign: () => signature };
  const hooks: PersistHook[] = [
    (db, event, state) => userData.notifications.onEventPersisted(db, event, state),
    (db, event, state) => indexOnPersist(db, event, state),
  ];
  const list = Object.values(rooms);
  const cursors = storage.read((db) => new Map(list.map((r) => [r.roomId, cursorOf(db, r.roomId, r.members)])));
  const ROUND = 5000; // events per storage transaction, spread over the rooms by their share
  let n = 0;
  while (written < total) {
    const want = Math.min(ROUND, total - written);
    const ts = clock.now();
    const count = await storage.write((db) => {
      let pos = eventsRepo.latestStreamPos(db);
      let stored = 0;
      for (const room of list) {
        const c = cursors.get(room.roomId)!;
        const share = Math.max(1, Math.round(want * room.share));
        for (let k = 0; k < share; k++, n++) {
          const sender = `@${room.members[(n * 7 + k) % room.members.length]!}:bench.local`;
          const previous = c.row.last_event_id!;
          // Mostly text; some reactions and replies to the previous message, as a family chat has.
          const content: JsonObject = n % 10 === 3 ? { 'm.relates_to': { rel_type: 'm.annotation', event_id: previous, key: n % 20 === 3 ? '👍' : '❤️' } }
            : n % 20 === 7 ? { msgtype: 'm.text', body: messageBody(n), 'm.relates_to': { 'm.in_reply_to': { event_id: previous } } }
            : { msgtype: 'm.text', body: messageBody(n) };
          const type = n % 10 === 3 ? 'm.reaction' : 'm.room.message';
          const pdu: JsonObject = {
            auth_events: c.auth.get(sender)!, content, depth: c.row.last_depth + 1, origin_server_ts: ts,
            prev_events: [previous], room_id: room.roomId, sender, type,
          };
          const eventId = hashAndSign(pdu, c.version, 'bench.local', key);
          const relation = relationOf(content);
          pos += 1;
          eventsRepo.insertEvent(db, {
            stream_pos: pos, event_id: eventId, room_id: room.roomId, type, state_key: null, sender, origin_server_ts: ts,
            json: JSON.stringify(pdu), unsigned_json: null, membership: null, redacted_by: null,
            relates_to: relation?.eventId ?? null, rel_type: relation?.relType ?? null, txn_device: null, txn_id: null,
          });
          c.row.last_pos = pos;
          c.row.last_event_id = eventId;
          c.row.last_depth += 1;
          const event: PersistedEvent = { streamPos: pos, eventId, roomId: room.roomId, type, sender, originServerTs: ts, content, pdu };
          for (const hook of hooks) hook(db, event, c.view);
          stored++;
        }
        roomsRepo.advanceRoom(db, room.roomId, c.row.last_pos, c.row.last_event_id!, c.row.last_depth);
      }
      return stored;
    });
    written += count;
    // Everyone has read their rooms up to now (clients send receipts as they show messages;
    // here every 50k events, which prunes read notifications the same way, with fewer writes).
    if (written % 50_000 < count || written >= total) await Promise.all(list.flatMap((room) => room.members.map((m) => userData.receipts.setReceipt(`@${m}:bench.local`, room.roomId, 'm.read', cursors.get(room.roomId)!.row.last_event_id!, undefined))));
    if (Math.floor(written / 100_000) !== Math.floor((written - count) / 100_000)) progress(`history: ${written} events`);
  }
  progress(`history written (${written} events); snapshot`);
  userData.close();
  await finish(dir, storage);
}

/** Ends a dataset with one fresh snapshot and an empty journal, so a server starts without replay. */
async function finish(dir: string, storage: EngineStorage): Promise<void> {
  // The snapshot worker does not hold the event loop open (a server always does); we must.
  const keepAlive = setInterval(() => {}, 1000);
  const snap = await storage.snapshotNow().finally(() => clearInterval(keepAlive));
  progress(`snapshot ${(snap.bytes / 2 ** 20).toFixed(0)} MB`);
  await storage.close();
  // Journals wholly before the snapshot are only kept by the engine for the previous snapshot.
  for (const f of fs.readdirSync(dir)) {
    const m = /^journal-(\d+)\.log$/.exec(f);
    if (m && Number(m[1]) <= snap.seq) fs.rmSync(path.join(dir, f));
  }
  for (const f of fs.readdirSync(dir)) {
    const m = /^snapshot-(\d+)\.db$/.exec(f);
    if (m && Number(m[1]) < snap.seq) fs.rmSync(path.join(dir, f));
  }
}

/** The cached dataset of `events` stored events: made if missing, or migrated from one of an older schema. */
export async function ensureDataset(events: number): Promise<{ dir: string; info: DatasetInfo }> {
  const dir = datasetPath(events);
  const infoFile = path.join(dir, 'bench-dataset.json');
  if (fs.existsSync(infoFile)) return { dir, info: JSON.parse(fs.readFileSync(infoFile, 'utf8')) as DatasetInfo };
  fs.rmSync(dir, { recursive: true, force: true });
  const building = `${dir}.building-${process.pid}`;
  const older = olderSchema(events);
  if (older) {
    // Same history, older migrations: let the engine migrate it (minutes less than generating 1M).
    progress(`migrating the ${sizeLabel(events)}-event history of ${older} to the current schema`);
    fs.renameSync(copyDataset(older), building);
    await finish(building, await openStorage({ dir: building, migrations: MIGRATIONS, log: createLogger('warn') }));
    fs.renameSync(building, dir);
    return { dir, info: JSON.parse(fs.readFileSync(infoFile, 'utf8')) as DatasetInfo };
  }
  fs.mkdirSync(building, { recursive: true, mode: 0o700 });
  const started = performance.now();
  progress(`generating a ${sizeLabel(events)}-event household history in ${dir}`);
  const rooms = await createHousehold(building);
  progress(`household made`);
  const made = await countEvents(building);
  await writeHistory(building, rooms, events - made);
  const bigRoom = Object.values(rooms).sort((a, b) => b.share - a.share)[0]!.roomId;
  const info: DatasetInfo = { format: FORMAT, events, rooms, bigRoom, users: MEMBERS.length, generatedMs: performance.now() - started };
  fs.writeFileSync(path.join(building, 'bench-dataset.json'), JSON.stringify(info, null, 1));
  fs.renameSync(building, dir);
  progress(`generated ${sizeLabel(events)} events in ${(info.generatedMs / 1000).toFixed(0)} s`);
  return { dir, info };
}

function olderSchema(events: number): string | undefined {
  if (!fs.existsSync(ROOT)) return undefined;
  return fs.readdirSync(ROOT)
    .filter((d) => d.startsWith(`${events}-`) && !d.includes('.building'))
    .map((d) => path.join(ROOT, d))
    .find((d) => {
      try {
        return ((JSON.parse(fs.readFileSync(path.join(d, 'bench-dataset.json'), 'utf8')) as DatasetInfo).format ?? 1) === FORMAT;
      } catch {
        return false;
      }
    });
}

async function countEvents(dir: string): Promise<number> {
  const storage = await openStorage({ dir, migrations: MIGRATIONS, log: createLogger('warn') });
  try {
    return storage.read((db) => db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events')!.n);
  } finally {
    await storage.close();
  }
}

/**
 * A private copy of a dataset for one server run: snapshots are hard-linked (the server only reads
 * them, and removes rather than rewrites old ones), everything else is copied.
 */
export function copyDataset(from: string): string {
  const to = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-bench-run-'));
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (/^meowtrix\.lock/.test(entry.name) || entry.name.endsWith('.sock')) continue;
    if (entry.isDirectory()) fs.cpSync(src, dst, { recursive: true });
    else if (/^snapshot-\d+\.db$/.test(entry.name)) fs.linkSync(src, dst);
    else fs.copyFileSync(src, dst);
  }
  return to;
}

/** Bytes of the database as stored on disk (newest snapshot + journals). */
export function databaseBytes(dir: string): number {
  let snapshot = 0;
  let journals = 0;
  for (const f of fs.readdirSync(dir)) {
    if (/^snapshot-\d+\.db$/.test(f)) snapshot = Math.max(snapshot, fs.statSync(path.join(dir, f)).size);
    if (/^journal-\d+\.log$/.test(f)) journals += fs.statSync(path.join(dir, f)).size;
  }
  return snapshot + journals;
}

if (import.meta.filename === process.argv[1]) {
  for (const arg of process.argv.slice(2)) {
    const { dir, info } = await ensureDataset(Number(arg));
    process.stdout.write(`${dir} (${info.events} events, ${(databaseBytes(dir) / 2 ** 20).toFixed(0)} MB)\n`);
  }
}
