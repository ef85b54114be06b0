// Faults: kill -9 in the middle of a storm of sends, uploads and key uploads (everything acknowledged
// survives, no half-written media); clients vanishing mid-upload and mid-sync (no leaked file
// descriptors or temp files); and the wall clock jumping backwards (stream order and tokens hold).
// Running out of disk mid-send is covered by tests/storage/server.test.ts, mid-upload by media_limits.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { startServer, tempDataDir, request, type ServerProcess } from '../helpers/server.ts';
import { login, createUser, type LoggedIn } from '../helpers/accounts.ts';
import { TestUser, enc, timelineOf } from '../helpers/rooms.ts';
import { filesUnder } from '../helpers/fuzz.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

const NO_LIMITS = ['--rate-limit', 'send.user=100000:10000', '--rate-limit', 'upload.user=100000:10000'];

function payload(i: number): Buffer {
  // Distinct sizes and bytes, so any file on disk can be matched to the upload it came from.
  const size = 20_000 + i * 997;
  const buf = Buffer.alloc(size);
  for (let k = 0; k < size; k++) buf[k] = (k * 31 + i * 7) & 0xff;
  return buf;
}

describe('kill -9 during a storm', () => {
  test('every acknowledged send, upload and key upload is there after restart; no half-written media', async () => {
    const dataDir = tempDataDir();
    let server = await startServer({ dataDir, args: NO_LIMITS });
    cleanup.push(async () => {
      await server.stop('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    await createUser(server, 'storm', 'storm-pw');
    const me = await login(server, 'storm', 'storm-pw');
    const roomId = await new TestUser(server, me).createRoom({ name: 'storm' });
    const auth = { Authorization: `Bearer ${me.accessToken}` };

    const sent: { eventId: string; body: string }[] = [];
    const uploads: { mediaId: string; sha: string }[] = [];
    let keysAcked = 0;
    let stop = false;
    const sender = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const body = `storm ${w}-${i}`;
        try {
          const res = await fetch(`${server.url}/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/s${w}-${i}`, {
            method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ msgtype: 'm.text', body }),
          });
          if (res.status === 200) sent.push({ eventId: ((await res.json()) as { event_id: string }).event_id, body });
        } catch {
          return; // the server is gone
        }
      }
    };
    const uploader = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const data = payload(w * 1000 + i);
        try {
          const res = await fetch(`${server.url}/_matrix/media/v3/upload`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(data) });
          if (res.status === 200) {
            const uri = ((await res.json()) as { content_uri: string }).content_uri;
            uploads.push({ mediaId: uri.split('/').pop()!, sha: createHash('sha256').update(data).digest('hex') });
          }
        } catch {
          return;
        }
      }
    };
    const keyUploader = async () => {
      for (let i = 0; !stop; i++) {
        const keys: Record<string, unknown> = {};
        for (let k = 0; k < 5; k++) keys[`signed_curve25519:K${i}x${k}`] = { key: `otk-${i}-${k}`, signatures: { [me.userId]: { [`ed25519:${me.deviceId}`]: 'sig' } } };
        try {
          const res = await fetch(`${server.url}/_matrix/client/v3/keys/upload`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ one_time_keys: keys }) });
          if (res.status === 200) keysAcked += 5;
        } catch {
          return;
        }
      }
    };
    const workers = [sender(0), sender(1), sender(2), uploader(0), uploader(1), keyUploader()];
    // Kill once every kind of write has been acknowledged a few times (a loaded machine needs longer
    // than a quiet one), while all workers are still mid-storm.
    const started = Date.now();
    while (Date.now() - started < 20_000 && (Date.now() - started < 1500 || sent.length <= 10 || uploads.length <= 2 || keysAcked <= 10)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.stop('SIGKILL');
    stop = true;
    await Promise.all(workers);
    expect(sent.length).toBeGreaterThan(10);
    expect(uploads.length).toBeGreaterThan(2);
    expect(keysAcked).toBeGreaterThan(10);

    server = await startServer({ dataDir, args: NO_LIMITS });
    // The same session as before the kill: tokens and one-time keys belong to that device.
    const after = me;
    const user = new TestUser(server, after);
    const missing: string[] = [];
    for (const { eventId, body } of sent) {
      const res = await user.call('GET', `/rooms/${enc(roomId)}/event/${enc(eventId)}`);
      if (res.status !== 200 || res.body.content?.body !== body) missing.push(`${eventId} ${body} → ${res.status}`);
    }
    expect(missing, 'acknowledged events lost').toEqual([]);
    for (const { mediaId, sha } of uploads) {
      const res = await fetch(`${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}`, { headers: { Authorization: `Bearer ${after.accessToken}` } });
      expect(res.status, mediaId).toBe(200);
      expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), mediaId).toBe(sha);
    }
    // Every stored file is a whole upload: its size names the payload, its bytes must be that payload.
    const mediaRoot = path.join(dataDir, 'media');
    expect(filesUnder(path.join(mediaRoot, 'tmp')), 'temp files left after restart').toEqual([]);
    for (const file of filesUnder(path.join(mediaRoot, 'content'))) {
      const bytes = fs.readFileSync(file);
      const n = (bytes.length - 20_000) / 997;
      expect(Number.isInteger(n) && payload(n).equals(bytes), `${file} (${bytes.length} bytes) is not a whole upload`).toBe(true);
    }
    // One-time keys: the count covers at least every acknowledged batch.
    const counts = await user.ok('POST', '/keys/upload', {});
    expect(counts.one_time_key_counts.signed_curve25519 ?? 0).toBeGreaterThanOrEqual(keysAcked);
  }, 90_000);
});

