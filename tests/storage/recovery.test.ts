// Start-up recovery of the real engine from damaged files: torn journal tails, flipped bits in
// snapshots, a database newer than the code, a held or stale lock, a failing disk.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { tempDataDir } from '../helpers/server.ts';
import { eventMigrations, eventNumbers, insertEvents, openEngine, range } from './fixtures/engine.ts';
import { FAULT_FILE_ENV } from '../../server/storage/files.ts';

const dirs: string[] = [];
function newDir(): string {
  const dir = tempDataDir('meowtrix-recovery-');
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const named = (dir: string, re: RegExp) => fs.readdirSync(dir).filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));

function copyDir(from: string): string {
  const to = newDir();
  for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
  return to;
}

/** Byte offsets at which each journal record starts. */
function recordOffsets(buf: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 8 <= buf.length; at += 8 + buf.readUInt32LE(at)) offsets.push(at);
  return offsets;
}

describe('journal recovery', () => {
  it('drops a torn last record cut at every byte offset, keeps the rest, and writes on after it', async () => {
    const base = newDir();
    const { storage } = await openEngine(base);
    await insertEvents(storage, 1, 5);
    await storage.close();
    const [journal] = named(base, /^journal-/);
    const whole = fs.readFileSync(journal!);
    const lastStart = recordOffsets(whole).at(-1)!;
    expect(whole.length - lastStart).toBeGreaterThan(20);

    for (let cut = lastStart; cut < whole.length; cut++) {
      const dir = copyDir(base);
      const file = path.join(dir, path.basename(journal!));
      fs.writeFileSync(file, whole.subarray(0, cut));
      const opened = await openEngine(dir);
      expect(eventNumbers(opened.storage), `cut at ${cut}`).toEqual(range(1, 4));
      if (cut > lastStart) expect(opened.logs.join('\n')).toMatch(/truncated a torn or corrupt tail of \d+ bytes/);
      expect(fs.statSync(file).size).toBe(lastStart);
      await insertEvents(opened.storage, 5, 6);
      await opened.storage.close();
      const again = await openEngine(dir);
      expect(eventNumbers(again.storage)).toEqual(range(1, 6));
      await again.storage.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('drops a last record whose checksum fails', async () => {
    const dir = newDir();
    const { storage } = await openEngine(dir);
    await insertEvents(storage, 1, 3);
    await storage.close();
    const [journal] = named(dir, /^journal-/);
    const buf = fs.readFileSync(journal!);
    buf[buf.length - 3]! ^= 0x10;
    fs.writeFileSync(journal!, buf);
    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual([1, 2]);
    expect(opened.logs.join('\n')).toMatch(/truncated/);
    await opened.storage.close();
  });
});

describe('snapshots', () => {
  async function twoSnapshots(dir: string) {
    const { storage } = await openEngine(dir);
    await insertEvents(storage, 1, 10);
    const first = await storage.snapshotNow();
    await insertEvents(storage, 11, 20);
    const second = await storage.snapshotNow();
    await insertEvents(storage, 21, 25);
    await storage.close();
    return { first, second };
  }

  it('are written as files that reload to the same data, keeping the newest two', async () => {
    const dir = newDir();
    const { storage } = await openEngine(dir);
    for (let i = 0; i < 4; i++) {
      await insertEvents(storage, i * 10 + 1, i * 10 + 10);
      const snap = await storage.snapshotNow();
      expect(fs.existsSync(snap.file)).toBe(true);
    }
    await storage.close();
    expect(named(dir, /^snapshot-/)).toHaveLength(2);
    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual(range(1, 40));
    await opened.storage.close();
  });

  it('are written by a worker that is gone once the snapshot is, so no second copy stays in memory', async () => {
    const dir = newDir();
    const { storage } = await openEngine(dir);
    const threads = () => fs.readdirSync('/proc/self/task').length;
    await insertEvents(storage, 1, 10);
    await fs.promises.stat(dir); // starts libuv's thread pool, which stays
    const before = threads();
    for (let i = 1; i <= 3; i++) {
      const writes = insertEvents(storage, i * 10 + 1, i * 10 + 10); // in flight while the worker reads the files
      const snap = await storage.snapshotNow();
      await writes;
      expect(fs.existsSync(snap.file)).toBe(true);
      expect(threads()).toBe(before);
    }
    await storage.close();
    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual(range(1, 40));
    await opened.storage.close();
  });

  it('are taken by themselves when the journal passes the record threshold', async () => {
    const dir = newDir();
    const { storage, logs } = await openEngine(dir, { snapshotAfterRecords: 20 });
    const written = async (count: number) => {
      for (let i = 0; i < 200 && storage.stats().snapshotsWritten < count; i++) await new Promise((r) => setTimeout(r, 25));
      return storage.stats().snapshotsWritten;
    };
    await insertEvents(storage, 1, 30);
    expect(await written(1)).toBe(1);
    await insertEvents(storage, 31, 70);
    expect(await written(2)).toBeGreaterThanOrEqual(2);
    expect(storage.stats().journalRecords).toBeLessThan(40);
    expect(logs.join('\n')).toMatch(/snapshot at record \d+ written/);
    await storage.close();
    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual(range(1, 70));
    await opened.storage.close();
  });

  it('fall back to the previous snapshot when the newest has a flipped bit', async () => {
    const dir = newDir();
    const { second } = await twoSnapshots(dir);
    const buf = fs.readFileSync(second.file);
    buf[Math.floor(buf.length / 2)]! ^= 0x04;
    fs.writeFileSync(second.file, buf);

    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual(range(1, 25));
    const log = opened.logs.join('\n');
    expect(log).toContain(`${second.file} fails its checksum`);
    expect(log).toMatch(/fell back to snapshot/);
    await opened.storage.close();
    expect(fs.existsSync(`${second.file}.corrupt`)).toBe(true);
    const again = await openEngine(dir);
    expect(eventNumbers(again.storage)).toEqual(range(1, 25));
    await again.storage.close();
  });

  it('refuse to start, naming the files, when no snapshot is readable and the journal does not reach back', async () => {
    const dir = newDir();
    const { first, second } = await twoSnapshots(dir);
    for (const file of [first.file, second.file]) {
      const buf = fs.readFileSync(file);
      buf[100]! ^= 0x01;
      fs.writeFileSync(file, buf);
    }
    const before = fs.readdirSync(dir).sort();
    await expect(openEngine(dir)).rejects.toThrow(new RegExp(`no readable snapshot.*${path.basename(second.file)}.*${path.basename(first.file)}.*refusing to start empty`));
    // Nothing was deleted or replaced, and the lock was released.
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });
});

describe('migrations', () => {
  it('run in order once, and a database newer than the code is refused', async () => {
    const dir = newDir();
    const v3 = [...eventMigrations, { version: 3, name: 'extra', up: (db: { run(sql: string): unknown }) => db.run('CREATE TABLE extra (x)') }];
    const a = await openEngine(dir, { migrations: v3 });
    await a.storage.close();
    const b = await openEngine(dir, { migrations: v3 });
    expect(b.storage.read((db) => db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))!.value).toBe('3');
    await b.storage.close();
    await expect(openEngine(dir)).rejects.toThrow(/schema version 3, newer than this Meowtrix \(2\)/);
  });

  it('applies a migration registered later with a lower number than the newest applied one', async () => {
    const dir = newDir();
    const withFive = [...eventMigrations, { version: 5, name: 'five', up: (db: { run(sql: string): unknown }) => db.run('CREATE TABLE five (x)') }];
    const a = await openEngine(dir, { migrations: withFive });
    await a.storage.close();
    const withFour = [...withFive, { version: 4, name: 'four', up: (db: { run(sql: string): unknown }) => db.run('CREATE TABLE four (x)') }];
    const b = await openEngine(dir, { migrations: withFour });
    const tables = b.storage.read((db) => db.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('four', 'five')`));
    expect(tables.map((t) => t.name).sort()).toEqual(['five', 'four']);
    expect(b.storage.read((db) => db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))!.value).toBe('5');
    await b.storage.close();
    // Once applied, it does not run again (CREATE TABLE would fail if it did).
    const c = await openEngine(dir, { migrations: withFour });
    await c.storage.close();
  });
});

describe('data dir lock', () => {
  it('refuses a second opener while the first holds it, and takes over a stale lock', async () => {
    const dir = newDir();
    const first = await openEngine(dir);
    await expect(openEngine(dir)).rejects.toThrow(/in use by another Meowtrix server/);
    await first.storage.close();
    // A lock left by a process that no longer exists.
    fs.writeFileSync(path.join(dir, 'meowtrix.lock'), JSON.stringify({ pid: 2 ** 22 + 17, started: '1', host: (await import('node:os')).hostname() }));
    const second = await openEngine(dir);
    await second.storage.close();
    expect(fs.existsSync(path.join(dir, 'meowtrix.lock'))).toBe(false);
  });
});

describe('write failures', () => {
  it('fail the write, leave memory as on disk, keep reads working, and later writes succeed', async () => {
    const dir = newDir();
    const control = path.join(newDir(), 'fault');
    process.env[FAULT_FILE_ENV] = control;
    try {
      const { storage } = await openEngine(dir);
      await insertEvents(storage, 1, 3);
      fs.writeFileSync(control, 'ENOSPC');
      const failed = storage.write((db) => db.run('INSERT INTO events (n, body) VALUES (?, ?)', [4, 'event 4']));
      await expect(failed).rejects.toThrow(/storage write failed: ENOSPC/);
      expect(eventNumbers(storage)).toEqual([1, 2, 3]);
      fs.writeFileSync(control, 'EIO');
      await expect(insertEvents(storage, 4, 4)).rejects.toThrow(/storage write failed: EIO/);
      expect(eventNumbers(storage)).toEqual([1, 2, 3]);
      fs.rmSync(control);
      await insertEvents(storage, 4, 5);
      expect(eventNumbers(storage)).toEqual(range(1, 5));
      await storage.close();
      const again = await openEngine(dir);
      expect(eventNumbers(again.storage)).toEqual(range(1, 5));
      await again.storage.close();
    } finally {
      delete process.env[FAULT_FILE_ENV];
    }
  });
});

describe('snapshot failures', () => {
  it('lose nothing: the snapshot is refused, no partial file is left, and a later one succeeds', async () => {
    const dir = newDir();
    const control = path.join(newDir(), 'fault');
    process.env[FAULT_FILE_ENV] = control;
    try {
      const { storage } = await openEngine(dir);
      await insertEvents(storage, 1, 10);
      fs.writeFileSync(control, 'ENOSPC');
      await expect(storage.snapshotNow()).rejects.toThrow(/snapshot/);
      expect(named(dir, /\.tmp$/)).toEqual([]);
      fs.rmSync(control);
      await insertEvents(storage, 11, 12);
      const snap = await storage.snapshotNow();
      expect(snap.seq).toBe(storage.stats().lastSeq);
      await storage.close();
      const again = await openEngine(dir);
      expect(eventNumbers(again.storage)).toEqual(range(1, 12));
      await again.storage.close();
    } finally {
      delete process.env[FAULT_FILE_ENV];
    }
  });

  it('when the snapshot worker cannot write the snapshot, the journal keeps everything', async () => {
    const dir = newDir();
    const { storage } = await openEngine(dir);
    await insertEvents(storage, 1, 10);
    await storage.snapshotNow();
    await insertEvents(storage, 11, 20);
    // Fail only the worker's write: a directory sits where its temp file goes.
    const next = path.join(dir, `snapshot-${String(storage.stats().lastSeq).padStart(16, '0')}.db.tmp`);
    fs.mkdirSync(next);
    await expect(storage.snapshotNow()).rejects.toThrow(/snapshot failed/);
    fs.rmdirSync(next);
    await insertEvents(storage, 21, 22);
    await storage.close();
    const again = await openEngine(dir);
    expect(eventNumbers(again.storage)).toEqual(range(1, 22));
    await again.storage.close();
  });

  it('an empty journal left by an interrupted rotation is removed at start', async () => {
    const dir = newDir();
    const { storage } = await openEngine(dir);
    await insertEvents(storage, 1, 5);
    await storage.close();
    const [journal] = named(dir, /^journal-/);
    // Named for record 4, which the real journal holds.
    const stray = path.join(dir, `journal-${String(4).padStart(16, '0')}.log`);
    expect(journal).not.toBe(stray);
    fs.writeFileSync(stray, '');
    const opened = await openEngine(dir);
    expect(eventNumbers(opened.storage)).toEqual(range(1, 5));
    expect(fs.existsSync(stray)).toBe(false);
    expect(opened.logs.join('\n')).toMatch(/removed the empty journal/);
    await insertEvents(opened.storage, 6, 7);
    await opened.storage.close();
    const again = await openEngine(dir);
    expect(eventNumbers(again.storage)).toEqual(range(1, 7));
    await again.storage.close();
  });
});
