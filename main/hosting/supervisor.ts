// Runs the homeserver as a child process and keeps it up: start, clean stop (stop message, then
// SIGTERM, then SIGKILL), restart on crash with exponential backoff, and liveness from GET /health.
import { EventEmitter } from 'node:events';
import type { HostedChild, ProcessLauncher } from './launcher.ts';
import type { RotatingLog } from './log_file.ts';

/**
 * glibc keeps freed big buffers (scrypt's 16 MB per password check) in per-thread pools unless
 * they are mapped on their own; this halves the server's resident memory after a few logins.
 * Only an environment variable of the new process can set it.
 */
export const SERVER_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '1048576' } as const;

/**
 * Node options of the server process. Under load V8 grows the young generation to 128 MiB (64 MiB
 * semi-spaces), all of it resident until the heap shrinks again; capped at 8 MiB semi-spaces, RSS
 * right after the standard benchmark run (bench/chat.ts) is ≈ 190 instead of ≈ 300 MiB. 8, not less:
 * in alternating runs a sent message cost 2.29 ms server CPU by default, 2.28 at 8 and 2.46 (+7%) at 4
 * (more scavenges, more promotion), for about the same memory. Only the process's own command line can set it (v8.setFlagsFromString comes too
 * late); the CLI deployments pass it as NODE_OPTIONS.
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];

/** What the host entry reads from MEOWTRIX_HOST_CONFIG (a subset of the server's HomeserverConfig). */
export interface HostConfig {
  port: number;
  bind: string;
  serverName: string;
  dataDir: string;
  logLevel?: string;
  webRoot?: string | null;
}

export type HostingState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export interface HostingStatus {
  state: HostingState;
  /** Loopback URL of the running server (for this PC's own client and health checks). */
  url: string | null;
  port: number | null;
  serverName: string | null;
  pid: number | null;
  /** Epoch ms of the current process's start. */
  startedAt: number | null;
  /** Crashes restarted from since start() was called. */
  restarts: number;
  /** Why the server is not running: a start failure or the last crash. */
  lastError: string | null;
  /** 'port-in-use' | 'config' | 'error' for start failures that a restart cannot fix. */
  failure: string | null;
}

export interface SupervisorOptions {
  launcher: ProcessLauncher;
  entry: string;
  log?: RotatingLog;
  /** Or: the log for a config (e.g. server.log in its data dir), opened at each start(). */
  openLog?: (config: HostConfig) => RotatingLog;
  /** First restart delay; doubles per crash up to maxBackoffMs, reset after a healthy minute. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  healthIntervalMs?: number;
  /** Consecutive failed /health probes that count as a hang (the process is then killed and restarted). */
  healthFailures?: number;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  now?: () => number;
}

interface Ready {
  url: string;
  port: number;
  serverName: string;
}

export class HostingSupervisor extends EventEmitter<{ status: [HostingStatus] }> {
  private readonly opts: Required<Omit<SupervisorOptions, 'log' | 'openLog'>> & Pick<SupervisorOptions, 'log' | 'openLog'>;
  private log: RotatingLog | undefined;
  private child: HostedChild | null = null;
  private config: HostConfig | null = null;
  private wanted = false;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private healthMisses = 0;
  private exited: Promise<void> = Promise.resolve();
  private current: HostingStatus = { state: 'stopped', url: null, port: null, serverName: null, pid: null, startedAt: null, restarts: 0, lastError: null, failure: null };

  constructor(options: SupervisorOptions) {
    super();
    this.opts = {
      initialBackoffMs: 500,
      maxBackoffMs: 30_000,
      healthIntervalMs: 5_000,
      healthFailures: 3,
      startTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
      now: Date.now,
      ...options,
    };
    this.backoffMs = this.opts.initialBackoffMs;
  }

  get status(): HostingStatus {
    return { ...this.current };
  }

  /** Starts the server (stopping a running one first when the config changed); resolves once it listens. */
  async start(config: HostConfig): Promise<HostingStatus> {
    if (this.wanted && this.child && sameConfig(this.config, config) && this.current.state === 'running') return this.status;
    await this.stop();
    this.config = config;
    this.log = this.opts.log ?? this.opts.openLog?.(config);
    this.wanted = true;
    this.backoffMs = this.opts.initialBackoffMs;
    this.update({ restarts: 0, lastError: null, failure: null });
    await this.launch();
    return this.status;
  }

