// Numbered schema migrations, run at start. Each applied migration is recorded by number in the
// meta table ("migration:<n>"), so one registered late with a lower number than the newest
// (engineers add migrations side by side) is still applied; "schema_version" keeps the highest,
// so a database written by newer code is refused.
import { StorageError } from './errors.ts';
import type { Migration, SqlReader, Storage } from './types.ts';

const META_TABLE = `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;

interface Applied {
  schemaVersion: number;
  versions: Set<number>;
}

function readApplied(db: SqlReader): Applied {
  if (!db.get(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'`)) return { schemaVersion: 0, versions: new Set() };
  const schemaVersion = Number(db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`)?.value ?? 0);
  const rows = db.all<{ key: string }>(`SELECT key FROM meta WHERE key LIKE 'migration:%'`);
  return { schemaVersion, versions: new Set(rows.map((r) => Number(r.key.slice('migration:'.length)))) };
}

/** Runs pending migrations in order, each in its own transaction; refuses a database written by newer code. */
export async function migrate(storage: Storage, migrations: readonly Migration[]): Promise<void> {
  const applied = storage.read(readApplied);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (applied.schemaVersion > latest) {
    throw new StorageError(`the database has schema version ${applied.schemaVersion}, newer than this Meowtrix (${latest}); upgrade Meowtrix`);
  }
  // Databases from before per-migration records: everything up to schema_version counts as applied.
  const legacy = applied.versions.size === 0;
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.versions.has(m.version) || (legacy && m.version <= applied.schemaVersion)) continue;
    await storage.write((db) => {
      m.up(db);
      db.run(META_TABLE);
      db.run(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [`migration:${m.version}`, m.name]);
      db.run(
        `INSERT INTO meta (key, value) VALUES ('schema_version', ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
        [String(m.version)],
      );
    });
  }
}
