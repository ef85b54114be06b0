// The storage engine as the real server process shows it: a full disk fails one request cleanly,
// one server per data dir, unreadable or newer data refused at start, backup and restore by CLI.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, request, startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, login, type LoggedIn } from '../helpers/accounts.ts';
import { FAULT_FILE_ENV } from '../../server/storage/files.ts';
import { eventMigrations, insertEvents, openEngine } from './fixtures/engine.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
function dir(prefix = 'meowtrix-storage-'): string {
  const d = tempDataDir(prefix);
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}
async function server(options: Parameters<typeof startServer>[0] = {}): Promise<ServerProcess> {
  const s = await startServer(options);
  cleanup.push(() => s.stop().then(() => undefined));
  return s;
}

/** Runs the CLI to completion. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    proc.on('close', (code) => resolve({ code, out }));
  });
}

const dataPath = (who: LoggedIn, type: string) => `/_matrix/client/v3/user/${encodeURIComponent(who.userId)}/account_data/${type}`;
const putData = (s: ServerProcess, who: LoggedIn, type: string, content: unknown) => request(s.url, 'PUT', dataPath(who, type), { token: who.accessToken, body: content });
const getData = (s: ServerProcess, who: LoggedIn, type: string) => request(s.url, 'GET', dataPath(who, type), { token: who.accessToken });

describe('a failing disk', () => {
  it('fails the request with 500 "storage write failed", changes nothing, keeps reads up, and the next write after space returns succeeds', async () => {
    const control = path.join(dir('meowtrix-fault-'), 'disk');
    const s = await server({ env: { [FAULT_FILE_ENV]: control } });
    const anna = await registerAndLogin(s, 'anna');
    expect((await putData(s, anna, 'org.example.before', { n: 1 })).status).toBe(200);

    fs.writeFileSync(control, 'ENOSPC');
    const failed = await putData(s, anna, 'org.example.during', { n: 2 });
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ errcode: 'M_UNKNOWN', error: 'storage write failed' });
    expect((await getData(s, anna, 'org.example.during')).status).toBe(404);
    const before = await getData(s, anna, 'org.example.before');
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ n: 1 });
    expect((await request(s.url, 'GET', '/_matrix/client/versions')).status).toBe(200);

    fs.rmSync(control);
    expect((await putData(s, anna, 'org.example.during', { n: 3 })).status).toBe(200);
    expect((await getData(s, anna, 'org.example.during')).body).toEqual({ n: 3 });

    // And after a restart the disk holds exactly what was acknowledged.
    await s.stop();
    const again = await server({ dataDir: s.dataDir });
    const anna2 = await login(again, 'anna', 'pw-anna');
    expect((await getData(again, anna2, 'org.example.before')).body).toEqual({ n: 1 });
    expect((await getData(again, anna2, 'org.example.during')).body).toEqual({ n: 3 });
  });
});

describe('one server per data dir', () => {
  it('refuses a second server on the same dir, and restarts after the first was killed', async () => {
    const first = await server();
    await expect(startServer({ dataDir: first.dataDir })).rejects.toThrow(/in use by another Meowtrix server \(process \d+/);
    expect(fs.statSync(path.join(first.dataDir, 'meowtrix.lock')).mode & 0o777).toBe(0o600);
    await first.stop('SIGKILL'); // leaves a stale lock behind
    expect(fs.existsSync(path.join(first.dataDir, 'meowtrix.lock'))).toBe(true);
    const second = await server({ dataDir: first.dataDir });
    expect((await request(second.url, 'GET', '/_matrix/client/versions')).status).toBe(200);
    for (const name of fs.readdirSync(first.dataDir)) {
      const st = fs.statSync(path.join(first.dataDir, name));
      if (st.isFile()) expect(st.mode & 0o077, name).toBe(0);
    }
  });
});

describe('refusing to start', () => {
  it('exits with a message naming the file when no snapshot is readable, and leaves the data alone', async () => {
    const d = dir();
    const { storage } = await openEngine(d);
    await insertEvents(storage, 1, 5);
    const a = await storage.snapshotNow();
    await insertEvents(storage, 6, 10);
    const b = await storage.snapshotNow();
    await storage.close();
    for (const file of [a.file, b.file]) fs.writeFileSync(file, Buffer.from('not a snapshot at all'));
    const before = fs.readdirSync(d).sort();
    await expect(startServer({ dataDir: d })).rejects.toThrow(new RegExp(`no readable snapshot in .*${path.basename(b.file)} is not a Meowtrix snapshot.*refusing to start empty`));
    expect(fs.readdirSync(d).sort()).toEqual(before);
  });

  it('exits when the database is newer than the code', async () => {
    const d = dir();
    const { storage } = await openEngine(d, { migrations: [...eventMigrations, { version: 9999, name: 'future', up: () => undefined }] });
    await storage.close();
    await expect(startServer({ dataDir: d })).rejects.toThrow(/schema version 9999, newer than this Meowtrix/);
  });
});

describe('backup and restore', () => {
  it('copies a running server’s data while it writes, and restores it into a new dir that serves it', async () => {
    const s = await server();
    const anna = await registerAndLogin(s, 'anna');
    for (let i = 0; i < 20; i++) expect((await putData(s, anna, `org.example.k${i}`, { i })).status).toBe(200);
    fs.mkdirSync(path.join(s.dataDir, 'media', 'ab'), { recursive: true });
    fs.writeFileSync(path.join(s.dataDir, 'media', 'ab', 'blob'), 'media bytes');

    // Writes keep flowing while the backup runs.
    let writing = true;
    let acknowledged = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) if ((await putData(s, anna, `org.example.live${i}`, { i })).status === 200) acknowledged = i + 1;
    })();
    const out = path.join(dir('meowtrix-backup-'), 'home.mtxbackup');
    await new Promise((r) => setTimeout(r, 200));
    const ackedBeforeBackup = acknowledged;
    expect(ackedBeforeBackup).toBeGreaterThan(0);
    const made = await cli(['backup', '--data', s.dataDir, '--out', out]);
    writing = false;
    await writer;
    expect(made.code, made.out).toBe(0);
    expect(made.out).toMatch(/Backed up/);
    expect(fs.statSync(out).mode & 0o077).toBe(0);

    const target = dir('meowtrix-restored-');
    fs.writeFileSync(path.join(target, 'something'), 'x');
    const refused = await cli(['restore', '--data', target, '--in', out]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/is not empty.*--force/);
    expect(fs.readFileSync(path.join(target, 'something'), 'utf8')).toBe('x');
    const restored = await cli(['restore', '--data', target, '--in', out, '--force']);
    expect(restored.code, restored.out).toBe(0);
    expect(fs.existsSync(path.join(target, 'something'))).toBe(false);
    expect(fs.readFileSync(path.join(target, 'media', 'ab', 'blob'), 'utf8')).toBe('media bytes');

    const copy = await server({ dataDir: target });
    const anna2 = await login(copy, 'anna', 'pw-anna');
    for (let i = 0; i < 20; i++) expect((await getData(copy, anna2, `org.example.k${i}`)).body).toEqual({ i });
    // Every write acknowledged before the backup started is in it.
    for (let i = 0; i < ackedBeforeBackup; i++) expect((await getData(copy, anna2, `org.example.live${i}`)).status, `live${i}`).toBe(200);
  });

  it('refuses a damaged backup file', async () => {
    const s = await server();
    await registerAndLogin(s, 'bob');
    const out = path.join(dir('meowtrix-backup-'), 'b.mtxbackup');
    expect((await cli(['backup', '--data', s.dataDir, '--out', out])).code).toBe(0);
    const buf = fs.readFileSync(out);
    buf[Math.floor(buf.length / 2)]! ^= 0x20;
    fs.writeFileSync(out, buf);
    const target = path.join(dir('meowtrix-restored-'), 'new');
    const res = await cli(['restore', '--data', target, '--in', out]);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/fails its checksum/);
    expect(fs.existsSync(target)).toBe(false);
  });
});
