// The storage contract every repository and service codes against.
//
// Reads are synchronous and see every committed write. Writes are functions run by the
// single writer; the promise resolves once the transaction has committed, and the
// journal's fdatasync then runs in the background. So nothing that leaves the process
// (an HTTP answer, an admin reply, a push, a file removed because of a write) may go
// before durable() says the state it shows is on disk; HTTP answers wait for it in one
// place (http/app.ts). A write function must be deterministic given the database state:
// IDs, timestamps and random values are made in TypeScript and passed as parameters,
// never by SQL functions, because the journal replays the statements it ran.

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
  /** Runs fn against committed state (which may not be durable yet: see durable()). */
  read<T>(fn: (db: SqlReader) => T): T;
  /** Runs fn as one transaction; resolves once it has committed; rejects (and changes nothing) if fn throws or the disk write fails. */
  write<T>(fn: (db: SqlWriter) => T): Promise<T>;
  /**
   * Resolves once every write committed so far is on disk; null when it already is (the common
   * case, and no promise to make). Rejects if the disk failed, and then nothing must be sent.
   */
  durable(): Promise<void> | null;
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
