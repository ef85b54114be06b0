// The storage contract every repository and service codes against.
//
// Reads are synchronous and only ever see durable state. Writes are functions run by
// the single writer; the promise resolves once the transaction is on disk. A write
// function must be deterministic given the database state: IDs, timestamps and random
// values are made in TypeScript and passed as parameters, never by SQL functions,
// because the journal replays the statements it ran.

export type SqlValue = string | number | null | Uint8Array;
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
export type Row = Record<string, SqlValue>;

export interface SqlReader {
  get<T extends object = Row>(sql: string, params?: SqlParams): T | undefined;
  all<T extends object = Row>(sql: string, params?: SqlParams): T[];
}

export interface SqlWriter extends SqlReader {
  run(sql: string, params?: SqlParams): { changes: number };
}

export interface Storage {
  /** Runs fn against committed, durable state. */
  read<T>(fn: (db: SqlReader) => T): T;
  /** Runs fn as one transaction; resolves after it is fsync'd; rejects (and changes nothing) if fn throws or the disk write fails. */
  write<T>(fn: (db: SqlWriter) => T): Promise<T>;
  /**
   * A number that changes whenever a write changes this table (when the statement runs, and again
   * when its batch commits or rolls back), so an in-memory cache of rows from it knows when to drop
   * them, also when filled inside a write. Starts anew at every start.
   */
  tableVersion(table: string): number;
  /** Flushes and closes; later calls reject. */
  close(): Promise<void>;
}

/** A numbered schema migration. Migrations run in order at start, each in its own transaction. */
export interface Migration {
  version: number;
  name: string;
  up(db: SqlWriter): void;
}
