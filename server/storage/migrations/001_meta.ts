// Migration 1: the key/value table that also holds the schema version.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 1,
  name: 'meta',
  up(db) {
    db.run(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  },
};