  /** Stops the server cleanly and waits until its process is gone (its port is then free). */
  async stop(): Promise<void> {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.stopHealth();
    const child = this.child;
    if (child) {
      child.postMessage({ type: 'stop' });
      const term = setTimeout(() => child.kill('SIGTERM'), 2_000);
      const kill = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs);
      await this.exited;
      clearTimeout(term);
      clearTimeout(kill);
    }
    if (this.current.state !== 'failed') this.update({ state: 'stopped', url: null, port: null, pid: null, startedAt: null });
  }

  private launch(): Promise<void> {
    const config = this.config!;
    this.update({ state: this.current.restarts > 0 ? 'restarting' : 'starting', url: null, port: null, pid: null });
    const child = this.opts.launcher.launch({
      entry: this.opts.entry,
      env: { MEOWTRIX_HOST_CONFIG: JSON.stringify({ ...config }), ...SERVER_MALLOC_ENV },
      execArgv: [...SERVER_NODE_OPTIONS],
    });
    this.child = child;
    this.update({ pid: child.pid ?? null });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.log?.write(chunk));
    }
    this.log?.write(`${new Date(this.opts.now()).toISOString()} SUPERVISOR starting homeserver (pid ${child.pid ?? '?'})\n`);

    let resolveExited!: () => void;
    this.exited = new Promise((resolve) => (resolveExited = resolve));

    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          clearTimeout(startTimer);
          resolve();
        }
      };
      const startTimer = setTimeout(() => {
        this.update({ lastError: 'the server did not start in time' });
        child.kill('SIGKILL');
      }, this.opts.startTimeoutMs);

      child.onMessage((message) => {
        const m = message as { type?: unknown } & Partial<Ready> & { reason?: string; error?: string };
        if (m.type === 'ready' && typeof m.url === 'string') {
          this.update({ state: 'running', url: m.url, port: m.port ?? null, serverName: m.serverName ?? null, startedAt: this.opts.now(), lastError: null });
          this.startHealth(m.url);
          settle();
        } else if (m.type === 'failed') {
          // A taken port or a bad config will fail the same way again: no restart loop.
          const permanent = m.reason === 'port-in-use' || m.reason === 'config';
          this.update({ lastError: m.error ?? 'start failed', failure: permanent ? (m.reason ?? null) : null });
          if (permanent) this.wanted = false;
        }
      });

      child.onExit((code) => {
        this.child = null;
        this.stopHealth();
        resolveExited();
        this.log?.write(`${new Date(this.opts.now()).toISOString()} SUPERVISOR homeserver exited (code ${code})\n`);
        if (this.wanted) {
          const ranFor = this.current.startedAt === null ? 0 : this.opts.now() - this.current.startedAt;
          if (ranFor > 60_000) this.backoffMs = this.opts.initialBackoffMs;
          this.update({
            state: 'restarting',
            url: null,
            port: null,
            pid: null,
            startedAt: null,
            restarts: this.current.restarts + 1,
            lastError: this.current.lastError ?? `the server stopped unexpectedly (exit code ${code})`,
          });
          const delay = this.backoffMs;
          this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs);
          this.restartTimer = setTimeout(() => {
            this.restartTimer = null;
            if (this.wanted) void this.launch();
          }, delay);
        } else if (this.current.failure) {
          this.update({ state: 'failed', url: null, port: null, pid: null, startedAt: null });
        } else {
          this.update({ state: 'stopped', url: null, port: null, pid: null, startedAt: null });
        }
        settle();
      });
    });
  }

  private startHealth(url: string): void {
    this.stopHealth();
    this.healthMisses = 0;
    this.healthTimer = setInterval(() => {
      void probeHealth(url).then((ok) => {
        if (ok) {
          this.healthMisses = 0;
          return;
        }
        this.healthMisses++;
        if (this.healthMisses >= this.opts.healthFailures && this.child) {
          this.update({ lastError: '/health stopped answering' });
          this.child.kill('SIGKILL'); // onExit restarts it
        }
      });
    }, this.opts.healthIntervalMs);
    this.healthTimer.unref();
  }

  private stopHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
  }

  private update(patch: Partial<HostingStatus>): void {
    this.current = { ...this.current, ...patch };
    this.emit('status', this.status);
  }
}

/** GET /health answers "OK" within 3 s. */
export async function probeHealth(baseUrl: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok && (await res.text()).trim() === 'OK';
  } catch {
    return false;
  }
}

function sameConfig(a: HostConfig | null, b: HostConfig): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}