function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Opens a raw connection, sends the head and part of a body (or just the head), then vanishes. */
function abandon(port: number, head: string, partial: Buffer | null, waitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      if (partial) socket.write(partial);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, waitMs);
    });
    socket.on('error', () => resolve());
  });
}

describe('clients that vanish', () => {
  test('mid-upload and mid-sync leave no file descriptors, temp files or stuck requests behind', async () => {
    const server = await startServer({ args: NO_LIMITS });
    cleanup.push(() => server.dispose());
    await createUser(server, 'gone', 'gone-pw');
    const me: LoggedIn = await login(server, 'gone', 'gone-pw');
    const pid = server.proc.pid!;
    // Warm up: one of each finished normally, so lazily opened files are already open.
    await new TestUser(server, me).sync({ timeout: 0 });
    await request(server.url, 'POST', '/_matrix/media/v3/upload', { token: me.accessToken, rawBody: Buffer.from('warm') });
    await new Promise((r) => setTimeout(r, 300));
    const before = fdCount(pid);

    const rounds = [];
    for (let i = 0; i < 15; i++) {
      const uploadHead = `POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${me.accessToken}\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n`;
      rounds.push(abandon(server.port, uploadHead, Buffer.alloc(300_000, 7), 200));
      const syncHead = `GET /_matrix/client/v3/sync?timeout=30000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${me.accessToken}\r\n\r\n`;
      rounds.push(abandon(server.port, syncHead, null, 200));
    }
    await Promise.all(rounds);
    // Give the server a moment to notice the closed sockets.
    let after = fdCount(pid);
    for (let i = 0; i < 40 && after > before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = fdCount(pid);
    }
    expect(after, `fds before ${before}, after ${after}`).toBeLessThanOrEqual(before);
    expect(filesUnder(path.join(server.dataDir, 'media', 'tmp'))).toEqual([]);
    // And it still serves.
    const ok = await request(server.url, 'POST', '/_matrix/media/v3/upload', { token: me.accessToken, rawBody: Buffer.from('after') });
    expect(ok.status).toBe(200);
  }, 60_000);
});

