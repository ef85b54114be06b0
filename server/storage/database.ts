// The storage engine: sql.js in memory, made durable by a journal of committed transactions.
//
// A write batch (every write queued in the same tick) runs once inside a transaction on the live
// database while its statements are recorded; they are written to the journal, then the
// transaction commits and the writes resolve. A failed disk write rolls back and leaves memory
// untouched. The journal's fdatasync runs meanwhile off the event loop (journal_writer.ts), and
// whatever leaves the process waits for it through durable(). Each record carries a sequence
// number; when the journal passes a threshold a new journal file is started and a snapshot is
// written as of the last record of the old one (journal_rotation.ts).
import path from 'node:path';
import type { Database } from 'sql.js';
import { loadSqlJs, applyRecords, type SqliteRunner } from './sqlite.ts';
import { encodeRecords, type JournalRecord, type JournalStatement } from './journal.ts';
import { JournalWriter } from './journal_writer.ts';
import { JournalRotation, type SnapshotTaken } from './journal_rotation.ts';
import { diskFiles, type FileLayer } from './files.ts';
import { journalName, listStorageFiles, pruneFiles } from './layout.ts';
import { lockDataDir, type DataDirLock } from './lock.ts';
import { recover } from './recovery.ts';
import { ShadowCopy } from './shadow.ts';
import { StorageError, StorageWriteError } from './errors.ts';
import type { Migration, SqlParams, SqlReader, SqlWriter, Storage } from './types.ts';
import { migrate } from './migrate.ts';
import type { Logger } from '../log.ts';

export { StorageError, StorageWriteError } from './errors.ts';

