// Main-thread handle on the shadow copy (shadow_worker.ts). The worker is fed every durable
// batch of journal records, in order, and writes a snapshot on request. If it dies, the next
// snapshot request starts a new one from the files on disk.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';

export interface ShadowInit {
  dir: string;
  /** Replay up to (and including) this record, the last one the live database has. */
  upToSeq: number;
}

export type ShadowRequest = { type: 'records'; bytes: Uint8Array } | { type: 'snapshot'; id: number; seq: number; prune: boolean };

export type ShadowReply =
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; msg: string }
  | { type: 'broken'; error: string }
  | { type: 'snapshot-done'; id: number; file: string; bytes: number; exportMs: number; totalMs: number; pruned: string[] }
  | { type: 'snapshot-failed'; id: number; error: string };

export interface SnapshotResult {
  file: string;
  bytes: number;
  exportMs: number;
  totalMs: number;
  /** Older snapshot and journal files deleted once this one was proven readable. */
  pruned: string[];
}

// Run from source (.ts, type-stripped) or built (.js).
const WORKER_URL = new URL(`./shadow_worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class ShadowCopy {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: SnapshotResult) => void; reject: (e: Error) => void }>();
  private readonly dir: string;
  private readonly log: Logger;

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.log = log;
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts a worker that loads the files on disk up to record upToSeq. */
  start(upToSeq: number): void {
    const worker = new Worker(WORKER_URL, { workerData: { dir: this.dir, upToSeq } satisfies ShadowInit });
    worker.unref();
    worker.on('message', (reply: ShadowReply) => this.onReply(reply));
    worker.on('error', (err) => this.log.error('storage shadow copy failed', err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      for (const w of this.waiting.values()) w.reject(new Error('the shadow copy stopped'));
      this.waiting.clear();
    });
    this.worker = worker;
  }

  /** Feeds one durable batch of encoded journal records. */
  post(bytes: Uint8Array): void {
    this.worker?.postMessage({ type: 'records', bytes } satisfies ShadowRequest);
  }

  /** Writes a snapshot as of record seq; then (if prune) deletes the files it makes unnecessary, off the main thread. */
  snapshot(seq: number, prune: boolean): Promise<SnapshotResult> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('the shadow copy is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ type: 'snapshot', id, seq, prune } satisfies ShadowRequest);
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private onReply(reply: ShadowReply): void {
    if (reply.type === 'log') this.log[reply.level](`storage shadow copy: ${reply.msg}`);
    else if (reply.type === 'broken') this.log.error(`storage shadow copy: ${reply.error}`);
    else {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.type === 'snapshot-done') waiter?.resolve(reply);
      else waiter?.reject(new Error(reply.error));
    }
  }
}
