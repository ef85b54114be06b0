// Where a read path spends its SQL time: starts the homeserver in this process on a copy of a
// benchmark dataset (bench/dataset.ts), times every statement the storage runner executes while
// one workload runs over HTTP, and prints the statements by total time with their query plans.
//   node bench/sql_profile.ts SIZE WORKLOAD [ROUNDS]
//   WORKLOAD: incremental | initial | messages | deep | fanout (50 long-polls woken by one message)
import fs from 'node:fs';
import { SqliteRunner } from '../server/storage/sqlite.ts';
import { startHomeserver } from '../server/index.ts';
import { createLogger } from '../server/log.ts';
import { ensureDataset, copyDataset } from '../bench/dataset.ts';
import { loginAs, newClients, enc, median, type Client } from '../bench/lib.ts';
import type { ServerProcess } from '../tests/helpers/server.ts';

const [size = '10000', workload = 'incremental', roundsArg = '50'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const stats = new Map<string, { n: number; ms: number; params: unknown }>();
let recording = false;
let live: SqliteRunner | null = null;
const originalAll = SqliteRunner.prototype.all;
for (const method of ['get', 'all', 'run'] as const) {
  const original = SqliteRunner.prototype[method] as (this: SqliteRunner, sql: string, params?: unknown) => unknown;
  (SqliteRunner.prototype as unknown as Record<string, unknown>)[method] = function (this: SqliteRunner, sql: string, params?: unknown) {
    if (!recording) return original.call(this, sql, params);
    live = this;
    const t = performance.now();
    try {
      return original.call(this, sql, params);
    } finally {
      const s = stats.get(sql) ?? { n: 0, ms: 0, params };
      s.n++;
      s.ms += performance.now() - t;
      stats.set(sql, s);
    }
  };
}

const { dir, info } = await ensureDataset(Number(size));
const dataDir = copyDataset(dir);
const server = await startHomeserver({ dataDir, port: 0, bind: '127.0.0.1', serverName: 'bench.local', logLevel: 'error', actionRateLimits: undefined } as never, { log: createLogger('error') });
try {
  const anna = await loginAs(server.url, 'anna');
  const ben = await loginAs(server.url, 'ben');
  const family = info.rooms.family!.roomId;
  let token = (await anna.ok('GET', '/sync?timeout=0')).next_batch as string;
  const found = await anna.ok('GET', `/_matrix/client/v1/rooms/${enc(family)}/timestamp_to_event?ts=${Date.now() - 1.5 * 365 * 86400e3}&dir=f`);
  const context = await anna.ok('GET', `/rooms/${enc(family)}/context/${enc(found.event_id)}?limit=0`);
  let listeners: { client: Client; token: string }[] = [];
  let hall = '';
  if (workload === 'fanout') {
    hall = await anna.createRoom({ preset: 'public_chat', name: 'hall' });
    const fake = { url: server.url, dataDir } as ServerProcess;
    const clients = await newClients(fake, Array.from({ length: 50 }, (_, i) => `phone${i}`));
    for (const c of clients) await c.join(hall);
    listeners = await Promise.all(clients.map(async (client) => ({ client, token: (await client.ok('GET', '/sync?timeout=0')).next_batch as string })));
  }
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (workload === 'incremental') await ben.send(family, `round ${i}`);
    recording = true;
    const t = performance.now();
    const c = process.cpuUsage();
    if (workload === 'incremental') token = (await anna.ok('GET', `/sync?since=${token}&timeout=0`)).next_batch;
    else if (workload === 'initial') await anna.ok('GET', '/sync?timeout=0');
    else if (workload === 'messages') await anna.ok('GET', `/rooms/${enc(family)}/messages?dir=b&limit=20`);
    else if (workload === 'deep') await anna.ok('GET', `/rooms/${enc(family)}/messages?dir=b&limit=20&from=${enc(context.start)}`);
    else if (workload === 'fanout') {
      const polls = listeners.map(async (l) => {
        for (;;) {
          const res = await l.client.ok('GET', `/sync?since=${l.token}&timeout=30000`);
          l.token = res.next_batch;
          if (res.rooms?.join?.[hall]?.timeline?.events?.some((e: any) => e.content?.body === `fan ${i}`)) return;
        }
      });
      await new Promise((r) => setTimeout(r, 30));
      await anna.send(hall, `fan ${i}`);
      await Promise.all(polls);
    } else throw new Error(`unknown workload ${workload}`);
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    recording = false;
  }
  const total = [...stats.values()].reduce((a, s) => a + s.ms, 0);
  process.stdout.write(`${workload} at ${size} events: median ${median(times).toFixed(2)} ms per request (CPU ${median(cpu).toFixed(2)} ms, client included), SQL ${(total / rounds).toFixed(2)} ms per request\n\n`);
  const plan = (sql: string, params: unknown): string => {
    if (!live || !/^\s*SELECT/i.test(sql)) return '';
    const rows = originalAll.call(live, `EXPLAIN QUERY PLAN ${sql}`, params as never) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  };
  for (const [sql, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
    process.stdout.write(`${(s.ms / rounds).toFixed(3).padStart(8)} ms/req ${String(s.n / rounds).padStart(6)}×  ${sql.replace(/\s+/g, ' ').slice(0, 220)}\n    params ${JSON.stringify(s.params)?.slice(0, 200)}\n    plan   ${plan(sql, s.params)}\n`);
  }
} finally {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