describe('the clock jumps backwards', () => {
  test('timeline order, /messages and sync tokens stay correct', async () => {
    const dataDir = tempDataDir();
    const offsetFile = path.join(dataDir, '..', `${path.basename(dataDir)}-clock`);
    fs.writeFileSync(offsetFile, '0');
    const server = await startServer({ dataDir, env: { MEOWTRIX_TEST_CLOCK_OFFSET_FILE: offsetFile } });
    cleanup.push(async () => {
      await server.dispose();
      fs.rmSync(offsetFile, { force: true });
    });
    await createUser(server, 'tick', 'tick-pw');
    const me = new TestUser(server, await login(server, 'tick', 'tick-pw'));
    const roomId = await me.createRoom({});
    for (let i = 0; i < 3; i++) await me.text(roomId, `before ${i}`);
    const token = (await me.sync({ timeout: 0 })).next_batch;

    fs.writeFileSync(offsetFile, String(-2 * 3600_000)); // two hours back
    for (let i = 0; i < 3; i++) await me.text(roomId, `after ${i}`);

    const incremental = await me.sync({ since: token, timeout: 0 });
    expect(timelineOf(incremental, roomId).map((e: any) => e.content.body)).toEqual(['after 0', 'after 1', 'after 2']);
    // The new token is past the old one: nothing is delivered twice.
    const next = await me.sync({ since: incremental.next_batch, timeout: 0 });
    expect(timelineOf(next, roomId)).toEqual([]);
    const page = await me.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=6`);
    expect(page.chunk.map((e: any) => e.content.body)).toEqual(['after 2', 'after 1', 'after 0', 'before 2', 'before 1', 'before 0']);
    const forward = await me.ok('GET', `/rooms/${enc(roomId)}/messages?dir=f&limit=100`);
    const bodies = forward.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
    expect(bodies).toEqual(['before 0', 'before 1', 'before 2', 'after 0', 'after 1', 'after 2']);
    // A long-poll started after the jump still wakes for a new message.
    const waiting = me.sync({ since: next.next_batch, timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    await me.text(roomId, 'live');
    expect(timelineOf(await waiting, roomId).map((e: any) => e.content.body)).toEqual(['live']);
  }, 60_000);
});

// A real full disk: the data dir on a small tmpfs (needs mount rights; root in CI containers).
function canMountTmpfs(): boolean {
  const probe = tempDataDir('meowtrix-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

describe('the disk fills mid-upload', () => {
  test.skipIf(!canMountTmpfs())('a clean JSON error, no partial file, reads keep working, uploads work again when space returns', async () => {
    const dataDir = tempDataDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dataDir]);
    let server: ServerProcess | null = null;
    cleanup.push(async () => {
      await server?.stop('SIGKILL');
      execFileSync('umount', ['-l', dataDir]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    server = await startServer({ dataDir, args: NO_LIMITS });
    await createUser(server, 'full', 'full-pw');
    const me = await login(server, 'full', 'full-pw');
    const user = new TestUser(server, me);
    const roomId = await user.createRoom({});
    await user.text(roomId, 'before the disk filled');

    const big = await request(server.url, 'POST', '/_matrix/media/v3/upload', { token: me.accessToken, rawBody: Buffer.alloc(8 * 1024 * 1024, 1) });
    expect(big.status).toBe(500);
    expect(big.body).toMatchObject({ errcode: 'M_UNKNOWN', error: expect.stringMatching(/out of disk space/) });
    expect(JSON.stringify(big.body)).not.toMatch(/ENOSPC|\/tmp\/|\.part/);
    expect(filesUnder(path.join(dataDir, 'media', 'tmp'))).toEqual([]);
    expect(filesUnder(path.join(dataDir, 'media', 'content'))).toEqual([]);
    // Reads still work.
    const page = await user.ok('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=5`);
    expect(page.chunk.some((e: any) => e.content?.body === 'before the disk filled')).toBe(true);
    expect((await user.call('GET', '/sync?timeout=0')).status).toBe(200);

    execFileSync('mount', ['-o', 'remount,size=64m', dataDir]);
    const data = Buffer.alloc(8 * 1024 * 1024, 2);
    const ok = await request(server.url, 'POST', '/_matrix/media/v3/upload', { token: me.accessToken, rawBody: data });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const mediaId = String(ok.body.content_uri).split('/').pop();
    const back = await fetch(`${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}`, { headers: { Authorization: `Bearer ${me.accessToken}` } });
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
    await user.text(roomId, 'after space returned');
  }, 60_000);
});
