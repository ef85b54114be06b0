// Soak: 50 simulated devices (10 users × 5 devices, in 3 rooms) long-poll /sync and send messages
// for a bounded time against a real server process, with the default rate limits. Reports requests,
// error responses, messages lost or duplicated per device (must be 0), and the server's memory,
// file descriptors and active handles/timers before and after (after a GC, once the load stopped).
// `npm run soak` (10 minutes); SOAK_SECONDS=60 npm run soak for a short run. Not part of npm test.
// Kept outside bench/ so `npm run bench` does not run it.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser, login, type LoggedIn } from '../helpers/accounts.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const USERS = 10;
const DEVICES_PER_USER = 5;

interface Probe {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** Buffers and ArrayBuffers, incl. sql.js's WebAssembly memory, which never shrinks. */
  externalMb: number;
  /** ArrayBuffers alone: sql.js keeps each database file in one (its in-memory file system). */
  arrayBuffersMb: number;
  /** The main thread's WebAssembly memories (sql.js's heap: page cache, statements, temp space). */
  wasmMb: number;
  /** /proc/self/smaps_rollup: anonymous memory (heaps, malloc arenas, WebAssembly) vs the rest. */
  anonymousMb: number;
  /** Threads, incl. libuv's pool and any storage worker alive at the time. */
  threads: number;
  fds: number;
  resources: Record<string, number>;
}

