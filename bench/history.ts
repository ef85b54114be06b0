// What years of history cost: workloads 4, 7, 8 and 9 of issue 13 at 10k, 100k and 1M stored events
// (a household of 8 people in 12 rooms; see dataset.ts), each against a real server process
// started from a copy of the cached dataset:
//   7. cold start: spawning `meowtrix-server serve` until GET /health answers;
//   8. server RSS at rest after start, and after the workload, against the database file size;
//   4. incremental sync (one new message) and a /messages page, newest and deep in history;
//      plus the initial sync of the reader (anna, in all 12 rooms);
//   9. a snapshot forced while traffic runs (the engine's journal threshold, set low through the
//      environment): its duration, and the slowest of a steady stream of cheap requests during it
//      compared with the same stream just before it.
//   npm run bench -- history [--sizes 10000,100000,1000000] [--runs N] [--quick]
//   npm run bench -- scaling      (the same at 10k, 100k, 1M, with the ratios between sizes)
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { SERVER_MALLOC_ENV, SERVER_NODE_OPTIONS } from '../main/hosting/supervisor.ts';
import { RUNS, quick, option, report, progress, median, enc, rssMiB, procStatus, cpuSeconds, sleep, sizeLabel, call, loginAs, loadNote, SERVER_ARGS, serverCli, type Client } from './lib.ts';
import { ensureDataset, copyDataset, databaseBytes, READER, type DatasetInfo } from './dataset.ts';

const SIZES = (option('--sizes') ?? (quick ? '10000,100000' : '10000,100000,1000000')).split(',').map(Number);
const INCREMENTAL_ROUNDS = quick ? 30 : 100;
const PAGE_ROUNDS = quick ? 20 : 50;
/** Journal records before the engine snapshots: above what the earlier phases write, reached in the snapshot phase. */
const SNAPSHOT_AFTER_RECORDS = 400;

interface RunFigures {
  coldStartMs: number;
  rssAtRest: number;
  rssAfter: number;
  /** Peak RSS (VmHWM, reset just before) while the snapshot phase ran. */
  rssPeakSnapshot: number;
  initialSync: number;
  incremental: number;
  /** Server CPU per incremental sync (ms): immune to the machine's load, unlike the latency. */
  incrementalCpu: number;
  newestPage: number;
  deepPageCpu: number;
  deepPage: number;
  snapshotMs: number;
  stallMs: number;
  baselineStallMs: number;
}

interface Started {
  url: string;
  pid: number;
  stop(): Promise<void>;
  coldStartMs: number;
}

/** Spawns the CLI on a free port and times it until /health answers 200. */
async function coldStart(dataDir: string): Promise<Started> {
  const cli = serverCli(); // compiled on first use: not part of the start-up being timed
  const t0 = performance.now();
  // Started as the desktop app, systemd unit and container start it (V8 options, malloc setting).
  const proc = spawn(process.execPath, [...SERVER_NODE_OPTIONS, cli, 'serve', '--data', dataDir, '--port', '0', '--bind', '127.0.0.1', ...SERVER_ARGS],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...SERVER_MALLOC_ENV, MEOWTRIX_SNAPSHOT_AFTER_RECORDS: String(SNAPSHOT_AFTER_RECORDS) } });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let url = '';
  for (;;) {
    url ||= /Listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    if (url) {
      try {
        if ((await call(url, 'GET', '/health')).status === 200) break;
      } catch {
        // not answering yet
      }
    }
    if (proc.exitCode !== null) throw new Error(`server exited before /health answered:\n${out}`);
    if (performance.now() - t0 > 300_000) throw new Error(`no /health after 300 s:\n${out}`);
    await sleep(2);
  }
  const coldStartMs = performance.now() - t0;
  return {
    url, pid: proc.pid!, coldStartMs,
    async stop() {
      // The copy is thrown away: skip the clean stop's final snapshot (a minute at 1M events).
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
      if (/ERROR/.test(out)) progress(`server log:\n${out.slice(-2000)}`);
    },
  };
}

function threadCount(pid: number): number {
  return procStatus(pid, 'Threads').Threads;
}

