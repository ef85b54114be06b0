// Storage engine figures: durable commits/s and commit latency with 1 and 16 writers; at 10k,
// 100k and 1M chat events: snapshot duration, the longest event-loop stall and slowest commit
// while a snapshot is written, what db.export() alone would block the main thread for, start-up
// time (load + replay, in a fresh process) and RSS.
//   node bench/storage.ts [--quick] [--runs N] [--sizes 10000,100000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openStorage, type EngineStorage } from '../server/storage/database.ts';
import { createLogger } from '../server/log.ts';
import { loadSqlJs } from '../server/storage/sqlite.ts';
import { decodeSnapshot } from '../server/storage/snapshot.ts';
import type { Migration, SqlWriter } from '../server/storage/types.ts';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const runs = Number(option('--runs') ?? (quick ? 2 : 3));
const sizes = (option('--sizes') ?? (quick ? '10000,100000' : '10000,100000,1000000')).split(',').map(Number);
const log = createLogger('warn');

const migrations: Migration[] = [
  { version: 1, name: 'meta', up: (db) => db.run('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)') },
  {
    version: 2,
    name: 'events',
    up(db) {
      db.run('CREATE TABLE events (stream INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, room_id TEXT NOT NULL, sender TEXT NOT NULL, type TEXT NOT NULL, content TEXT NOT NULL, ts INTEGER NOT NULL)');
      db.run('CREATE INDEX events_room ON events (room_id, stream)');
    },
  },
];

// Child mode: measure start-up (sql.js load + snapshot load + journal replay) in a fresh process.
if (argv[0] === '--child-open') {
  const started = performance.now();
  await loadSqlJs();
  const wasmMs = performance.now() - started;
  const storage = await openStorage({ dir: argv[1]!, migrations, log });
  const ms = performance.now() - started;
  const count = storage.read((db) => db.get<{ n: number }>('SELECT count(*) AS n FROM events')!.n);
  process.stdout.write(JSON.stringify({ ms, wasmMs, rss: process.memoryUsage().rss, count }) + '\n');
  process.exit(0);
}

