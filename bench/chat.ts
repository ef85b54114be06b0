// The "standard run": a household's chat traffic against one real server process (the CLI, over
// loopback), then its RSS. Workloads 1, 2, 3, 5 and 8 (idle RSS) of issue 13:
//   1. send→receive latency: A sends, B's pending long-poll returns it (p50/p90/p99/max over 400 messages);
//   2. messages/s with 10 concurrent senders in one room, and 10 senders each in their own room;
//   3. initial sync of a user in 20 rooms × 200 messages, and of a user in 200 rooms × 50;
//   5. fan-out: 50 clients long-polling one room, time until all 50 have a new message;
//   8. server RSS idle (fresh start) and after all of the above (the "RSS after the standard run"): read 2 s
//      after the last request (the heap still as the burst left it) and again 20 s after, once the server
//      has given back what the burst took (server/memory.ts; V8's memory reducer).
// Each run starts a fresh server in a fresh data dir.
//   npm run bench -- chat [--quick] [--runs N]
import os from 'node:os';
import { RUNS, built, quick, report, progress, pct, median, enc, rssMiB, rssSplitMiB, cpuSeconds, mainThreadCpuSeconds, sleep, startBenchServer, newClients, loadNote, type Client } from './lib.ts';
import type { ServerProcess } from '../tests/helpers/server.ts';

const LATENCY_ROUNDS = quick ? 100 : 400;
const PER_SENDER = quick ? 50 : 200;
const FANOUT_CLIENTS = 50;
const FANOUT_ROUNDS = quick ? 10 : 30;
const BIG = { rooms: 20, messages: quick ? 50 : 200 };
const WIDE = { rooms: quick ? 50 : 200, messages: quick ? 10 : 50 };

/** Runs `fn` over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

interface RunFigures {
  rssIdle: number;
  latency: number[];
  oneRoom: number;
  tenRooms: number;
  cpuPerMessageMs: number;
  clientCpuPerMessageMs: number;
  mainCpuPerMessageMs: number;
  initialBig: number;
  initialWide: number;
  fanout: number[];
  rssAfter: number;
  rssSettled: number;
  rssSettledAnon: number;
  rssSettledFile: number;
}

/** Long-polls from `token` until a timeline event with this body arrives in the room; the new token and arrival time. */
async function waitForBody(client: Client, token: string, roomId: string, body: string): Promise<{ token: string; at: number }> {
  for (;;) {
    const res = await client.ok('GET', `/sync?since=${token}&timeout=30000`);
    token = res.next_batch;
    // Other news (presence, receipts, someone joining) also ends a long-poll; a client polls again.
    if (res.rooms?.join?.[roomId]?.timeline?.events?.some((e: any) => e.content?.body === body)) return { token, at: performance.now() };
  }
}

async function latency(anna: Client, ben: Client, roomId: string): Promise<number[]> {
  let token = (await ben.ok('GET', '/sync?timeout=0')).next_batch as string;
  await sleep(200);
  token = (await ben.ok('GET', `/sync?since=${token}&timeout=0`)).next_batch as string;
  const out: number[] = [];
  for (let i = 0; i < LATENCY_ROUNDS; i++) {
    const poll = waitForBody(ben, token, roomId, `ping ${i}`);
    await sleep(2); // let the long-poll reach the server and wait
    const t0 = performance.now();
    const sent = anna.send(roomId, `ping ${i}`);
    const got = await poll;
    out.push(got.at - t0);
    await sent;
    token = got.token;
  }
  return out;
}