// ---- the server side: this same file, forked with --server, so it can answer probes over IPC ----
if (process.argv[2] === '--server') {
  // Note every WebAssembly memory the server creates (sql.js does not expose its own).
  const memories: WebAssembly.Memory[] = [];
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiate = (async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const result: any = await instantiate(...args);
    const exports = (result.instance ?? result).exports as Record<string, unknown>;
    for (const value of Object.values(exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
    return result;
  }) as typeof WebAssembly.instantiate;
  const { startHomeserver } = await import('../../server/index.ts');
  const server = await startHomeserver({ dataDir: process.argv[3]!, port: 0, bind: '127.0.0.1', serverName: 'soak.local', logLevel: 'warn' });
  process.send!({ url: server.url });
  process.on('message', async (msg: { probe?: boolean; stop?: boolean; wait?: number; lastResort?: boolean }) => {
    if (msg.stop) {
      await server.close();
      process.exit(0);
    }
    if (msg.wait) await new Promise((r) => setTimeout(r, msg.wait));
    // A last-resort GC also hands V8's pooled heap pages back to the system.
    (globalThis as { gc?: (o?: object) => void }).gc?.(msg.lastResort ? { type: 'major', execution: 'sync', flavor: 'last-resort' } : undefined);
    const resources: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
    const mem = process.memoryUsage();
    const anonymousKb = Number(/^Anonymous:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0);
    if (process.env.SOAK_DEBUG) {
      const v8 = await import('node:v8');
      const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n');
      const pages = maps.filter((l) => { const [a, b] = l.split(' ')[0]!.split('-').map((x) => parseInt(x, 16)); return b! - a! === 256 * 1024 && l.trim().endsWith('rw-p 00000000 00:00 0'); }).length;
      process.stderr.write(`probe: ${JSON.stringify({ heap: v8.getHeapStatistics(), spaces: v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size, s.physical_space_size]), pages256k: pages })}\n`);
    }
    const probe: Probe = {
      rssMb: mem.rss / 2 ** 20, heapUsedMb: mem.heapUsed / 2 ** 20, heapTotalMb: mem.heapTotal / 2 ** 20, externalMb: mem.external / 2 ** 20, arrayBuffersMb: mem.arrayBuffers / 2 ** 20,
      wasmMb: memories.reduce((n, m) => n + m.buffer.byteLength, 0) / 2 ** 20, anonymousMb: anonymousKb / 1024,
      threads: fs.readdirSync('/proc/self/task').length, fds: fs.readdirSync('/proc/self/fd').length, resources,
    };
    process.send!({ probe });
  });
} else {
  await soak();
}

async function soak(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-soak-'));
  const child: ChildProcess = fork(import.meta.filename, ['--server', dataDir], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)));
  const probe = (options: { wait?: number; lastResort?: boolean } = {}) => new Promise<Probe>((resolve) => {
    child.once('message', (m: { probe: Probe }) => resolve(m.probe));
    child.send({ probe: true, ...options });
  });
  const server = { url, dataDir };

  let requests = 0;
  const errors = new Map<string, number>();
  const api = async (who: LoggedIn, method: string, p: string, body?: unknown): Promise<any> => {
    requests++;
    const res = await fetch(url + '/_matrix/client/v3' + p, {
      method,
      headers: { Authorization: `Bearer ${who.accessToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (res.status !== 200) {
      const key = `${res.status} ${json.errcode} ${method} ${p.split('?')[0]!.replace(/![^/]+/, '{room}')}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
      return null;
    }
    return json;
  };

  // Accounts, devices and rooms: everyone in the house room, two smaller rooms of five.
  const users: string[] = [];
  for (let u = 0; u < USERS; u++) {
    await createUser(server, `soak${u}`, `soak-pw-${u}`);
    users.push(`@soak${u}:soak.local`);
  }
  const devices: { session: LoggedIn; user: number }[] = [];
  for (let u = 0; u < USERS; u++) {
    for (let d = 0; d < DEVICES_PER_USER; d++) devices.push({ session: await login(server, `soak${u}`, `soak-pw-${u}`), user: u });
  }
  const owner = devices[0]!.session;
  const rooms: { id: string; members: number[] }[] = [];
  for (const members of [[...Array(USERS).keys()], [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]) {
    const created = await api(devices[members[0]! * DEVICES_PER_USER]!.session, 'POST', '/createRoom', { preset: 'private_chat' });
    rooms.push({ id: created.room_id, members });
    for (const m of members.slice(1)) {
      await api(devices[members[0]! * DEVICES_PER_USER]!.session, 'POST', `/rooms/${encodeURIComponent(created.room_id)}/invite`, { user_id: users[m] });
      await api(devices[m * DEVICES_PER_USER]!.session, 'POST', `/join/${encodeURIComponent(created.room_id)}`, {});
    }
  }
  void owner;

  // What each device must end up with: every soak message sent to a room it is in.
  const sentTo = new Map<string, Set<string>>(rooms.map((r) => [r.id, new Set()]));
  const seen = devices.map(() => new Map<string, number>()); // event_id → times delivered
  const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1000 }, state: { lazy_load_members: true } } }));

  const record = (i: number, res: any) => {
    for (const room of Object.values<any>(res?.rooms?.join ?? {})) {
      for (const ev of room.timeline?.events ?? []) {
        if (ev.type === 'm.room.message' && String(ev.content?.body).startsWith('soak|')) seen[i]!.set(ev.event_id, (seen[i]!.get(ev.event_id) ?? 0) + 1);
      }
    }
  };
  process.stdout.write(`soak: ${devices.length} devices, ${rooms.length} rooms, ${SECONDS} s\n`);
  const baseline = await probe();
  let running = true;
  const syncLoop = async (i: number) => {
    const dev = devices[i]!;
    // The first (initial) sync already counts: its timeline holds what was sent before it.
    let since: string | undefined;
    for (let first = true; first || running; first = false) {
      const res = await api(dev.session, 'GET', `/sync?timeout=${running && !first ? 30000 : 0}&filter=${filter}${since ? `&since=${since}` : ''}`);
      if (!res) continue;
      since = res.next_batch;
      record(i, res);
    }
    return since as string;
  };
  const sendLoop = async (i: number) => {
    const dev = devices[i]!;
    const myRooms = rooms.filter((r) => r.members.includes(dev.user));
    for (let n = 0; running; n++) {
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 4000));
      if (!running) break;
      const room = myRooms[n % myRooms.length]!;
      const res = await api(dev.session, 'PUT', `/rooms/${encodeURIComponent(room.id)}/send/m.room.message/soak-${i}-${n}`, { msgtype: 'm.text', body: `soak|${i}|${n}` });
      if (res) sentTo.get(room.id)!.add(res.event_id);
    }
  };
  const started = Date.now();
  const syncs = devices.map((_, i) => syncLoop(i));
  const sends = devices.map((_, i) => sendLoop(i));
  const progress = setInterval(() => process.stdout.write(`  ${Math.round((Date.now() - started) / 1000)} s: ${requests} requests, ${[...errors.values()].reduce((a, b) => a + b, 0)} errors\n`), 30_000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  running = false;
  clearInterval(progress);
  await Promise.all(sends);
  // Long-polls return when the server has news or time runs out; send one wake-up message per room.
  for (const room of rooms) {
    const res = await api(devices[room.members[0]! * DEVICES_PER_USER]!.session, 'PUT', `/rooms/${encodeURIComponent(room.id)}/send/m.room.message/soak-end`, { msgtype: 'm.text', body: 'soak|end' });
    if (res) sentTo.get(room.id)!.add(res.event_id);
  }
  const finalTokens = await Promise.all(syncs);
  // One last catch-up sync per device, so nothing sent after its last long-poll is counted lost.
  await Promise.all(devices.map(async (dev, i) => {
    record(i, await api(dev.session, 'GET', `/sync?timeout=0&filter=${filter}&since=${finalTokens[i]}`));
  }));

  let lost = 0;
  let duplicated = 0;
  let expected = 0;
  const missedBy = new Map<string, number[]>();
  devices.forEach((dev, i) => {
    for (const room of rooms.filter((r) => r.members.includes(dev.user))) {
      for (const id of sentTo.get(room.id)!) {
        expected++;
        const times = seen[i]!.get(id) ?? 0;
        if (times === 0) {
          lost++;
          missedBy.set(id, [...(missedBy.get(id) ?? []), i]);
        }
        if (times > 1) duplicated += times - 1;
      }
    }
  });
  if (process.env.SOAK_DEBUG) for (const [id, who] of missedBy) process.stdout.write(`missed ${id} by devices ${who.join(',')}\n`);
  // Our fetch keeps idle connections open for reuse; close them so the server's count shows only its own.
  await (globalThis as Record<symbol, { close?: () => Promise<void> } | undefined>)[Symbol.for('undici.globalDispatcher.1')]?.close?.();
  await new Promise((r) => setTimeout(r, 5000)); // let sockets close and timers run out
  const after = await probe();
  // V8's memory reducer gives unused heap pages back only after some idle seconds.
  const afterIdle = await probe({ wait: 30_000 });
  const afterLastResort = process.env.SOAK_DEBUG ? await probe({ lastResort: true }) : null;
  const messages = [...sentTo.values()].reduce((a, s) => a + s.size, 0);

  const report = {
    seconds: SECONDS,
    devices: devices.length,
    requests,
    errors: Object.fromEntries(errors),
    messagesSent: messages,
    deliveriesExpected: expected,
    lost,
    duplicated,
    memoryBefore: memoryFigures(baseline),
    memoryAfter: memoryFigures(after),
    memoryAfter30sIdle: memoryFigures(afterIdle),
    ...(afterLastResort ? { memoryAfterLastResortGc: memoryFigures(afterLastResort) } : {}),
    threads: { before: baseline.threads, after: after.threads },
    fds: { before: baseline.fds, after: after.fds },
    activeResources: { before: baseline.resources, after: after.resources },
  };
  process.stdout.write(`SOAK ${JSON.stringify(report, null, 2)}\n`);
  child.send({ stop: true });
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dataDir, { recursive: true, force: true });
  const totalErrors = [...errors.values()].reduce((a, b) => a + b, 0);
  process.exitCode = lost || duplicated || totalErrors ? 1 : 0;
}

function memoryFigures(p: Probe) {
  const mb = (n: number) => +n.toFixed(1);
  return { rssMb: mb(p.rssMb), anonymousMb: mb(p.anonymousMb), heapUsedMb: mb(p.heapUsedMb), heapTotalMb: mb(p.heapTotalMb), externalMb: mb(p.externalMb), arrayBuffersMb: mb(p.arrayBuffersMb), wasmMb: mb(p.wasmMb) };
}