function peakRssMiB(pid: number): number {
  return procStatus(pid, 'VmHWM').VmHWM / 1024;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The snapshot the engine starts once the journal passes its threshold, under steady sends and probes. */
async function snapshotUnderTraffic(server: Started, dataDir: string, sender: Client, prober: Client, roomId: string) {
  const snapshots = () => fs.readdirSync(dataDir).filter((f) => /^snapshot-\d+\.db$/.test(f)).sort();
  const journals = () => fs.readdirSync(dataDir).filter((f) => /^journal-\d+\.log$/.test(f)).sort();
  const before = snapshots().at(-1);
  const journalBefore = journals().at(-1);
  const probes: { start: number; ms: number }[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const start = performance.now();
      await prober.ok('GET', '/account/whoami');
      probes.push({ start, ms: performance.now() - start });
    }
  })();
  let startedAt = 0;
  let doneAt = 0;
  const watching = (async () => {
    const deadline = performance.now() + 600_000;
    while (!doneAt && performance.now() < deadline) {
      // The engine starts a snapshot by rotating the journal; its temp file shows it too.
      if (!startedAt && (journals().at(-1) !== journalBefore || fs.readdirSync(dataDir).some((f) => /^snapshot-\d+\.db\.tmp$/.test(f)))) startedAt = performance.now();
      if (snapshots().at(-1) !== before) doneAt = performance.now();
      await sleep(5);
    }
  })();
  const trafficStart = performance.now();
  let sent = 0;
  while (!doneAt) {
    if (performance.now() - trafficStart > 600_000) throw new Error('no snapshot within 600 s of traffic');
    await sender.send(roomId, `steady traffic ${sent++}`);
  }
  running = false;
  await Promise.all([probing, watching]);
  if (!startedAt) return { snapshotMs: NaN, stallMs: NaN, baselineStallMs: NaN, sent }; // its start was not seen
  const during = probes.filter((p) => p.start + p.ms >= startedAt && p.start <= doneAt);
  const span = doneAt - startedAt;
  // The same traffic for as long just before: what the machine's own noise looks like.
  const baseline = probes.filter((p) => p.start >= startedAt - span && p.start + p.ms < startedAt);
  const worst = (xs: { ms: number }[]) => (xs.length ? Math.max(...xs.map((p) => p.ms)) : 0);
  return { snapshotMs: span, stallMs: worst(during), baselineStallMs: worst(baseline), sent };
}

