// Cached sql.js statements that keep their compiled plan between runs.
//
// sql.js's Statement.bind() and reset() both call sqlite3_clear_bindings(), and SQLite then marks
// every statement whose plan looked at its bound values (an `= ?` column with an ORDER BY on an
// index, `LIMIT ?`, ...) as expired: its next step compiles it again. Measured with sql.js 1.16
// (SQLite 3.54): 20–100 µs per run of such a statement instead of ≈ 2 µs. Rebinding a parameter
// does not expire it, so a cached statement is reset WITHOUT clearing its bindings: every run binds
// all of its parameters again anyway (and clears when their number changes).
//
// sql.js keeps the sqlite3_stmt pointer in a minified field: it is found by asking SQLite for the
// statement's SQL text (sqlite3_sql) and comparing. Where that fails (another sql.js build, or a
// database opened by another instance of the module), statements keep sql.js's own reset.
import type { SqlJsStatic, Statement } from 'sql.js';

interface SqlJsExports {
  _sqlite3_reset(stmt: number): number;
  _sqlite3_clear_bindings(stmt: number): number;
  _sqlite3_sql(stmt: number): number;
  UTF8ToString(ptr: number): string;
}

type StatementFields = Statement & Record<string, unknown> & { freemem(): void };

export class StatementReuse {
  private readonly sqlite: SqlJsExports | null;
  /** The name of sql.js's field holding the sqlite3_stmt pointer, once found. */
  private handleField: string | null = null;

  constructor(SQL: SqlJsStatic | null) {
    const exports = SQL as unknown as Partial<SqlJsExports> | null;
    this.sqlite = exports && typeof exports._sqlite3_reset === 'function' && typeof exports._sqlite3_clear_bindings === 'function' &&
      typeof exports._sqlite3_sql === 'function' && typeof exports.UTF8ToString === 'function'
      ? (exports as SqlJsExports)
      : null;
  }

  /** Makes `stmt` (prepared from `sql`) keep its bindings across reset(); false if it cannot be done safely. */
  adopt(stmt: Statement, sql: string): boolean {
    const sqlite = this.sqlite;
    if (!sqlite || typeof (stmt as StatementFields).freemem !== 'function') return false;
    const s = stmt as StatementFields;
    const field = this.findHandle(s, sql);
    if (!field) return false;
    // Strings and blobs sql.js allocated for the last bindings are freed here; the statement still
    // points at them until the next bind() replaces every parameter, and nothing steps it before that.
    s.reset = () => {
      s.freemem();
      return sqlite._sqlite3_reset(s[field] as number) === 0;
    };
    const bind = s.bind.bind(s);
    let arity = -1;
    s.bind = (values) => {
      const n = Array.isArray(values) ? values.length : -1;
      if (n !== arity) {
        sqlite._sqlite3_clear_bindings(s[field] as number);
        arity = n;
      }
      return bind(values);
    };
    return true;
  }

  private findHandle(s: StatementFields, sql: string): string | null {
    if (this.handleField !== null) return this.isHandle(s, this.handleField, sql) ? this.handleField : null;
    for (const field of Object.keys(s)) {
      if (this.isHandle(s, field, sql)) return (this.handleField = field);
    }
    return null;
  }

  private isHandle(s: StatementFields, field: string, sql: string): boolean {
    const value = s[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) return false;
    try {
      return this.sqlite!.UTF8ToString(this.sqlite!._sqlite3_sql(value)) === sql;
    } catch {
      return false; // not a pointer into this module's memory
    }
  }
}