const DML = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;
/** The table a DML statement writes (no triggers exist, so it writes only that one). */
const DML_TABLE = /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`]?(\w+)/i;

interface StatementKind {
  dml: boolean;
  /** The table it writes; null for DDL and anything unknown (bumps every table's version). */
  table: string | null;
}
/** Statement texts are a small fixed set (parameters are bound), so each is classified once. */
const kinds = new Map<string, StatementKind>();
function kindOf(sql: string): StatementKind {
  let kind = kinds.get(sql);
  if (!kind) {
    kind = { dml: DML.test(sql), table: DML_TABLE.exec(sql)?.[1]?.toLowerCase() ?? null };
    if (kinds.size >= 10_000) kinds.clear(); // a caller building statement texts dynamically
    kinds.set(sql, kind);
  }
  return kind;
}

export interface OpenStorageOptions {
  dir: string;
  migrations: readonly Migration[];
  log: Logger;
  /** Snapshot once the current journal holds this many records (default: $MEOWTRIX_SNAPSHOT_AFTER_RECORDS or 50,000)... */
  snapshotAfterRecords?: number;
  /** ...or this many bytes (default: $MEOWTRIX_SNAPSHOT_AFTER_BYTES or 32 MiB). */
  snapshotAfterBytes?: number;
  files?: FileLayer;
  /**
   * Called once if an fdatasync of the journal fails: memory is then ahead of the disk, every later
   * write is refused and durable() rejects. A server should stop, so that its restart recovers what
   * is on disk (default: log it).
   */
  onDiskFailure?: (err: Error) => void;
}

export interface StorageStats {
  lastSeq: number;
  journalRecords: number;
  journalBytes: number;
  snapshotsWritten: number;
  lastSnapshot: SnapshotTaken | null;
}

/** The Storage contract plus engine controls used by tools and benchmarks. */
export interface EngineStorage extends Storage {
  /** Starts a new journal and writes a snapshot as of the last record now; resolves when it is proven readable. */
  snapshotNow(): Promise<SnapshotTaken>;
  stats(): StorageStats;
}

interface PendingWrite {
  fn: (db: SqlWriter) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface Outcome {
  write: PendingWrite;
  statements: JournalStatement[];
  value?: unknown;
  error?: unknown;
}

export async function openStorage(options: OpenStorageOptions): Promise<EngineStorage> {
  const files = options.files ?? diskFiles;
  const { dir, log } = options;
  const lock = lockDataDir(dir);
  let engine: JournaledStorage | null = null;
  try {
    const SQL = await loadSqlJs();
    for (const temp of listStorageFiles(files, dir).temps) files.unlink(temp);
    const recovered = recover(SQL, files, dir, log, { repairTail: true });
    const onDiskFailure = options.onDiskFailure ?? ((err: Error) => log.error('storage: the journal could not be made durable; every later write is refused', err));
    let journal: JournalWriter;
    if (recovered.tail) {
      const { file, length, records } = recovered.tail;
      const fd = files.open(file.path, false);
      // After a crash of this process (not of the machine) its last records may have been read back
      // from the page cache before they reached the disk: make them durable before anything that
      // builds on them is answered.
      files.datasyncSync(fd);
      journal = new JournalWriter(files, { fd, firstSeq: file.seq, length, records }, recovered.lastSeq, onDiskFailure);
    } else {
      const firstSeq = recovered.lastSeq + 1;
      journal = new JournalWriter(files, { fd: files.open(path.join(dir, journalName(firstSeq)), true), firstSeq, length: 0, records: 0 }, recovered.lastSeq, onDiskFailure);
      files.fsyncDir(dir);
    }
    const shadow = new ShadowCopy(dir, log);
    engine = new JournaledStorage({ db: recovered.db, runner: recovered.runner, files, dir, log, lock, shadow, journal,
      lastSeq: recovered.lastSeq,
      snapshotAfterRecords: options.snapshotAfterRecords ?? envCount('MEOWTRIX_SNAPSHOT_AFTER_RECORDS') ?? 50_000,
      snapshotAfterBytes: options.snapshotAfterBytes ?? envCount('MEOWTRIX_SNAPSHOT_AFTER_BYTES') ?? 32 * 1024 * 1024,
      onDiskFailure,
    });
    if (recovered.snapshot) pruneFiles(files, dir, recovered.snapshot.seq);
    await migrate(engine, options.migrations);
    return engine;
  } catch (err) {
    if (engine) await engine.close();
    else lock.release();
    throw err;
  }
}

/** Snapshot thresholds may be tuned (e.g. made tiny in tests) through the environment. */
function envCount(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

interface EngineParts {
  db: Database;
  runner: SqliteRunner;
  files: FileLayer;
  dir: string;
  log: Logger;
  lock: DataDirLock;
  shadow: ShadowCopy;
  journal: JournalWriter;
  lastSeq: number;
  snapshotAfterRecords: number;
  snapshotAfterBytes: number;
  onDiskFailure: (err: Error) => void;
}

class JournaledStorage implements EngineStorage {
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private nextSeq: number;
  private readonly rotation: JournalRotation;
  /** See tableVersion(): per-table counters, plus one for statements whose table is unknown (DDL). */
  private readonly tableVersions = new Map<string, number>();
  private anyTableVersion = 0;
  private readonly p: EngineParts;

  constructor(parts: EngineParts) {
    this.p = parts;
    this.nextSeq = parts.lastSeq + 1;
    this.rotation = new JournalRotation({ ...parts, kick: () => this.kick(), closed: () => this.closed }, parts.journal);
  }

  read<T>(fn: (db: SqlReader) => T): T {
    if (this.closed) throw new StorageError('storage is closed');
    return fn(this.p.runner);
  }

  write<T>(fn: (db: SqlWriter) => T): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError('storage is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  durable(): Promise<void> | null {
    return this.rotation.journal.durable();
  }

  tableVersion(table: string): number {
    return this.anyTableVersion + (this.tableVersions.get(table) ?? 0);
  }

  /**
   * Called when a statement changes a table inside a write, and again for every touched table once
   * the batch's transaction has ended (committed or rolled back): a cache entry filled from
   * uncommitted rows is then never trusted after the transaction.
   */
  private bumpTables(touched: Iterable<string | null>): void {
    for (const table of touched) this.bumpTable(table);
  }

  private bumpTable(table: string | null): void {
    if (table === null) this.anyTableVersion++;
    else this.tableVersions.set(table, (this.tableVersions.get(table) ?? 0) + 1);
  }

  stats(): StorageStats {
    const { journal, snapshotsWritten, lastSnapshot } = this.rotation;
    return { lastSeq: this.nextSeq - 1, journalRecords: journal.records, journalBytes: journal.length, snapshotsWritten, lastSnapshot };
  }

  async snapshotNow(): Promise<SnapshotTaken> {
    if (this.closed) throw new StorageError('storage is closed');
    const attempt = await this.rotation.request();
    if (!attempt) throw new StorageError('could not start a snapshot (see the log)');
    return attempt;
  }

  private kick(): void {
    this.flushing ??= this.flushLoop();
  }

  /** The only code that touches the journal file, so appends and rotation never overlap. */
  private async flushLoop(): Promise<void> {
    do {
      // Let every write issued in this tick join the batch (they share one fsync), and let the
      // event loop turn between batches: writers that queue their next write from a promise
      // continuation would otherwise keep this loop in microtasks for ever, starving sockets,
      // timers and the snapshot worker's messages (a snapshot would never be seen to end).
      await new Promise<void>((r) => setImmediate(r));
      if (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        this.commitBatch(batch);
      }
      await this.rotation.between(this.nextSeq);
    } while (this.queue.length || this.rotation.pending);
    this.flushing = null; // in the same tick as the check above, so nothing queued is left behind
  }

  /**
   * Runs the batch once, inside one transaction on the live database, recording each write's
   * statements; writes them to the journal, then commits. Nothing yields between BEGIN and COMMIT,
   * and if the journal write fails the transaction is rolled back and memory is untouched.
   */
  private commitBatch(batch: PendingWrite[]): void {
    const runner = this.p.runner;
    let outcomes: Outcome[];
    try {
      runner.run('BEGIN');
    } catch (err) {
      this.refuseAll(batch, err);
      return;
    }
    const touched = new Set<string | null>();
    try {
      outcomes = this.runWrites(batch, touched);
    } catch (err) {
      this.rollback();
      this.bumpTables(touched);
      this.refuseAll(batch, err);
      return;
    }
    const durable = outcomes.filter((o) => o.error === undefined && o.statements.length > 0);
    let records: JournalRecord[] = [];
    let bytes: Buffer | null = null;
    if (durable.length) {
      records = durable.map((o, i) => ({ seq: this.nextSeq + i, statements: o.statements }));
      bytes = encodeRecords(records);
      try {
        this.rotation.journal.append(bytes, records.length, this.nextSeq + records.length - 1);
      } catch (err) {
        this.rollback();
        this.bumpTables(touched);
        this.p.log.error(`storage: journal write failed; ${batch.length} write(s) refused, nothing applied`, err);
        const failure = err instanceof StorageWriteError ? err : new StorageWriteError(err); // the writer's own, after a failed fdatasync
        for (const o of outcomes) o.write.reject(o.error ?? failure);
        return;
      }
      this.nextSeq += records.length;
    }
    try {
      runner.run('COMMIT');
    } catch (err) {
      // Not expected (no deferred constraints). The records are on disk, so make memory match
      // what replay will do: roll back and apply them the way recovery does.
      this.p.log.error('storage: COMMIT failed after the journal write; re-applying the journaled records', err);
      this.rollback();
      applyRecords(runner, records).forEach((e, i) => {
        if (e) durable[i]!.error = new StorageError(`storage write failed: ${e.message}`);
      });
    }
    this.bumpTables(touched);
    for (const o of outcomes) {
      if (o.error !== undefined) o.write.reject(o.error);
      else o.write.resolve(o.value);
    }
  }

  private refuseAll(batch: PendingWrite[], err: unknown): void {
    this.p.log.error('storage: a write batch could not run', err);
    for (const w of batch) w.reject(new StorageError(`storage write failed: ${(err as Error).message}`));
  }

  private rollback(): void {
    try {
      this.p.runner.db.run('ROLLBACK');
    } catch {
      // no transaction left to roll back
    }
  }

  /** Runs each write in a savepoint (a failing one is undone alone) and records the statements that changed something. */
  private runWrites(batch: PendingWrite[], touched: Set<string | null>): Outcome[] {
    const runner = this.p.runner;
    const outcomes: Outcome[] = [];
    const alone = batch.length === 1;
    for (const write of batch) {
      const statements: JournalStatement[] = [];
      const recorder: SqlWriter = {
        get: (sql, params) => runner.get(sql, params),
        all: (sql, params) => runner.all(sql, params),
        run: (sql: string, params: SqlParams = []) => {
          const result = runner.run(sql, params);
          const kind = kindOf(sql);
          // A DML statement that changed no row replays as a no-op: journaling it would make a
          // refused request (delete of a missing thing) write to disk. DDL always reports 0, so it is kept.
          if (result.changes > 0 || !kind.dml) {
            statements.push({ sql, params });
            const table = kind.table;
            // Bumped now (a cache filled later in this batch sees uncommitted rows) and again when the batch ends.
            this.bumpTable(table);
            touched.add(table);
          }
          return result;
        },
      };
      // A write alone in its batch needs no savepoint: if it fails, the whole transaction is its own.
      if (alone) {
        try {
          outcomes.push({ write, statements, value: write.fn(recorder) });
        } catch (error) {
          runner.run('ROLLBACK');
          runner.run('BEGIN'); // the empty transaction commitBatch then commits
          outcomes.push({ write, statements: [], error });
        }
        continue;
      }
      runner.run('SAVEPOINT w');
      try {
        const value = write.fn(recorder);
        runner.run('RELEASE w');
        outcomes.push({ write, statements, value });
      } catch (error) {
        runner.run('ROLLBACK TO w');
        runner.run('RELEASE w');
        outcomes.push({ write, statements: [], error });
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    const { journal } = this.rotation;
    await journal.settle().catch(() => undefined); // a failure was reported when it happened
    this.rotation.abandon();
    // A snapshot in progress is abandoned: its temp file is removed at the next start.
    await this.p.shadow.stop();
    this.p.runner.resetStatements();
    this.p.files.close(journal.fd);
    this.p.db.close();
    this.p.lock.release();
  }
}
