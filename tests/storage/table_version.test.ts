// storage.tableVersion(table): what the in-memory caches (access tokens, joined members, current
// state, ignored users) trust. It must change whenever rows of the table may have changed — when a
// statement changes it inside a write, and again when the batch commits or rolls back — and stay
// put for writes to other tables and for statements that changed nothing.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/server.ts';
import { openEngine } from './fixtures/engine.ts';
import type { Migration } from '../../server/storage/types.ts';

const migrations: Migration[] = [
  { version: 1, name: 'meta', up: (db) => db.run('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)') },
  { version: 2, name: 'tables', up: (db) => {
    db.run('CREATE TABLE alpha (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    db.run('CREATE TABLE beta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  } },
];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function open() {
  const dir = tempDataDir('meowtrix-tableversion-');
  dirs.push(dir);
  return (await openEngine(dir, { migrations })).storage;
}

describe('storage.tableVersion', () => {
  it('changes for writes that change the table, not for other tables or no-op statements', async () => {
    const storage = await open();
    try {
      const a0 = storage.tableVersion('alpha');
      const b0 = storage.tableVersion('beta');
      await storage.write((db) => db.run('INSERT INTO alpha (k, v) VALUES (?, ?)', ['x', '1']));
      const a1 = storage.tableVersion('alpha');
      expect(a1).not.toBe(a0);
      expect(storage.tableVersion('beta')).toBe(b0);

      // Every DML form the repositories use.
      await storage.write((db) => db.run('UPDATE alpha SET v = ? WHERE k = ?', ['2', 'x']));
      const a2 = storage.tableVersion('alpha');
      expect(a2).not.toBe(a1);
      await storage.write((db) => db.run('INSERT INTO alpha (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v', ['x', '3']));
      const a3 = storage.tableVersion('alpha');
      expect(a3).not.toBe(a2);
      await storage.write((db) => db.run('DELETE FROM alpha WHERE k = ?', ['x']));
      const a4 = storage.tableVersion('alpha');
      expect(a4).not.toBe(a3);

      // A delete of nothing changes nothing (and is not journaled).
      await storage.write((db) => db.run('DELETE FROM alpha WHERE k = ?', ['missing']));
      expect(storage.tableVersion('alpha')).toBe(a4);
      expect(storage.tableVersion('beta')).toBe(b0);
    } finally {
      await storage.close();
    }
  });

  it('changes as soon as a statement runs inside a write, and again when the batch ends', async () => {
    const storage = await open();
    try {
      const before = storage.tableVersion('alpha');
      let inside: number | undefined;
      let readInside: string | undefined;
      await storage.write((db) => {
        db.run('INSERT INTO alpha (k, v) VALUES (?, ?)', ['y', 'uncommitted-then-committed']);
        inside = storage.tableVersion('alpha');
        readInside = db.get<{ v: string }>('SELECT v FROM alpha WHERE k = ?', ['y'])?.v;
      });
      expect(inside).not.toBe(before);
      expect(readInside).toBe('uncommitted-then-committed');
      // A cache filled inside the write (at `inside`) is not trusted afterwards.
      expect(storage.tableVersion('alpha')).not.toBe(inside);
    } finally {
      await storage.close();
    }
  });

  it('changes after a write that changed the table and then failed, so nothing read from its rolled-back rows survives', async () => {
    const storage = await open();
    try {
      let inside: number | undefined;
      let seenInside: string | undefined;
      const refused = storage.write((db) => {
        db.run('INSERT INTO alpha (k, v) VALUES (?, ?)', ['z', 'rolled back']);
        inside = storage.tableVersion('alpha');
        seenInside = db.get<{ v: string }>('SELECT v FROM alpha WHERE k = ?', ['z'])?.v;
        throw new Error('refused');
      });
      await expect(refused).rejects.toThrow('refused');
      expect(seenInside).toBe('rolled back');
      expect(storage.read((db) => db.get('SELECT v FROM alpha WHERE k = ?', ['z']))).toBeUndefined();
      expect(storage.tableVersion('alpha')).not.toBe(inside);
    } finally {
      await storage.close();
    }
  });
});
