// A write function that throws after changing rows: alone in its batch (run without a savepoint)
// or among others (each in its own savepoint), it is undone entirely, its caller gets its own
// error, the others commit, and a restart (journal replay) shows exactly the same.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { tempDataDir } from '../helpers/server.ts';
import { eventNumbers, openEngine } from './fixtures/engine.ts';
import type { EngineStorage } from '../../server/storage/database.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
async function open(dir: string): Promise<EngineStorage> {
  const { storage } = await openEngine(dir);
  cleanup.push(() => storage.close());
  return storage;
}
function dir(): string {
  const d = tempDataDir('meowtrix-write-failure-');
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

class Refused extends Error {}
const insert = (n: number) => (db: Parameters<Parameters<EngineStorage['write']>[0]>[0]) => db.run('INSERT INTO events (n, body) VALUES (?, ?)', [n, `event ${n}`]);
const insertThenThrow = (n: number) => (db: Parameters<Parameters<EngineStorage['write']>[0]>[0]) => {
  db.run('INSERT INTO events (n, body) VALUES (?, ?)', [n, `event ${n}`]);
  db.run('UPDATE events SET body = ? WHERE n = 1', ['changed']);
  throw new Refused(`refused ${n}`);
};

describe('a write that throws', () => {
  it('alone in its batch: undone, its own error, nothing journaled; the next write commits', async () => {
    const d = dir();
    let storage = await open(d);
    await storage.write(insert(1));
    const records = storage.stats().journalRecords;
    await expect(storage.write(insertThenThrow(2))).rejects.toBeInstanceOf(Refused);
    expect(eventNumbers(storage)).toEqual([1]);
    expect(storage.read((db) => db.get<{ body: string }>('SELECT body FROM events WHERE n = 1'))!.body).toBe('event 1');
    expect(storage.stats().journalRecords).toBe(records);
    await storage.write(insert(3));
    expect(eventNumbers(storage)).toEqual([1, 3]);

    await storage.close();
    storage = await open(d);
    expect(eventNumbers(storage)).toEqual([1, 3]);
    expect(storage.read((db) => db.get<{ body: string }>('SELECT body FROM events WHERE n = 1'))!.body).toBe('event 1');
  });

  it('among others in one batch: only it is undone, the others commit and replay', async () => {
    const d = dir();
    let storage = await open(d);
    await storage.write(insert(1));
    // Queued in the same tick: one batch, one transaction.
    const results = await Promise.allSettled([storage.write(insert(2)), storage.write(insertThenThrow(3)), storage.write(insert(4))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Refused);
    expect(eventNumbers(storage)).toEqual([1, 2, 4]);

    await storage.close();
    storage = await open(d);
    expect(eventNumbers(storage)).toEqual([1, 2, 4]);
    expect(storage.read((db) => db.get<{ body: string }>('SELECT body FROM events WHERE n = 1'))!.body).toBe('event 1');
  });
});
