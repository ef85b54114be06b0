// Snapshots are written by a short-lived worker thread (shadow_worker.ts): it loads the newest
// snapshot on disk, replays the closed journals up to the requested record, exports, writes and
// exits. So db.export() (which copies the whole database and stalls its thread) never blocks
// requests, and no second copy of the database stays in memory between snapshots.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';

export interface ShadowInit {
  dir: string;
  /** Write the snapshot as of this record; every record up to it is in files on disk. */
  seq: number;
  /** Afterwards delete the snapshot and journal files this one makes unnecessary. */
  prune: boolean;
}

export type ShadowReply =
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; msg: string }
  | { type: 'snapshot-done'; file: string; bytes: number; exportMs: number; totalMs: number; pruned: string[] }
  | { type: 'snapshot-failed'; error: string };

export interface SnapshotResult {
  file: string;
  bytes: number;
  exportMs: number;
  /** From the worker's start: load, replay, export, write and read back. */
  totalMs: number;
  /** Older snapshot and journal files deleted once this one was proven whole. */
  pruned: string[];
}

// Run from source (.ts, type-stripped) or built (.js).
const WORKER_URL = new URL(`./shadow_worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class ShadowCopy {
  private worker: Worker | null = null;
  private readonly dir: string;
  private readonly log: Logger;

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.log = log;
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /** Writes a snapshot as of record seq in a new worker; the caller runs one at a time. */
  snapshot(seq: number, prune: boolean): Promise<SnapshotResult> {
    if (this.worker) return Promise.reject(new Error('a snapshot is already being written'));
    const worker = new Worker(WORKER_URL, { workerData: { dir: this.dir, seq, prune } satisfies ShadowInit });
    // Not unref()'d: a snapshot someone awaits must finish even if nothing else keeps the process up.
    this.worker = worker;
    return new Promise((resolve, reject) => {
      let outcome: { ok: SnapshotResult } | { error: Error } | null = null;
      worker.on('message', (reply: ShadowReply) => {
        if (reply.type === 'log') this.log[reply.level](`storage snapshot worker: ${reply.msg}`);
        else if (reply.type === 'snapshot-done') outcome = { ok: reply };
        else outcome = { error: new Error(reply.error) };
      });
      worker.on('error', (err) => (outcome ??= { error: err }));
      // Settled only once the worker is gone, so its memory is released before the next one starts.
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = null;
        const settled = outcome ?? { error: new Error(`the snapshot worker stopped (exit code ${code})`) };
        if ('ok' in settled) resolve(settled.ok);
        else reject(settled.error);
      });
    });
  }

  /** Abandons a snapshot in progress; its temp file is removed at the next start. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
