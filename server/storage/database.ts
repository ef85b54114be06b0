// The storage engine: sql.js in memory, made durable by a journal of committed transactions.
//
// A write batch (every write queued in the same tick) runs once to learn its statements,
// is rolled back, journaled and fsync'd, then re-applied and committed. All of that but the
// fsync is synchronous, so a read can never observe state that is not yet on disk.
import fs from 'node:fs';
import path from 'node:path';
import { loadSqlJs, SqliteRunner } from './sqlite.ts';
import { encodeRecord, readJournal, type JournalStatement } from './journal.ts';
import type { Migration, SqlParams, SqlReader, SqlWriter, Storage } from './types.ts';
import type { Logger } from '../log.ts';

export const SNAPSHOT_FILE = 'meowtrix.db';
export const JOURNAL_FILE = 'journal.log';

export class StorageError extends Error {}

interface PendingWrite {
  fn: (db: SqlWriter) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface OpenStorageOptions {
  dir: string;
  migrations: readonly Migration[];
  log: Logger;
}

export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  const SQL = await loadSqlJs();
  const snapshotPath = path.join(options.dir, SNAPSHOT_FILE);
  const journalPath = path.join(options.dir, JOURNAL_FILE);

  const db = fs.existsSync(snapshotPath) ? new SQL.Database(fs.readFileSync(snapshotPath)) : new SQL.Database();
  const runner = new SqliteRunner(db);

  const journal = readJournal(journalPath);
  for (const record of journal.records) applyRecord(runner, record);
  if (journal.validLength < journal.totalLength) {
    options.log.warn(`journal ${journalPath}: dropped a torn tail of ${journal.totalLength - journal.validLength} bytes`);
    fs.truncateSync(journalPath, journal.validLength);
  }
  const journalFd = fs.openSync(journalPath, 'a', 0o600);

  const storage = new JournaledStorage(runner, journalFd);
  await migrate(storage, options.migrations);
  return storage;
}

function applyRecord(runner: SqliteRunner, record: JournalStatement[]): void {
  runner.exec('BEGIN');
  try {
    for (const s of record) runner.run(s.sql, s.params);
    runner.exec('COMMIT');
  } catch (err) {
    runner.exec('ROLLBACK');
    throw new StorageError(`journal replay failed: ${(err as Error).message}`);
  }
}

class JournaledStorage implements Storage {
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly runner: SqliteRunner;
  private readonly journalFd: number;

  constructor(runner: SqliteRunner, journalFd: number) {
    this.runner = runner;
    this.journalFd = journalFd;
  }

  read<T>(fn: (db: SqlReader) => T): T {
    if (this.closed) throw new StorageError('storage is closed');
    return fn(this.runner);
  }

  write<T>(fn: (db: SqlWriter) => T): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError('storage is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let every write issued in this tick join the batch: they share one fsync.
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      await this.commitBatch(batch);
    }
    this.flushing = null;
  }

  private async commitBatch(batch: PendingWrite[]): Promise<void> {
    const runner = this.runner;
    const outcomes: { write: PendingWrite; statements: JournalStatement[]; value?: unknown; error?: unknown }[] = [];
    runner.exec('BEGIN');
    try {
      for (const write of batch) {
        const statements: JournalStatement[] = [];
        const recorder: SqlWriter = {
          get: (sql, params) => runner.get(sql, params),
          all: (sql, params) => runner.all(sql, params),
          run: (sql: string, params: SqlParams = []) => {
            const result = runner.run(sql, params);
            statements.push({ sql, params });
            return result;
          },
        };
        runner.exec('SAVEPOINT w');
        try {
          const value = write.fn(recorder);
          runner.exec('RELEASE w');
          outcomes.push({ write, statements, value });
        } catch (error) {
          runner.exec('ROLLBACK TO w');
          runner.exec('RELEASE w');
          outcomes.push({ write, statements: [], error });
        }
      }
    } finally {
      runner.exec('ROLLBACK');
    }

    const durable = outcomes.filter((o) => o.error === undefined && o.statements.length > 0);
    if (durable.length) {
      try {
        const bytes = Buffer.concat(durable.map((o) => encodeRecord(o.statements)));
        await appendAndSync(this.journalFd, bytes);
      } catch (err) {
        const failure = new StorageError(`storage write failed: ${(err as Error).message}`);
        for (const o of outcomes) o.write.reject(o.error ?? failure);
        return;
      }
      for (const o of durable) applyRecord(runner, o.statements);
    }
    for (const o of outcomes) {
      if (o.error !== undefined) o.write.reject(o.error);
      else o.write.resolve(o.value);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing) await this.flushing;
    this.closed = true;
    this.runner.resetStatements();
    fs.closeSync(this.journalFd);
    this.runner.db.close();
  }
}

function appendAndSync(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.write(fd, bytes, 0, bytes.length, null, (err) => {
      if (err) return reject(err);
      fs.fdatasync(fd, (syncErr) => (syncErr ? reject(syncErr) : resolve()));
    });
  });
}

/** Runs pending numbered migrations; refuses a database written by newer code. */
async function migrate(storage: Storage, migrations: readonly Migration[]): Promise<void> {
  const current = storage.read((db) => {
    const hasMeta = db.get(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'`);
    if (!hasMeta) return 0;
    const row = db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`);
    return row ? Number(row.value) : 0;
  });
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new StorageError(`the database has schema version ${current}, newer than this Meowtrix (${latest}); upgrade Meowtrix`);
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    await storage.write((db) => {
      m.up(db);
      db.run(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      db.run(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(m.version)]);
    });
  }
}
