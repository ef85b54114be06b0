// Writes commit in memory and the journal's fdatasync runs behind them (storage/journal_writer.ts).
// What this must never allow: an answer that shows a write leaving the server before the write is
// on disk; and when an fdatasync fails, memory that is ahead of the disk being served.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { request, startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, login, type LoggedIn } from '../helpers/accounts.ts';
import { FAULT_FILE_ENV } from '../../server/storage/files.ts';
import { StorageWriteError } from '../../server/storage/errors.ts';
import type { EngineStorage } from '../../server/storage/database.ts';
import { eventNumbers, insertEvents, openEngine } from './fixtures/engine.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
function dir(prefix: string): string {
  const d = tempDataDir(prefix);
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
async function server(options: Parameters<typeof startServer>[0] = {}): Promise<ServerProcess> {
  const s = await startServer(options);
  cleanup.push(() => s.stop('SIGKILL').then(() => undefined));
  return s;
}
/** One write, resolved once committed (not yet durable). */
const insert = (storage: EngineStorage, n: number) => storage.write((db) => db.run('INSERT INTO events (n, body) VALUES (?, ?)', [n, `event ${n}`]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataPath = (who: LoggedIn, type: string) => `/_matrix/client/v3/user/${encodeURIComponent(who.userId)}/account_data/${type}`;

describe('answers wait for the disk', () => {
  it('holds every answer that could show a committed write until its fdatasync has ended', async () => {
    const control = path.join(dir('meowtrix-fault-'), 'disk');
    const s = await server({ env: { [FAULT_FILE_ENV]: control } });
    const anna = await registerAndLogin(s, 'anna');

    const SLOW_MS = 2000;
    fs.writeFileSync(control, `DELAY ${SLOW_MS} fdatasync`);
    const t0 = performance.now();
    const put = request(s.url, 'PUT', dataPath(anna, 'org.example.slow'), { token: anna.accessToken, body: { n: 1 } })
      .then((res) => ({ res, at: performance.now() - t0 }));
    await sleep(300); // committed in memory by now; its fdatasync is waiting on the slow disk
    const read = await request(s.url, 'GET', dataPath(anna, 'org.example.slow'), { token: anna.accessToken });
    const readAt = performance.now() - t0;
    const written = await put;

    // The read saw the write, but only once it was durable; without the hold it answers at ≈ 300 ms.
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ n: 1 });
    expect(readAt).toBeGreaterThan(SLOW_MS - 200);
    expect(written.res.status).toBe(200);
    expect(written.at).toBeGreaterThan(SLOW_MS - 200);

    // With nothing in flight, answers are not held.
    fs.rmSync(control);
    const t1 = performance.now();
    expect((await request(s.url, 'GET', dataPath(anna, 'org.example.slow'), { token: anna.accessToken })).body).toEqual({ n: 1 });
    expect(performance.now() - t1).toBeLessThan(SLOW_MS / 2);
  });

  it('stops the server when an fdatasync fails, answers nothing of it, and the restart serves all that was acknowledged', async () => {
    const control = path.join(dir('meowtrix-fault-'), 'disk');
    const s = await server({ env: { [FAULT_FILE_ENV]: control } });
    const anna = await registerAndLogin(s, 'anna');
    expect((await request(s.url, 'PUT', dataPath(anna, 'org.example.before'), { token: anna.accessToken, body: { n: 1 } })).status).toBe(200);

    fs.writeFileSync(control, 'EIO fdatasync');
    const exited = new Promise<number | null>((resolve) => s.proc.once('exit', (code) => resolve(code)));
    const during = await request(s.url, 'PUT', dataPath(anna, 'org.example.during'), { token: anna.accessToken, body: { n: 2 } })
      .then((res) => res.status, (err: Error) => err.message);
    expect(during).not.toBe(200);
    expect(await exited).toBe(1);
    expect(s.output()).toMatch(/the journal could not be synced to disk; stopping the server/);

    fs.rmSync(control);
    const again = await server({ dataDir: s.dataDir });
    const anna2 = await login(again, 'anna', 'pw-anna');
    const before = await request(again.url, 'GET', dataPath(anna2, 'org.example.before'), { token: anna2.accessToken });
    expect(before.body).toEqual({ n: 1 });
  });
});

describe('the storage engine after a failed fdatasync', () => {
  it('reports it once, rejects durable(), and refuses every later write', async () => {
    const control = path.join(dir('meowtrix-fault-'), 'disk');
    process.env[FAULT_FILE_ENV] = control;
    const failures: Error[] = [];
    try {
      const { storage } = await openEngine(dir('meowtrix-engine-'), { onDiskFailure: (err) => failures.push(err) });
      await insertEvents(storage, 1, 2);
      await storage.durable();
      expect(storage.durable()).toBeNull(); // nothing left in flight

      fs.writeFileSync(control, 'EIO fdatasync');
      await insert(storage, 3); // committed in memory: the write itself reached the file
      await expect(storage.durable()).rejects.toBeInstanceOf(StorageWriteError);
      expect(failures).toHaveLength(1);
      expect(failures[0]!.message).toMatch(/EIO/);

      fs.rmSync(control); // the disk works again, but what was lost is unknown: no more writes
      await expect(insert(storage, 4)).rejects.toBeInstanceOf(StorageWriteError);
      expect(eventNumbers(storage)).toEqual([1, 2, 3]);
      expect(failures).toHaveLength(1);
      await storage.close();
    } finally {
      delete process.env[FAULT_FILE_ENV];
    }
  });

  it('resolves durable() only once an fdatasync that started after the last commit has ended', async () => {
    const control = path.join(dir('meowtrix-fault-'), 'disk');
    process.env[FAULT_FILE_ENV] = control;
    try {
      const { storage } = await openEngine(dir('meowtrix-engine-'));
      await storage.durable(); // the migrations' records
      const SLOW_MS = 400;
      fs.writeFileSync(control, `DELAY ${SLOW_MS} fdatasync`);
      const t0 = performance.now();
      await insert(storage, 1); // its fdatasync starts now and takes SLOW_MS
      const firstOnly = storage.durable()!;
      await insert(storage, 2); // written while that one is in flight: only the next one covers it
      const both = storage.durable()!;
      await firstOnly;
      const firstAt = performance.now() - t0;
      expect(storage.durable()).not.toBeNull(); // record 2 is not durable yet
      await both;
      const bothAt = performance.now() - t0;
      expect(firstAt).toBeGreaterThan(SLOW_MS - 50);
      expect(bothAt).toBeGreaterThan(firstAt + SLOW_MS - 50);
      expect(storage.durable()).toBeNull();
      fs.rmSync(control);
      await storage.close();
    } finally {
      delete process.env[FAULT_FILE_ENV];
    }
  });
});
