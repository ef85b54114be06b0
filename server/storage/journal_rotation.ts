// The journal files over time: the one being appended to, and when to start a new one and have a
// snapshot written as of the old one's end (past a size or record threshold, or when asked).
// The snapshot itself is written by a short-lived worker from the files on disk (shadow.ts); until
// it is proven readable the old journal stays, and a failed one is retried after a pause.
import path from 'node:path';
import type { FileLayer } from './files.ts';
import { journalName } from './layout.ts';
import { JournalWriter } from './journal_writer.ts';
import type { ShadowCopy, SnapshotResult } from './shadow.ts';
import { StorageError } from './errors.ts';
import type { Logger } from '../log.ts';

export type SnapshotTaken = SnapshotResult & { seq: number };

const RETRY_SNAPSHOT_MS = 5_000;

export interface RotationParts {
  files: FileLayer;
  dir: string;
  log: Logger;
  shadow: ShadowCopy;
  snapshotAfterRecords: number;
  snapshotAfterBytes: number;
  onDiskFailure: (err: Error) => void;
  /** Wakes the engine's flush loop, which calls between() at its next turn. */
  kick: () => void;
  closed: () => boolean;
}

export class JournalRotation {
  /** The journal being appended to. */
  journal: JournalWriter;
  snapshotsWritten = 0;
  lastSnapshot: SnapshotTaken | null = null;
  private snapshotting: Promise<SnapshotTaken> | null = null;
  private forced = false;
  private waiters: ((attempt: Promise<SnapshotTaken> | null) => void)[] = [];
  /** An empty journal file could not be removed after a failed rotation: prune nothing until restart. */
  private strayJournal = false;
  private retryAfter = 0;
  private readonly p: RotationParts;

  constructor(parts: RotationParts, journal: JournalWriter) {
    this.p = parts;
    this.journal = journal;
  }

  /** Asks for a snapshot of every record up to now; resolves with the attempt once it has started (null if it could not). */
  request(): Promise<Promise<SnapshotTaken> | null> {
    // The flush loop starts it at its next turn (it may never be idle under steady writes).
    const started = new Promise<Promise<SnapshotTaken> | null>((resolve) => this.waiters.push(resolve));
    this.forced = true;
    this.p.kick();
    return started;
  }

  /** A requested snapshot has not started yet: the flush loop must turn again. */
  get pending(): boolean {
    return this.forced && !this.snapshotting;
  }

  /** Called by the flush loop between batches: past the threshold (or when asked), rotate and snapshot. */
  async between(nextSeq: number): Promise<void> {
    // A requested snapshot waits for one in flight to finish: it must include every record up to now.
    if (this.snapshotting) return;
    const forced = this.forced;
    this.forced = false;
    const waiters = forced ? this.waiters.splice(0) : [];
    try {
      await this.rotate(forced, nextSeq);
    } finally {
      for (const w of waiters) w(this.snapshotting);
    }
  }

  /** At close: requests not started yet are told so. */
  abandon(): void {
    for (const w of this.waiters.splice(0)) w(null);
  }

  private pastThreshold(): boolean {
    return this.journal.records >= this.p.snapshotAfterRecords || this.journal.length >= this.p.snapshotAfterBytes;
  }

  private async rotate(forced: boolean, nextSeq: number): Promise<void> {
    const j = this.journal;
    if (!forced && (!this.pastThreshold() || Date.now() < this.retryAfter)) return;
    const seq = nextSeq - 1;
    if (j.records > 0) {
      const { files, dir } = this.p;
      const file = path.join(dir, journalName(nextSeq));
      let fd: number | null = null;
      try {
        await j.settle(); // the old journal is closed, and snapshotted from disk, only once all of it is there
        await j.cutDirtyTail();
        fd = await files.openAsync(file, true);
        await files.fsyncDirAsync(dir); // the new journal must survive a crash before it is written to
      } catch (err) {
        this.p.log.warn(`storage: could not start a new journal ${file}; retrying later`, err);
        if (fd !== null) {
          files.close(fd);
          try {
            files.unlink(file);
          } catch {
            // Recovery removes it; until then its name would mislead pruning.
            this.strayJournal = true;
          }
        }
        this.retryAfter = Date.now() + RETRY_SNAPSHOT_MS;
        return;
      }
      files.close(j.fd);
      this.journal = new JournalWriter(files, { fd, firstSeq: nextSeq, length: 0, records: 0 }, seq, this.p.onDiskFailure);
    }
    this.startSnapshot(seq);
  }

  private startSnapshot(seq: number): void {
    const { shadow, log } = this.p;
    log.debug(`storage: snapshot at record ${seq} started`);
    const attempt = shadow.snapshot(seq, !this.strayJournal).then(
      (result) => {
        this.snapshotsWritten++;
        this.lastSnapshot = { ...result, seq };
        log.info(`storage: snapshot at record ${seq} written (${(result.bytes / 1e6).toFixed(1)} MB, export ${result.exportMs.toFixed(0)} ms, total ${result.totalMs.toFixed(0)} ms)`);
        return this.lastSnapshot;
      },
      (err: Error) => {
        // close() abandons a snapshot in progress on purpose (its temp file is removed at the next start).
        if (this.p.closed()) log.debug(`storage: snapshot at record ${seq} abandoned at close: ${err.message}`);
        else log.warn(`storage: snapshot at record ${seq} failed, will retry: ${err.message}`);
        this.retryAfter = Date.now() + RETRY_SNAPSHOT_MS;
        throw new StorageError(`snapshot failed: ${err.message}`);
      },
    );
    this.snapshotting = attempt;
    attempt.catch(() => undefined).finally(() => {
      if (this.snapshotting === attempt) this.snapshotting = null;
      // The journal may have passed the threshold again meanwhile.
      if (!this.p.closed() && (this.forced || (this.pastThreshold() && Date.now() >= this.retryAfter))) this.p.kick();
    });
  }
}
