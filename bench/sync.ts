// Rooms and sync figures against a real server process (the CLI, as phones reach it):
//   - send→receive latency: A sends, B's pending long-poll returns it (p50, p99);
//   - messages/s with 10 concurrent senders in one room;
//   - initial sync of a user in 20 rooms × 200 messages;
//   - incremental sync with 10k stored events vs a large history (default 100k; --large N), which must stay flat;
//   - the server's RSS at the end.
//   node bench/sync.ts [--quick] [--large 1000000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, type ServerProcess } from '../tests/helpers/server.ts';
import { createUser, login, type LoggedIn } from '../tests/helpers/accounts.ts';
import { openStorage } from '../server/storage/database.ts';
import { MIGRATIONS } from '../server/storage/migrations/index.ts';
import { createLogger } from '../server/log.ts';
import { RoomService } from '../server/rooms/service.ts';
import { loadOrCreateSigningKey } from '../server/rooms/signing_key.ts';
import { Notifier } from '../server/sync/notifier.ts';
import { systemClock } from '../server/clock.ts';
import type { EventDraft } from '../server/rooms/types.ts';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const LARGE = Number(option('--large') ?? (quick ? 30_000 : 100_000));
const BASE = 10_000;
const LATENCY_ROUNDS = quick ? 100 : 400;
const PER_SENDER = quick ? 50 : 200;
const SERVER_NAME = 'bench.local';
const FILLER = `@filler:${SERVER_NAME}`;
// The per-user send limit protects a household from a flooding device; the benchmark measures capacity.
const SERVER_ARGS = ['--server-name', SERVER_NAME, '--rate-limit', 'send.user=1000000:1000000', '--rate-limit', 'invite.user=1000000:1000000'];

const report = (figure: string, unit: string, samples: number[]) => process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples })}\n`);
const progress = (msg: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const enc = encodeURIComponent;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-bench-sync-'));
let server: ServerProcess | null = null;
let archiveRoom = '';

/** Stored history written straight through the room service (signed, hashed, authorised), in big batches. */
async function growHistory(total: number): Promise<void> {
  const log = createLogger('warn');
  const storage = await openStorage({ dir: dataDir, migrations: MIGRATIONS, log });
  const rooms = new RoomService({ serverName: SERVER_NAME, storage, clock: systemClock, signingKey: loadOrCreateSigningKey(dataDir), notifier: new Notifier(), log });
  if (!archiveRoom) {
    archiveRoom = `!archive${Date.now()}:${SERVER_NAME}`;
    const create = (type: string, content: Record<string, unknown>, stateKey = ''): EventDraft => ({ type, stateKey, content: content as never, sender: FILLER });
    await rooms.createRoom({
      roomId: archiveRoom, version: '10', creator: FILLER, isPublic: true,
      drafts: [
        create('m.room.create', { creator: FILLER, room_version: '10' }),
        create('m.room.member', { membership: 'join' }, FILLER),
        create('m.room.power_levels', { users: { [FILLER]: 100 } }),
        create('m.room.join_rules', { join_rule: 'public' }),
        create('m.room.history_visibility', { history_visibility: 'shared' }),
      ],
    });
  }
  let stored = storage.read((db) => db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events')!.n);
  while (stored < total) {
    const n = Math.min(1000, total - stored);
    const drafts: EventDraft[] = Array.from({ length: n }, (_, i) => ({
      type: 'm.room.message', sender: FILLER, content: { msgtype: 'm.text', body: `archived message ${stored + i}: ${'lorem ipsum '.repeat(8)}` },
    }));
    await rooms.sendBatch(archiveRoom, drafts);
    stored += n;
    if (stored % 50_000 < 1000) progress(`history: ${stored} events`);
  }
  await storage.close();
}

async function users(names: string[]): Promise<LoggedIn[]> {
  const out: LoggedIn[] = [];
  for (const n of names) {
    try {
      await createUser(server!, n, `pw-${n}`);
    } catch {
      // exists from the first phase
    }
    out.push(await login(server!, n, `pw-${n}`));
  }
  return out;
}

async function call(who: LoggedIn, method: string, p: string, body?: unknown) {
  const res = await request(server!.url, method, `/_matrix/client/v3${p}`, { token: who.accessToken, body });
  if (res.status !== 200) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let txn = 0;
const send = (who: LoggedIn, roomId: string, body: string) => call(who, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/b${txn++}`, { msgtype: 'm.text', body });