async function oneRun(size: number, dataset: { dir: string; info: DatasetInfo }, run: number): Promise<RunFigures> {
  const dataDir = copyDataset(dataset.dir);
  const label = sizeLabel(size);
  let server: Started | null = null;
  try {
    server = await coldStart(dataDir);
    await sleep(1000);
    const rssAtRest = rssMiB(server.pid);
    progress(`${label} run ${run}: cold start ${server.coldStartMs.toFixed(0)} ms, RSS ${rssAtRest.toFixed(0)} MiB`);
    const anna = await loginAs(server.url, READER);
    const ben = await loginAs(server.url, 'ben');
    const family = dataset.info.rooms.family!.roomId;

    const initial: number[] = [];
    let token = '';
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await anna.ok('GET', '/sync?timeout=0');
      initial.push(performance.now() - t);
      token = res.next_batch;
    }
    const incremental: number[] = [];
    let syncCpu = 0;
    for (let i = 0; i < INCREMENTAL_ROUNDS; i++) {
      await ben.send(family, `incremental ${i}`);
      const c = cpuSeconds(server.pid);
      const t = performance.now();
      const res = await anna.ok('GET', `/sync?since=${token}&timeout=0`);
      incremental.push(performance.now() - t);
      syncCpu += cpuSeconds(server.pid) - c; // 10 ms ticks: unbiased summed over many requests
      if (!res.rooms?.join?.[family]?.timeline?.events?.some((e: any) => e.content?.body === `incremental ${i}`)) throw new Error('incremental sync missed the message');
      token = res.next_batch;
    }

    const newest: number[] = [];
    for (let i = 0; i < PAGE_ROUNDS; i++) {
      newest.push(await timed(async () => {
        const page = await anna.ok('GET', `/rooms/${enc(family)}/messages?dir=b&limit=20`);
        if (page.chunk.length !== 20) throw new Error('short /messages page');
      }));
    }
    // A page from the middle of the history: find the event of that day, take its /context token, page back.
    const middle = Date.now() - 1.5 * 365 * 24 * 3600 * 1000;
    const found = await anna.ok('GET', `/_matrix/client/v1/rooms/${enc(family)}/timestamp_to_event?ts=${middle}&dir=f`);
    const context = await anna.ok('GET', `/rooms/${enc(family)}/context/${enc(found.event_id)}?limit=0`);
    const deep: number[] = [];
    const deepCpuStart = cpuSeconds(server.pid);
    for (let i = 0; i < PAGE_ROUNDS; i++) {
      deep.push(await timed(async () => {
        const page = await anna.ok('GET', `/rooms/${enc(family)}/messages?dir=b&limit=20&from=${enc(context.start)}`);
        if (page.chunk.length !== 20) throw new Error('short deep /messages page');
      }));
    }

    const deepPageCpu = ((cpuSeconds(server.pid) - deepCpuStart) * 1000) / PAGE_ROUNDS;
    const threadsBefore = threadCount(server.pid);
    fs.writeFileSync(`/proc/${server.pid}/clear_refs`, '5'); // VmHWM := VmRSS
    const snap = await snapshotUnderTraffic(server, dataDir, ben, anna, family);
    progress(`${label} run ${run}: snapshot ${snap.snapshotMs.toFixed(0)} ms after ${snap.sent} sends, slowest request ${snap.stallMs.toFixed(1)} ms (before: ${snap.baselineStallMs.toFixed(1)} ms)`);
    // The worker exits after proving and pruning; the sends during it may have started another.
    const settle = performance.now();
    while (threadCount(server.pid) > threadsBefore && performance.now() - settle < 300_000) await sleep(100);
    await sleep(1000);
    const rssPeakSnapshot = peakRssMiB(server.pid);
    const rssAfter = rssMiB(server.pid);
    const figures: RunFigures = {
      coldStartMs: server.coldStartMs, rssAtRest, rssAfter, rssPeakSnapshot, initialSync: median(initial), incremental: median(incremental),
      incrementalCpu: (syncCpu * 1000) / INCREMENTAL_ROUNDS, deepPageCpu, newestPage: median(newest), deepPage: median(deep), snapshotMs: snap.snapshotMs, stallMs: snap.stallMs, baselineStallMs: snap.baselineStallMs,
    };
    progress(`${label} run ${run}: incremental ${figures.incremental.toFixed(2)} ms, pages ${figures.newestPage.toFixed(2)}/${figures.deepPage.toFixed(2)} ms, ` +
      `initial ${figures.initialSync.toFixed(1)} ms, RSS peak during the snapshot ${rssPeakSnapshot.toFixed(0)} MiB, after ${rssAfter.toFixed(0)} MiB`);
    return figures;
  } finally {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

progress(loadNote());
const incrementalBySize = new Map<number, number>();
for (const size of SIZES) {
  const dataset = await ensureDataset(size);
  const label = sizeLabel(size);
  const dbMiB = databaseBytes(dataset.dir) / 2 ** 20;
  const runs: RunFigures[] = [];
  for (let r = 1; r <= RUNS; r++) runs.push(await oneRun(size, dataset, r));
  const col = (k: keyof RunFigures) => runs.map((x) => x[k]);
  const sz = `${label} events`;
  const base = incrementalBySize.get(SIZES[0]!);
  incrementalBySize.set(size, median(col('incremental')));
  report(`${sz}: cold start to /health`, 'ms', col('coldStartMs'), { about: 'spawn `serve` until GET /health is 200', size: `${sz}, ${dbMiB.toFixed(0)} MiB db`, ...(size >= 1e6 ? { target: { max: 5000 } } : {}) });
  report(`${sz}: server RSS at rest`, 'MiB', col('rssAtRest'), { about: '1 s after start, before any request', size: `${sz}, ${dbMiB.toFixed(0)} MiB db` });
  report(`${sz}: server RSS after the workload`, 'MiB', col('rssAfter'), {
    about: 'after syncs, pages, a snapshot (once its worker is gone)', size: `${sz}, ${dbMiB.toFixed(0)} MiB db`, target: { max: 2.5 * dbMiB + 80 }, targetNote: '2.5 × db + 80',
  });
  report(`${sz}: server peak RSS during a snapshot`, 'MiB', col('rssPeakSnapshot'), {
    about: 'VmHWM over the snapshot phase (traffic + snapshot worker)', size: `${sz}, ${dbMiB.toFixed(0)} MiB db`, target: { max: 2.5 * dbMiB + 80 }, targetNote: '2.5 × db + 80',
  });
  report(`${sz}: initial sync of a member of 12 rooms`, 'ms', col('initialSync'), { about: 'GET /sync without since', size: sz });
  report(`${sz}: incremental sync`, 'ms', col('incremental'), {
    about: 'GET /sync?since after one new message', size: sz,
    ...(base !== undefined && size !== SIZES[0] ? { target: { max: 1.5 * base }, targetNote: `1.5 × ${sizeLabel(SIZES[0]!)}` } : {}),
  });
  report(`${sz}: server CPU per incremental sync`, 'ms', col('incrementalCpu'), { about: 'server process CPU for the same requests (load-independent)', size: sz });
  report(`${sz}: server CPU per deep /messages page`, 'ms', col('deepPageCpu'), { about: 'server process CPU for the same requests (load-independent)', size: sz });
  report(`${sz}: /messages newest page`, 'ms', col('newestPage'), { about: '20 events back from the end of the biggest room', size: sz });
  report(`${sz}: /messages page deep in history`, 'ms', col('deepPage'), { about: '20 events back from 18 months ago', size: sz });
  report(`${sz}: snapshot duration`, 'ms', col('snapshotMs'), { about: 'journal rotation until the new snapshot file exists', size: `${sz}, ${dbMiB.toFixed(0)} MiB db` });
  report(`${sz}: slowest request during a snapshot`, 'ms', col('stallMs'), { about: 'GET whoami in a loop while sends run', size: sz });
  report(`${sz}: slowest request just before it`, 'ms', col('baselineStallMs'), { about: 'same loop, same length of time, no snapshot', size: sz });
}
progress(loadNote());
