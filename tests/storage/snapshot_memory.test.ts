// What a snapshot costs in memory. The worker reads the newest snapshot straight into the storage
// sql.js uses as the database file, replays the journal into it and writes the new snapshot from
// those bytes, reading it back piece by piece: about one extra copy of the database at its peak
// (it was four: file buffer, sql.js's copy, db.export(), the whole file read back). The storage
// may only be written out while it provably is the database file; image.ts checks that.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { tempDataDir } from '../helpers/server.ts';
import { openEngine } from './fixtures/engine.ts';
import { loadSqlJs } from '../../server/storage/sqlite.ts';
import { allocateImage, liveImage, openShared } from '../../server/storage/image.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const MiB = 2 ** 20;
const status = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
/** Resets this process's peak RSS (VmHWM) to its current RSS. */
const resetPeak = () => fs.writeFileSync('/proc/self/clear_refs', '5');

describe('a snapshot', () => {
  it('costs about one extra copy of the database at its peak, and reloads to the same data', async () => {
    const dir = tempDataDir('meowtrix-snapmem-');
    dirs.push(dir);
    const { storage, logs } = await openEngine(dir);
    const body = (n: number) => `event ${n} ${'x'.repeat(1000)}`;
    const ROWS = 60_000;
    const insert = (from: number, to: number) => storage.write((db) => {
      for (let n = from; n < to; n++) db.run('INSERT INTO events (n, body) VALUES (?, ?)', [n, body(n)]);
    });
    for (let n = 1; n <= ROWS; n += 2_000) await insert(n, n + 2_000);
    await storage.snapshotNow(); // the first starts from the journal alone
    for (let n = ROWS + 1; n <= ROWS + 6_000; n += 2_000) await insert(n, n + 2_000); // replayed by the next

    global.gc?.();
    await new Promise((r) => setTimeout(r, 100));
    const before = status('VmRSS');
    resetPeak();
    const snap = await storage.snapshotNow();
    const extra = status('VmHWM') - before;
    expect(snap.bytes).toBeGreaterThan(60 * MiB);
    // One copy plus the worker thread's own start-up (a V8 isolate and sql.js's WASM heap).
    expect(extra, `peak ${(extra / MiB).toFixed(0)} MiB above ${(before / MiB).toFixed(0)} MiB for a ${(snap.bytes / MiB).toFixed(0)} MiB database`)
      .toBeLessThan(snap.bytes * 1.2 + 48 * MiB);
    expect(logs.join('\n')).toMatch(/written from the loaded storage/);

    const count = () => storage.read((db) => db.get<{ n: number; len: number }>('SELECT count(*) AS n, sum(length(body)) AS len FROM events')!);
    const expected = count();
    await storage.close();
    const opened = await openEngine(dir);
    expect(opened.storage.read((db) => db.get<{ n: number; len: number }>('SELECT count(*) AS n, sum(length(body)) AS len FROM events')!)).toEqual(expected);
    expect(expected.n).toBe(ROWS + 6_000);
    await opened.storage.close();
  }, 120_000);
});

describe('a database image shared with sql.js', () => {
  async function smallImage(): Promise<Uint8Array> {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT)');
    for (let i = 0; i < 500; i++) db.run('INSERT INTO t VALUES (?, ?)', [i, 'a'.repeat(200)]);
    const bytes = db.export();
    db.close();
    return bytes;
  }

  it('is used in place: writes land in the storage, which then holds a whole database', async () => {
    const SQL = await loadSqlJs();
    const bytes = await smallImage();
    const store = allocateImage(bytes.length, 4 * MiB);
    store.set(bytes);
    const image = openShared(SQL, store, bytes.length);
    expect(image.owned).toBe(true);
    image.db.run('BEGIN');
    for (let i = 500; i < 2_000; i++) image.db.run('INSERT INTO t VALUES (?, ?)', [i, 'b'.repeat(200)]);
    image.db.run('COMMIT');
    const live = liveImage(image)!;
    expect(live).not.toBeNull();
    expect(live.buffer).toBe(store.buffer); // no copy
    expect(live.length).toBeGreaterThan(bytes.length);
    const reopened = new SQL.Database(live.slice());
    expect(reopened.exec('SELECT count(*), max(n) FROM t')[0]!.values).toEqual([[2_000, 1_999]]);
    expect(reopened.exec('PRAGMA integrity_check')[0]!.values).toEqual([['ok']]);
    reopened.close();
    image.db.close();
  });

  it('is refused once sql.js has moved the file elsewhere (outgrown, or shrunk)', async () => {
    const SQL = await loadSqlJs();
    const bytes = await smallImage();
    // Outgrown: no room left, so the first new page makes sql.js reallocate the file.
    const tight = allocateImage(bytes.length, 0);
    tight.set(bytes);
    const grown = openShared(SQL, tight, bytes.length);
    grown.db.run('INSERT INTO t VALUES (?, ?)', [9_999, 'c'.repeat(5_000)]);
    expect(liveImage(grown)).toBeNull();
    grown.db.close();
    // Shrunk: VACUUM truncates the file, and sql.js gives it new storage of the new size.
    const roomy = allocateImage(bytes.length, MiB);
    roomy.set(bytes);
    const shrunk = openShared(SQL, roomy, bytes.length);
    shrunk.db.run('DELETE FROM t WHERE n % 2 = 0');
    shrunk.db.run('VACUUM');
    expect(liveImage(shrunk)).toBeNull();
    shrunk.db.close();
  });
});