async function measureIncremental(label: string, reader: LoggedIn, writer: LoggedIn, roomId: string): Promise<void> {
  let token = (await call(reader, 'GET', '/sync?timeout=0')).next_batch as string;
  const samples: number[] = [];
  for (let i = 0; i < (quick ? 30 : 100); i++) {
    await send(writer, roomId, `incremental ${i}`);
    const t0 = performance.now();
    const res = await call(reader, 'GET', `/sync?since=${token}&timeout=0`);
    samples.push(performance.now() - t0);
    token = res.next_batch;
  }
  report(`incremental sync, ${label} stored events`, 'ms', samples);
}

try {
  progress(`writing ${BASE} stored events`);
  await growHistory(BASE);
  server = await startServer({ dataDir, args: SERVER_ARGS });
  const senders = await users(Array.from({ length: 10 }, (_, i) => `sender${i}`));
  const [anna, ben, cleo] = await users(['anna', 'ben', 'cleo']) as [LoggedIn, LoggedIn, LoggedIn];
  const roomId = (await call(anna, 'POST', '/createRoom', { preset: 'public_chat' })).room_id as string;
  for (const u of [ben, ...senders]) await call(u, 'POST', `/join/${enc(roomId)}`, {});
  await call(ben, 'POST', `/join/${enc(archiveRoom)}`, {});

  progress('send→receive latency');
  let token = (await call(ben, 'GET', '/sync?timeout=0')).next_batch as string;
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_ROUNDS; i++) {
    const poll = call(ben, 'GET', `/sync?since=${token}&timeout=30000`);
    await new Promise((r) => setTimeout(r, 3)); // let the long-poll reach the server and wait
    const t0 = performance.now();
    await send(anna, roomId, `ping ${i}`);
    const res = await poll;
    latencies.push(performance.now() - t0);
    token = res.next_batch;
  }
  report('send→receive p50', 'ms', [pct(latencies, 50)]);
  report('send→receive p99', 'ms', [pct(latencies, 99)]);

  progress('10 concurrent senders');
  const t0 = performance.now();
  await Promise.all(senders.map(async (s, i) => {
    for (let k = 0; k < PER_SENDER; k++) await send(s, roomId, `sender ${i} message ${k}`);
  }));
  report('messages/s, 10 concurrent senders', 'msg/s', [(10 * PER_SENDER) / ((performance.now() - t0) / 1000)]);

  progress('20 rooms × 200 messages for the initial sync');
  const rooms: string[] = [];
  for (let r = 0; r < 20; r++) rooms.push((await call(cleo, 'POST', '/createRoom', { name: `room ${r}` })).room_id);
  await Promise.all(rooms.map(async (r) => {
    for (let k = 0; k < 200; k++) await send(cleo, r, `room message ${k}`);
  }));
  const initial: number[] = [];
  for (let i = 0; i < (quick ? 5 : 15); i++) {
    const t = performance.now();
    const res = await call(cleo, 'GET', '/sync?timeout=0');
    initial.push(performance.now() - t);
    if (Object.keys(res.rooms.join).length < 20) throw new Error('initial sync is missing rooms');
  }
  report('initial sync, 20 rooms × 200 messages', 'ms', initial);

  await measureIncremental(`${(BASE / 1000).toFixed(0)}k`, ben, anna, roomId);
  await server.stop();
  server = null;

  progress(`growing the history to ${LARGE} stored events`);
  await growHistory(LARGE);
  server = await startServer({ dataDir, args: SERVER_ARGS });
  const [anna2, ben2] = await users(['anna', 'ben']) as [LoggedIn, LoggedIn];
  await measureIncremental(`${LARGE >= 1e6 ? `${LARGE / 1e6}M` : `${LARGE / 1000}k`}`, ben2, anna2, roomId);
  const status = fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  report('server RSS after the run', 'MiB', [rssKb / 1024]);
} finally {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