const report = (figure: string, unit: string, samples: number[]) => process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples })}\n`);
const progress = (msg: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const mb = (bytes: number) => bytes / 1024 / 1024;

let nextStream = 1;
/** One chat event, ~600 bytes as stored: the size of a typical m.room.message row. */
function insertEvent(db: SqlWriter): void {
  const n = nextStream++;
  const content = JSON.stringify({ msgtype: 'm.text', body: `message ${n}: ${'lorem ipsum dolor sit amet '.repeat(10)}`, 'm.mentions': {} });
  db.run('INSERT INTO events (stream, event_id, room_id, sender, type, content, ts) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    n,
    `$${n.toString(36)}${'Q'.repeat(36)}`,
    `!room${n % 20}:bench.local`,
    `@user${n % 7}:bench.local`,
    'm.room.message',
    content,
    1_700_000_000_000 + n,
  ]);
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-bench-'));
}

async function open(dir: string, snapshotAfterBytes = 64 * 1024 * 1024): Promise<EngineStorage> {
  return openStorage({ dir, migrations, log, snapshotAfterRecords: 1e12, snapshotAfterBytes });
}

/** `total` single-event commits from `writers` concurrent writers; commits/s and latencies. */
async function throughput(writers: number, total: number): Promise<{ perSecond: number; p50: number; p99: number; cpuUsPerCommit: number }> {
  const dir = tempDir();
  const storage = await open(dir);
  for (let i = 0; i < 200; i++) await storage.write(insertEvent); // warm-up
  const latencies: number[] = [];
  let issued = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (issued < total) {
        issued++;
        const t = performance.now();
        await storage.write(insertEvent);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { perSecond: latencies.length / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), cpuUsPerCommit: (used.user + used.system) / latencies.length };
}

interface SizeRun {
  snapshotMs: number;
  stallMs: number;
  baselineStallMs: number;
  slowestCommitMs: number;
  baselineSlowestCommitMs: number;
  exportOnMainMs: number;
  snapshotMB: number;
  startupMs: number;
  startupWasmMs: number;
  startupRssMB: number;
  rssWithShadowMB: number;
}

/** Longest gap between event-loop turns, and slowest commit of a steady writer, while `during` runs. */
async function probe<T>(storage: EngineStorage, during: () => Promise<T>): Promise<{ result: T; stallMs: number; slowestCommitMs: number }> {
  let running = true;
  let stallMs = 0;
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  let slowestCommitMs = 0;
  const writer = (async () => {
    while (running) {
      const t = performance.now();
      await storage.write(insertEvent);
      slowestCommitMs = Math.max(slowestCommitMs, performance.now() - t);
    }
  })();
  const result = await during();
  running = false;
  await writer;
  return { result, stallMs, slowestCommitMs };
}

async function sizeRun(size: number): Promise<SizeRun> {
  const dir = tempDir();
  nextStream = 1;
  const storage = await open(dir);
  const batch = 5_000;
  while (nextStream <= size) {
    const rows = Math.min(batch, size - nextStream + 1);
    await storage.write((db) => {
      for (let i = 0; i < rows; i++) insertEvent(db);
    });
  }
  // Some single-event commits, as chat traffic makes them, then a snapshot with traffic running.
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = 0; i < 60; i++) await storage.write(insertEvent);
  }));
  await storage.snapshotNow(); // waits for any threshold snapshot of the build, so the shadow copy is live
  for (let i = 0; i < 500; i++) await storage.write(insertEvent);
  const snapStarted = performance.now();
  const { result: snap, stallMs, slowestCommitMs } = await probe(storage, () => storage.snapshotNow());
  const snapWall = performance.now() - snapStarted;
  // The same probe for as long with no snapshot: what the machine's own noise looks like.
  const baseline = await probe(storage, () => new Promise((r) => setTimeout(r, snapWall)));
  for (let i = 0; i < 1000; i++) await storage.write(insertEvent); // journal left for start-up to replay
  const rssWithShadowMB = mb(process.memoryUsage().rss);
  await storage.close();

  // What exporting on the main thread would have blocked requests for.
  const SQL = await loadSqlJs();
  const db = new SQL.Database(decodeSnapshot(fs.readFileSync(snap.file), snap.file).image);
  const t = performance.now();
  db.export();
  const exportOnMainMs = performance.now() - t;
  db.close();
  (globalThis as { gc?: () => void }).gc?.();

  const child = spawnSync(process.execPath, [import.meta.filename, '--child-open', dir], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`start-up child failed: ${child.stderr}`);
  const opened = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number; wasmMs: number; rss: number; count: number };
  if (opened.count !== nextStream - 1) throw new Error(`start-up saw ${opened.count} events, expected ${nextStream - 1}`);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    snapshotMs: snap.totalMs,
    stallMs,
    baselineStallMs: baseline.stallMs,
    slowestCommitMs,
    baselineSlowestCommitMs: baseline.slowestCommitMs,
    exportOnMainMs,
    snapshotMB: mb(snap.bytes),
    startupMs: opened.ms,
    startupWasmMs: opened.wasmMs,
    startupRssMB: mb(opened.rss),
    rssWithShadowMB,
  };
}

// Other processes compete for the 2 cores; say how busy the machine was.
progress(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
const load: number[] = [os.loadavg()[0]!];
const cpuOne: number[] = [];
const cpuSixteen: number[] = [];
const one: number[] = [];
const sixteen: number[] = [];
const p50: number[] = [];
const p99: number[] = [];
const p50one: number[] = [];
const p99one: number[] = [];
for (let r = 0; r < runs; r++) {
  const a = await throughput(1, quick ? 1_500 : 3_000);
  one.push(a.perSecond);
  p50one.push(a.p50);
  p99one.push(a.p99);
  const b = await throughput(16, quick ? 10_000 : 30_000);
  sixteen.push(b.perSecond);
  cpuOne.push(a.cpuUsPerCommit);
  cpuSixteen.push(b.cpuUsPerCommit);
  p50.push(b.p50);
  p99.push(b.p99);
  progress(`throughput run ${r + 1}: 1 writer ${a.perSecond.toFixed(0)}/s, 16 writers ${b.perSecond.toFixed(0)}/s (p50 ${b.p50.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms)`);
}
report('commits/s, 1 writer', 'commits/s', one);
report('commit latency p50, 1 writer', 'ms', p50one);
report('commit latency p99, 1 writer', 'ms', p99one);
report('commits/s, 16 writers', 'commits/s', sixteen);
report('commit latency p50, 16 writers', 'ms', p50);
report('commit latency p99, 16 writers', 'ms', p99);
report('CPU per commit (process), 1 writer', 'µs', cpuOne);
report('CPU per commit (process), 16 writers', 'µs', cpuSixteen);

for (const size of sizes) {
  const label = size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`;
  const results: SizeRun[] = [];
  const times = size >= 1_000_000 ? 1 : runs;
  for (let r = 0; r < times; r++) {
    const res = await sizeRun(size);
    results.push(res);
    progress(`${label} run ${r + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, Math.round(v * 10) / 10])))}`);
  }
  const col = (k: keyof SizeRun) => results.map((x) => x[k]);
  report(`${label} events: snapshot duration (shadow worker)`, 'ms', col('snapshotMs'));
  report(`${label} events: longest event-loop stall during snapshot`, 'ms', col('stallMs'));
  report(`${label} events: longest event-loop stall, same time without snapshot`, 'ms', col('baselineStallMs'));
  report(`${label} events: slowest commit during snapshot`, 'ms', col('slowestCommitMs'));
  report(`${label} events: slowest commit, same time without snapshot`, 'ms', col('baselineSlowestCommitMs'));
  report(`${label} events: db.export() on the main thread (avoided)`, 'ms', col('exportOnMainMs'));
  report(`${label} events: snapshot size`, 'MB', col('snapshotMB'));
  report(`${label} events: start-up (load + replay, fresh process)`, 'ms', col('startupMs'));
  report(`${label} events: of which loading sql.js (WASM)`, 'ms', col('startupWasmMs'));
  report(`${label} events: RSS after start-up`, 'MB', col('startupRssMB'));
  report(`${label} events: RSS with shadow copy`, 'MB', col('rssWithShadowMB'));
}
load.push(os.loadavg()[0]!);
report('machine load average (1 min) at start and end', 'load', load);