async function throughput(senders: Client[], roomIds: string[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(senders.map(async (s, i) => {
    const roomId = roomIds[i % roomIds.length]!;
    for (let k = 0; k < PER_SENDER; k++) await s.send(roomId, `sender ${i} message ${k}`);
  }));
  return (senders.length * PER_SENDER) / ((performance.now() - t0) / 1000);
}

/** A user in `rooms` rooms of `messages` messages each; returns the median initial /sync time. */
async function initialSync(owner: Client, shape: { rooms: number; messages: number }): Promise<number> {
  const roomIds: string[] = [];
  await pool(Array.from({ length: shape.rooms }, (_, i) => i), 8, async (i) => {
    roomIds.push(await owner.createRoom({ name: `room ${i}` }));
  });
  const work = roomIds.flatMap((r) => Array.from({ length: shape.messages }, (_, k) => [r, k] as const));
  await pool(work, 10, async ([r, k]) => void (await owner.send(r, `room message ${k}: shall we have dinner at seven?`)));
  const times: number[] = [];
  for (let i = 0; i < (quick ? 3 : 9); i++) {
    const t = performance.now();
    const res = await owner.ok('GET', '/sync?timeout=0');
    times.push(performance.now() - t);
    if (Object.keys(res.rooms?.join ?? {}).length !== shape.rooms) throw new Error('initial sync is missing rooms');
  }
  return median(times);
}

async function fanout(sender: Client, listeners: Client[], roomId: string): Promise<number[]> {
  const tokens = await Promise.all(listeners.map(async (l) => (await l.ok('GET', '/sync?timeout=0')).next_batch as string));
  await sleep(500);
  await Promise.all(listeners.map(async (l, i) => (tokens[i] = (await l.ok('GET', `/sync?since=${tokens[i]}&timeout=0`)).next_batch)));
  const out: number[] = [];
  for (let round = 0; round < FANOUT_ROUNDS; round++) {
    const body = `fan-out ${round}`;
    const polls = listeners.map((l, i) => waitForBody(l, tokens[i]!, roomId, body).then((got) => {
      tokens[i] = got.token;
      return got.at;
    }));
    await sleep(30); // all 50 long-polls waiting at the server
    const t0 = performance.now();
    await sender.send(roomId, body);
    const arrivals = await Promise.all(polls);
    out.push(Math.max(...arrivals) - t0);
  }
  return out;
}

async function oneRun(run: number): Promise<RunFigures> {
  const server: ServerProcess = await startBenchServer();
  const pid = server.proc.pid!;
  try {
    await sleep(1000);
    const rssIdle = rssMiB(pid);
    progress(`run ${run}: server idle RSS ${rssIdle.toFixed(1)} MiB; creating 64 accounts`);
    const [anna, ben, cleo, dora] = await newClients(server, ['anna', 'ben', 'cleo', 'dora']) as [Client, Client, Client, Client];
    const senders = await newClients(server, Array.from({ length: 10 }, (_, i) => `sender${i}`));
    const listeners = await newClients(server, Array.from({ length: FANOUT_CLIENTS }, (_, i) => `phone${i}`));

    const family = await anna.createRoom({ preset: 'public_chat', name: 'family' });
    for (const u of [ben, ...senders]) await u.join(family);
    progress(`run ${run}: 1. send→receive latency, ${LATENCY_ROUNDS} messages`);
    const lat = await latency(anna, ben, family);

    progress(`run ${run}: 2. throughput, 10 senders in one room, then in 10 rooms`);
    const cpu0 = cpuSeconds(pid);
    const main0 = mainThreadCpuSeconds(pid);
    const client0 = process.cpuUsage();
    const oneRoom = await throughput(senders, [family]);
    const cpuPerMessageMs = ((cpuSeconds(pid) - cpu0) * 1000) / (senders.length * PER_SENDER);
    const clientCpu = process.cpuUsage(client0);
    const clientCpuPerMessageMs = (clientCpu.user + clientCpu.system) / 1000 / (senders.length * PER_SENDER);
    const mainCpuPerMessageMs = ((mainThreadCpuSeconds(pid) - main0) * 1000) / (senders.length * PER_SENDER);
    const own: string[] = [];
    for (const s of senders) own.push(await s.createRoom({ preset: 'private_chat', name: `${s.userId} and anna`, invite: [anna.userId] }));
    for (const r of own) await anna.join(r);
    const tenRooms = await throughput(senders, own);

    progress(`run ${run}: 3. initial sync, ${BIG.rooms} rooms × ${BIG.messages} and ${WIDE.rooms} rooms × ${WIDE.messages}`);
    const initialBig = await initialSync(cleo, BIG);
    const initialWide = await initialSync(dora, WIDE);

    progress(`run ${run}: 5. fan-out to ${FANOUT_CLIENTS} long-polls`);
    const hall = await anna.createRoom({ preset: 'public_chat', name: 'hall' });
    await Promise.all(listeners.map((l) => l.join(hall)));
    const fan = await fanout(anna, listeners, hall);

    await sleep(2000);
    const rssAfter = rssMiB(pid);
    await sleep(18_000);
    const rssSettled = rssMiB(pid);
    const { anon: rssSettledAnon, file: rssSettledFile } = rssSplitMiB(pid);
    const figures = {
      rssIdle, latency: lat, oneRoom, tenRooms, cpuPerMessageMs, clientCpuPerMessageMs, mainCpuPerMessageMs, initialBig, initialWide, fanout: fan,
      rssAfter, rssSettled, rssSettledAnon, rssSettledFile,
    };
    progress(`run ${run}: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, ${oneRoom.toFixed(0)}/${tenRooms.toFixed(0)} msg/s, ` +
      `${cpuPerMessageMs.toFixed(2)} ms CPU/msg (main thread ${mainCpuPerMessageMs.toFixed(2)}, client ${clientCpuPerMessageMs.toFixed(2)}), initial ${initialBig.toFixed(1)}/${initialWide.toFixed(1)} ms, fan-out p50 ${median(fan).toFixed(1)} ms, RSS ${rssAfter.toFixed(0)} MiB, 20 s later ${rssSettled.toFixed(0)} MiB`);
    return figures;
  } finally {
    await server.dispose();
  }
}

progress(loadNote());
progress(`the standard run: a fresh server, 64 accounts, then workloads 1 (${LATENCY_ROUNDS} messages), 2 (2 × ${10 * PER_SENDER} messages), ` +
  `3 (${BIG.rooms}×${BIG.messages} and ${WIDE.rooms}×${WIDE.messages}) and 5 (${FANOUT_ROUNDS} rounds × 50 clients) on it; its RSS 2 s and 20 s after is "RSS after the standard run"`);
progress(built ? 'the server runs compiled to JavaScript, as deployed' : 'the server runs from its .ts sources (--source)');
const runs: RunFigures[] = [];
for (let r = 1; r <= RUNS; r++) runs.push(await oneRun(r));
const col = <K extends keyof RunFigures>(k: K) => runs.map((x) => x[k]);
const lats = col('latency');
const msgs = `${LATENCY_ROUNDS} messages, 12 members`;
report('send→receive p50', 'ms', lats.map((l) => pct(l, 50)), { about: 'A sends, B\'s waiting long-poll returns it', size: msgs, target: { max: 2 } });
report('send→receive p90', 'ms', lats.map((l) => pct(l, 90)), { about: 'same, 90th percentile', size: msgs });
report('send→receive p99', 'ms', lats.map((l) => pct(l, 99)), { about: 'same, 99th percentile', size: msgs, target: { max: 10 } });
report('send→receive max', 'ms', lats.map((l) => Math.max(...l)), { about: 'same, slowest', size: msgs });
report('throughput, 10 senders, 1 room', 'msg/s', col('oneRoom'), { about: '10 concurrent clients sending in one room', size: `${10 * PER_SENDER} messages`, target: { min: 2000 } });
report('throughput, 10 senders, 10 rooms', 'msg/s', col('tenRooms'), { about: '10 concurrent clients, each in its own room', size: `${10 * PER_SENDER} messages`, target: { min: 2000 } });
report('server CPU per message sent', 'ms', col('cpuPerMessageMs'), { about: 'server process CPU during the 1-room throughput, per message', size: `${10 * PER_SENDER} messages` });
report('server main-thread CPU per message sent', 'ms', col('mainCpuPerMessageMs'), { about: 'same, the one thread that runs every request (what bounds throughput)', size: `${10 * PER_SENDER} messages` });
// The bench's own clients run on the same cores: server + client CPU per message bounds the throughput
// any closed loop can reach here (cores / that), whatever the server's latency. availableParallelism()
// counts the cores this process may run on (taskset -c 0: one).
report('bench client CPU per message sent', 'ms', col('clientCpuPerMessageMs'), { about: 'this process (the 10 senders) during the 1-room throughput, per message: it shares the cores', size: `${10 * PER_SENDER} messages` });
report('throughput ceiling from CPU, 1 room', 'msg/s', runs.map((r) => (os.availableParallelism() * 1000) / (r.cpuPerMessageMs + r.clientCpuPerMessageMs)), {
  about: 'CPU cores ÷ (server + client CPU per message): no closed loop on this machine gets past it', size: `${10 * PER_SENDER} messages`,
});
report(`initial sync, ${BIG.rooms} rooms × ${BIG.messages}`, 'ms', col('initialBig'), { about: 'GET /sync without since, default filter', size: `${BIG.rooms * BIG.messages} messages`, target: { max: 30 } });
report(`initial sync, ${WIDE.rooms} rooms × ${WIDE.messages}`, 'ms', col('initialWide'), { about: 'GET /sync without since, default filter', size: `${WIDE.rooms * WIDE.messages} messages` });
report('fan-out to 50 long-polls, median', 'ms', col('fanout').map((f) => median(f)), { about: 'one message until all 50 waiting clients have it', size: `${FANOUT_ROUNDS} messages`, target: { max: 20 } });
report('fan-out to 50 long-polls, max', 'ms', col('fanout').map((f) => Math.max(...f)), { about: 'same, slowest round', size: `${FANOUT_ROUNDS} messages` });
// RSS depends on how the server runs: compiled (as deployed; the default) or from its .ts sources.
const runsAs = built ? 'compiled server' : 'server from .ts sources (--source)';
report('server RSS idle', 'MiB', col('rssIdle'), { about: `fresh server, empty data dir, 1 s after start; ${runsAs}`, size: 'empty' });
const standardRunSize = `≈${(LATENCY_ROUNDS + 20 * PER_SENDER + BIG.rooms * BIG.messages + WIDE.rooms * WIDE.messages) / 1000}k messages`;
report('server RSS 2 s after the standard run', 'MiB', col('rssAfter'), {
  about: `after workloads 1, 2, 3, 5 on one server (64 accounts), the burst's heap not yet given back; ${runsAs}`, size: standardRunSize,
});
// The target is about the steady state: what a household's server holds between bursts.
report('server RSS after the standard run (20 s later)', 'MiB', col('rssSettled'), {
  about: `same server 20 s after its last request, settled; ${runsAs}`, size: standardRunSize, target: { max: 80 },
});
// What the settled RSS is made of: the file-backed part is the node binary's and libraries' code, which
// the kernel can drop and read back, and which other Node/Electron processes map too.
report('server RSS after the standard run, anonymous part', 'MiB', col('rssSettledAnon'), { about: 'RssAnon of the settled server: memory only this process holds', size: standardRunSize });
report('server RSS after the standard run, file-backed part', 'MiB', col('rssSettledFile'), { about: 'RssFile of the settled server: code pages, shared and reclaimable', size: standardRunSize });
progress(loadNote());
