// Cached statements are reset without clearing their bindings (server/storage/statement_reuse.ts),
// so SQLite keeps their compiled plans. Proven here: the runner does adopt this sql.js's statements
// (a sql.js upgrade that hides the statement pointer differently fails this, instead of silently
// losing the speed-up), and its answers equal a plain runner's for every kind of value, for a
// call with fewer parameters than the last (the rest are NULL, not the previous values), and across
// large strings that sql.js frees between runs.
import { describe, expect, it } from 'vitest';
import { loadSqlJs, SqliteRunner } from '../../server/storage/sqlite.ts';
import { StatementReuse } from '../../server/storage/statement_reuse.ts';

async function runners(): Promise<{ reused: SqliteRunner; plain: SqliteRunner }> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  const reused = new SqliteRunner(db);
  const plain = new SqliteRunner(db);
  (plain as unknown as { reuse: StatementReuse }).reuse = new StatementReuse(null);
  reused.run('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL, b INTEGER NOT NULL, blob BLOB)');
  reused.run('CREATE INDEX t_sb ON t (s, b)');
  reused.run('BEGIN');
  for (let i = 0; i < 2000; i++) reused.run('INSERT INTO t (s, b, blob) VALUES (?, ?, ?)', [`k${i % 7}`, i, i % 5 ? null : new Uint8Array([i % 256, 1, 2])]);
  reused.run('COMMIT');
  return { reused, plain };
}

describe('statement reuse', () => {
  it('adopts this sql.js build\'s statements', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    const stmt = db.prepare('SELECT ? AS x');
    expect(new StatementReuse(SQL).adopt(stmt, 'SELECT ? AS x')).toBe(true);
    // Another database's statement is adopted too; a wrong SQL text is not (the pointer check).
    expect(new StatementReuse(SQL).adopt(new SQL.Database().prepare('SELECT 1'), 'SELECT 2')).toBe(false);
    db.close();
  });

  it('answers as a plain runner does, run after run, with changing values', async () => {
    const { reused, plain } = await runners();
    const range = 'SELECT id, s, b, blob FROM t WHERE s = ? AND b > ? ORDER BY b DESC LIMIT ?';
    for (let i = 0; i < 300; i++) {
      const params = [`k${i % 9}`, (i * 37) % 2100, 1 + (i % 4)];
      expect(reused.all(range, params)).toEqual(plain.all(range, params));
      expect(reused.get('SELECT count(*) AS n FROM t WHERE s = ?', [`k${i % 9}`])).toEqual(plain.get('SELECT count(*) AS n FROM t WHERE s = ?', [`k${i % 9}`]));
    }
  });

  it('binds missing parameters as NULL when a call passes fewer than the last', async () => {
    const { reused } = await runners();
    expect(reused.get('SELECT ? AS x, ? AS y', [1, 'two'])).toEqual({ x: 1, y: 'two' });
    expect(reused.get('SELECT ? AS x, ? AS y', [3])).toEqual({ x: 3, y: null });
    expect(reused.get('SELECT ? AS x, ? AS y', [])).toEqual({ x: null, y: null });
    expect(reused.get('SELECT ? AS x, ? AS y', ['é', new Uint8Array([9])])).toEqual({ x: 'é', y: new Uint8Array([9]) });
  });

  it('writes and reads back large strings bound one after another', async () => {
    const { reused } = await runners();
    for (let i = 0; i < 20; i++) reused.run('INSERT INTO t (s, b) VALUES (?, ?)', [String.fromCharCode(97 + i).repeat(50_000 + i), -1 - i]);
    const rows = reused.all<{ s: string; b: number }>('SELECT s, b FROM t WHERE b < 0 ORDER BY b DESC');
    expect(rows.map((r) => [r.s.length, r.s[0], r.b])).toEqual(Array.from({ length: 20 }, (_, i) => [50_000 + i, String.fromCharCode(97 + i), -1 - i]));
  });
});
