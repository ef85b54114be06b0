// Shared pieces of the benchmark suite: options, reporting, a lean keep-alive HTTP client (fetch's
// own overhead would dominate millisecond figures), the server process and its RSS.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CLI, ROOT, startServer, type ServerProcess } from '../tests/helpers/server.ts';
import { createUser } from '../tests/helpers/accounts.ts';

const argv = process.argv.slice(2);
export const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
export const quick = argv.includes('--quick');
/** Independent repetitions of each measurement (fresh server each time); the table shows median/min/max over them. */
export const RUNS = Number(option('--runs') ?? (quick ? 1 : 3));

export type Target = { max: number } | { min: number };

export interface FigureMeta {
  /** What the figure measures, in a few words. */
  about: string;
  /** The data it was measured on, e.g. "1M events". */
  size?: string;
  target?: Target;
  /** How the target was derived, when it is relative (e.g. "1.5 × the 10k figure"). */
  targetNote?: string;
}

export function report(figure: string, unit: string, samples: number[], meta: FigureMeta): void {
  process.stdout.write(`BENCH ${JSON.stringify({ figure, unit, samples, ...meta })}\n`);
}

export const progress = (msg: string): void => void process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
export const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const enc = encodeURIComponent;
export const sizeLabel = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const SERVER_NAME = 'bench.local';
/** The per-user send/invite limits protect a household from a flooding device; benchmarks measure capacity. */
export const SERVER_ARGS = ['--server-name', SERVER_NAME, '--log-level', 'error',
  '--rate-limit', 'send.user=1000000:1000000', '--rate-limit', 'invite.user=1000000:1000000', '--rate-limit', 'send.ip=1000000:1000000'];

/**
 * The server runs compiled to JavaScript, as every deployment runs it (npm package, desktop app,
 * container). --source runs its .ts sources under Node's type stripping instead, which costs the server
 * process ≈ 11–16 MiB of RSS (the stripper's WebAssembly, the sources kept as strings) and some start-up time.
 */
export const built = !argv.includes('--source');
let builtCli: string | undefined;

/** Compiles server/ once per benchmark process into its own directory (benchmarks may run side by side). */
function builtServerCli(): string {
  if (builtCli) return builtCli;
  // Under node_modules/ so the compiled server resolves the project's packages as dist/server does.
  const out = path.join(ROOT, 'node_modules', '.cache', `meowtrix-bench-server-${process.pid}`);
  fs.rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'server', 'tsconfig.json'), '--outDir', path.join(out, 'server')], { stdio: 'inherit' });
  fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  process.once('exit', () => fs.rmSync(out, { recursive: true, force: true }));
  return (builtCli = path.join(out, 'server', 'cli.js'));
}

/** The server entry a benchmark runs: compiled (the default) or its .ts sources (--source). */
export function serverCli(): string {
  return built ? builtServerCli() : CLI;
}

export function startBenchServer(options: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ServerProcess> {
  return startServer({ dataDir: options.dataDir, args: [...SERVER_ARGS, ...(options.args ?? [])], env: options.env, cli: serverCli() });
}

/** Numeric fields of /proc/PID/status (kB for memory, a count for Threads), read in one go; 0 for a missing one. */
export function procStatus<F extends string>(pid: number, ...fields: F[]): Record<F, number> {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const out = {} as Record<F, number>;
  for (const f of fields) out[f] = Number(new RegExp(`^${f}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return out;
}

/** Resident set size of a process (the server's, not ours), in MiB. */
export function rssMiB(pid: number): number {
  return procStatus(pid, 'VmRSS').VmRSS / 1024;
}

/** A process's resident memory split into anonymous (RssAnon: heap, malloc, its data) and file-backed (RssFile: mapped code) pages, in MiB. */
export function rssSplitMiB(pid: number): { anon: number; file: number } {
  const { RssAnon, RssFile, RssShmem } = procStatus(pid, 'RssAnon', 'RssFile', 'RssShmem');
  return { anon: RssAnon / 1024, file: (RssFile + RssShmem) / 1024 };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds of a process's main thread alone (its JavaScript, event loop and synchronous I/O). */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(file: string): number {
  const fields = fs.readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export function loadNote(): string {
  return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export interface Reply {
  status: number;
  body: any;
}

/** One HTTP request over a kept-alive loopback connection; JSON in, JSON out. */
export function call(base: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const req = http.request(base + path, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // plain text (e.g. /health)
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A logged-in user of the benchmark; every call must answer 200. */
export class Client {
  readonly base: string;
  readonly token: string;
  readonly userId: string;
  private txn = 0;

  constructor(base: string, token: string, userId: string) {
    this.base = base;
    this.token = token;
    this.userId = userId;
  }

  /** `path` under /_matrix/client/v3, or a full path starting with /_matrix. */
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const full = path.startsWith('/_matrix') ? path : `/_matrix/client/v3${path}`;
    const res = await call(this.base, method, full, { token: this.token, body });
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  }

  send(roomId: string, body: string): Promise<{ event_id: string }> {
    return this.ok('PUT', `/rooms/${enc(roomId)}/send/m.room.message/b${process.pid}-${this.txn++}`, { msgtype: 'm.text', body });
  }

  async createRoom(body: Record<string, unknown>): Promise<string> {
    return (await this.ok('POST', '/createRoom', body)).room_id;
  }

  join(roomId: string): Promise<unknown> {
    return this.ok('POST', `/join/${enc(roomId)}`, {});
  }
}

export const passwordOf = (localpart: string): string => `pw-${localpart}-bench`;

/** Password login through POST /login (waits out a 429 as a client would). */
export async function loginAs(base: string, localpart: string): Promise<Client> {
  for (let attempt = 0; ; attempt++) {
    const res = await call(base, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: passwordOf(localpart) },
    });
    if (res.status === 429 && attempt < 20) {
      await sleep(Number(res.body?.retry_after_ms ?? 1000));
      continue;
    }
    if (res.status !== 200) throw new Error(`login ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
    return new Client(base, res.body.access_token, res.body.user_id);
  }
}

/** Creates the accounts through the running server's admin socket (as `meowtrix-server user add` does) and logs them in. */
export async function newClients(server: ServerProcess, localparts: string[]): Promise<Client[]> {
  const out: Client[] = [];
  for (const name of localparts) {
    await createUser(server, name, passwordOf(name));
    out.push(await loginAs(server.url, name));
  }
  return out;
}

/** Waits until GET /health answers 200; returns when it did. */
export async function waitHealthy(base: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if ((await call(base, 'GET', '/health')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${base}/health did not answer in ${timeoutMs} ms`);
    await sleep(2);
  }
}
