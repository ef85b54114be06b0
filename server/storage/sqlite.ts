// sql.js behind the SqlWriter interface, with a prepared-statement cache.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import initSqlJs, { type Database, type Statement, type SqlJsStatic } from 'sql.js';
import type { Row, SqlParams, SqlWriter } from './types.ts';
import type { JournalRecord } from './journal.ts';
import { StatementReuse } from './statement_reuse.ts';

const require = createRequire(import.meta.url);
let sqlJs: Promise<SqlJsStatic> | null = null;
/** The module loadSqlJs() loaded, once it has (statement reuse needs its exported functions). */
let loadedSqlJs: SqlJsStatic | null = null;

/** Loads the sql.js WASM module once per process. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs({ wasmBinary: fs.readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')) as unknown as ArrayBuffer }).then((SQL) => (loadedSqlJs = SQL));
  return sqlJs;
}

/** Executes statements on one sql.js database. Statements are cached and re-prepared after `reset()`. */
export class SqliteRunner implements SqlWriter {
  private readonly cache = new Map<string, Statement>();
  private readonly names = new Map<string, string[]>();
  private readonly reuse = new StatementReuse(loadedSqlJs);
  readonly db: Database;
  constructor(db: Database) {
    this.db = db;
    this.tune();
  }

  /**
   * Durability comes from our journal, not SQLite's: keep its rollback journal in memory and skip
   * its syncs. This connection is the file's only user, so it holds the lock for good: otherwise
   * every statement outside a transaction takes and drops the file lock and re-checks the file
   * through sql.js's JavaScript file layer (a primary-key lookup ≈ 30 µs instead of ≈ 5 µs).
   */
  private tune(): void {
    this.db.run('PRAGMA journal_mode = MEMORY');
    this.db.run('PRAGMA synchronous = OFF');
    this.db.run('PRAGMA locking_mode = EXCLUSIVE');
  }

  /**
   * Frees and forgets the cached statements (before the database closes). sql.js 1.16's export()
   * copies through SQLite's backup API and leaves them alone; older versions freed them and reopened.
   */
  resetStatements(): void {
    for (const stmt of this.cache.values()) {
      try {
        stmt.free();
      } catch {
        // already freed
      }
    }
    this.cache.clear();
    this.names.clear();
    this.tune();
  }

  private statement(sql: string, params?: SqlParams): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // Kept compiled between runs (see statement_reuse.ts).
      this.reuse.adopt(stmt, sql);
      this.cache.set(sql, stmt);
    }
    stmt.bind((params ?? []) as never);
    return stmt;
  }

  /** Column names never change for a prepared statement; sql.js would read them from WASM for every row. */
  private columnNames(sql: string, stmt: Statement): string[] {
    let names = this.names.get(sql);
    if (!names) {
      names = stmt.getColumnNames();
      this.names.set(sql, names);
    }
    return names;
  }

  private row<T>(names: string[], stmt: Statement): T {
    const values = stmt.get();
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
    return row as T;
  }

  run(sql: string, params?: SqlParams): { changes: number } {
    const stmt = this.statement(sql, params);
    try {
      stmt.step();
    } finally {
      stmt.reset();
    }
    return { changes: this.db.getRowsModified() };
  }

  get<T extends object = Row>(sql: string, params?: SqlParams): T | undefined {
    const stmt = this.statement(sql, params);
    try {
      return stmt.step() ? this.row<T>(this.columnNames(sql, stmt), stmt) : undefined;
    } finally {
      stmt.reset();
    }
  }

  all<T extends object = Row>(sql: string, params?: SqlParams): T[] {
    const stmt = this.statement(sql, params);
    const rows: T[] = [];
    try {
      if (!stmt.step()) return rows;
      const names = this.columnNames(sql, stmt);
      do rows.push(this.row<T>(names, stmt));
      while (stmt.step());
    } finally {
      stmt.reset();
    }
    return rows;
  }

  /** Runs raw SQL with no parameters (BEGIN, COMMIT, ...). */
  exec(sql: string): void {
    this.db.run(sql);
  }
}

/**
 * Applies journal records in one transaction, each in its own savepoint. A record that fails
 * is rolled back alone; live commits, start-up replay and the shadow copy all apply records
 * through here, so they agree on the outcome. Returns one error (or null) per record.
 */
export function applyRecords(runner: SqliteRunner, records: readonly JournalRecord[]): (Error | null)[] {
  const results: (Error | null)[] = [];
  runner.run('BEGIN');
  try {
    for (const record of records) {
      runner.run('SAVEPOINT record');
      try {
        for (const s of record.statements) runner.run(s.sql, s.params);
        runner.run('RELEASE record');
        results.push(null);
      } catch (err) {
        runner.run('ROLLBACK TO record');
        runner.run('RELEASE record');
        results.push(err as Error);
      }
    }
    runner.run('COMMIT');
  } catch (err) {
    try {
      runner.db.run('ROLLBACK');
    } catch {
      // no transaction left to roll back
    }
    throw err;
  }
  return results;
}

