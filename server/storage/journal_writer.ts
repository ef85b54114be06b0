// The journal file being appended to, and the fdatasync that makes its records durable.
//
// A batch's bytes are written synchronously, before its transaction commits: a full disk then
// refuses the batch and memory is rolled back untouched. The fdatasync runs on libuv's thread pool
// instead, so the event loop goes on parsing requests, running the next batch and computing
// answers while the disk works (on this class of hardware an fdatasync takes ≈ 1 ms, the CPU cost
// of a whole message). One is in flight at a time; it covers every record written before it
// started, and when it ends the next starts at once if more were written meanwhile, so batches
// share them (group commit). Nothing may leave the process before the records it may show are
// durable: `durable()` is what HTTP answers and other outputs wait for.
//
// An fdatasync that fails leaves memory ahead of the disk, and Linux may have dropped the pages it
// could not write, so retrying proves nothing: the writer fails for good and reports it (the
// server stops, and its restart recovers what is on disk; nothing unacknowledged was answered).
import type { FileLayer } from './files.ts';
import { StorageWriteError } from './errors.ts';

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a failure is reported through onFailure; waiting outputs are dropped
  return { promise, resolve, reject };
}

export interface JournalFileState {
  fd: number;
  firstSeq: number;
  /** Bytes of whole records written (durable or not). */
  length: number;
  records: number;
}

export class JournalWriter {
  readonly fd: number;
  readonly firstSeq: number;
  length: number;
  records: number;
  /** A failed append may have left bytes past `length`; they are cut before the next one. */
  private dirtyTail = false;
  private writtenSeq: number;
  private durableSeq: number;
  private inFlight: (Waiters & { upto: number }) | null = null;
  /** For records written while an fdatasync is in flight: the one after it. */
  private next: Waiters | null = null;
  private failure: StorageWriteError | null = null;
  private readonly files: FileLayer;
  private readonly onFailure: (err: StorageWriteError) => void;

  /** `lastSeq`: the last record already durable (in this file or before it). */
  constructor(files: FileLayer, state: JournalFileState, lastSeq: number, onFailure: (err: StorageWriteError) => void) {
    this.files = files;
    this.fd = state.fd;
    this.firstSeq = state.firstSeq;
    this.length = state.length;
    this.records = state.records;
    this.writtenSeq = this.durableSeq = lastSeq;
    this.onFailure = onFailure;
  }

  /** Writes whole records ending with record `lastSeq` at the known-good end; throws (having written nothing that counts) on failure. */
  append(bytes: Uint8Array, count: number, lastSeq: number): void {
    if (this.failure) throw this.failure;
    const { files, fd } = this;
    if (this.dirtyTail) {
      files.truncateSync(fd, this.length);
      this.dirtyTail = false;
    }
    try {
      files.writeAtSync(fd, bytes, this.length);
    } catch (err) {
      this.dirtyTail = true;
      try {
        files.truncateSync(fd, this.length);
        this.dirtyTail = false;
      } catch {
        // retried before the next append
      }
      throw err;
    }
    this.length += bytes.length;
    this.records += count;
    this.writtenSeq = lastSeq;
    if (!this.inFlight) this.startSync();
  }

  /** Resolves once every record written so far is on disk; null when it already is. */
  durable(): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    if (this.writtenSeq <= this.durableSeq) return null;
    if (this.inFlight && this.inFlight.upto >= this.writtenSeq) return this.inFlight.promise;
    this.next ??= waiters();
    return this.next.promise;
  }

  /** Waits until nothing written is left unsynced (before the file is closed or rotated away). */
  async settle(): Promise<void> {
    for (let wait = this.durable(); wait; wait = this.durable()) await wait;
  }

  /** Cuts bytes a failed append left behind (before the file is closed for good). */
  async cutDirtyTail(): Promise<void> {
    if (!this.dirtyTail) return;
    await this.files.truncate(this.fd, this.length);
    this.dirtyTail = false;
  }

  private startSync(): void {
    const upto = this.writtenSeq;
    const sync = Object.assign(this.next ?? waiters(), { upto });
    this.next = null;
    this.inFlight = sync;
    this.files.datasync(this.fd).then(
      () => {
        this.durableSeq = upto;
        this.inFlight = null;
        sync.resolve();
        if (this.writtenSeq > this.durableSeq) this.startSync();
      },
      (err: unknown) => {
        this.inFlight = null;
        this.failure = new StorageWriteError(err);
        sync.reject(this.failure);
        this.next?.reject(this.failure);
        this.next = null;
        this.onFailure(this.failure);
      },
    );
  }
}
