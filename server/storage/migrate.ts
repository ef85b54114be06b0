// Numbered schema migrations, run at start; the schema version lives in the meta table.
import { StorageError } from './errors.ts';
import type { Migration, Storage } from './types.ts';

/** Runs pending migrations in order, each in its own transaction; refuses a database written by newer code. */
export async function migrate(storage: Storage, migrations: readonly Migration[]): Promise<void> {
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
