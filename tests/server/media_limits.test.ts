// Media limits and safety through real HTTP: size limit (413, nothing left on disk), tokens on v1,
// headers that keep uploaded HTML inert, byte ranges, caching, and the admin media API.
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { filesUnder, patternBytes, sha256, uploadBytes } from '../helpers/media.ts';

describe('media limits and safety', () => {
  let server: ServerProcess;
  let alice: LoggedIn;
  let admin: LoggedIn;
  const media = () => path.join(server.dataDir, 'media');

  beforeAll(async () => {
    server = await startServer({ args: ['--max-upload-mb', '1'] });
    alice = await registerAndLogin(server, 'alice');
    admin = await registerAndLogin(server, 'root', 'pw-root', { admin: true });
  });
  afterAll(() => server?.dispose());

  it('advertises the configured limit', async () => {
    const res = await request(server.url, 'GET', '/_matrix/client/v1/media/config', { token: alice.accessToken });
    expect(res.body['m.upload.size']).toBe(1024 * 1024);
  });

  it('refuses an oversized upload with 413 M_TOO_LARGE and leaves nothing on disk', async () => {
    const before = filesUnder(media());
    const big = patternBytes(3 * 1024 * 1024);
    // Declared up front (Content-Length): refused before the body is read.
    const declared = await uploadBytes(server.url, alice.accessToken, big);
    expect(declared.status).toBe(413);
    expect(declared.body.errcode).toBe('M_TOO_LARGE');
    // Streamed without a length (chunked): refused once the limit is crossed, partial file removed.
    const chunks = [big.subarray(0, 1024 * 1024), big.subarray(1024 * 1024)];
    const streamed = await fetch(`${server.url}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}` },
      body: new ReadableStream({
        start(c) {
          for (const chunk of chunks) c.enqueue(chunk);
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { errcode: string }).errcode).toBe('M_TOO_LARGE');
    expect(filesUnder(media())).toEqual(before);
    // Exactly at the limit is fine.
    const exact = await uploadBytes(server.url, alice.accessToken, patternBytes(1024 * 1024));
    expect(exact.status).toBe(200);
  });

  it('answers 401 on v1 media endpoints without a token or with a bad one', async () => {
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, 'x', { contentType: 'text/plain' });
    const paths = [
      ['GET', '/_matrix/client/v1/media/config'],
      ['GET', `/_matrix/client/v1/media/download/test.local/${mediaId}`],
      ['GET', `/_matrix/client/v1/media/download/test.local/${mediaId}/name.txt`],
      ['GET', `/_matrix/client/v1/media/thumbnail/test.local/${mediaId}?width=32&height=32`],
      ['GET', '/_matrix/client/v1/media/preview_url?url=https%3A%2F%2Fexample.org'],
      ['POST', '/_matrix/media/v3/upload'],
      ['POST', '/_matrix/media/v1/create'],
    ];
    for (const [method, p] of paths) {
      const body = method === 'POST' ? { rawBody: '{}' } : {};
      const missing = await request(server.url, method!, p!, body);
      expect(missing.status, `${method} ${p}`).toBe(401);
      expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
      const bad = await request(server.url, method!, p!, { token: 'not-a-real-token', ...body });
      expect(bad.status, `${method} ${p}`).toBe(401);
      expect(bad.body.errcode).toBe('M_UNKNOWN_TOKEN');
    }
    // Nothing was stored by the refused uploads.
    expect(filesUnder(path.join(media(), 'tmp'))).toEqual([]);
  });

  it('serves uploaded HTML and SVG as inert attachments (sandbox CSP, nosniff)', async () => {
    for (const [type, body] of [
      ['text/html', '<html><script>alert(document.cookie)</script></html>'],
      ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ] as const) {
      const { mediaId } = await uploadBytes(server.url, alice.accessToken, body, { contentType: type, filename: 'evil.html' });
      for (const prefix of ['/_matrix/media/v3', '/_matrix/client/v1/media']) {
        const res = await fetch(`${server.url}${prefix}/download/test.local/${mediaId}`, { headers: { Authorization: `Bearer ${alice.accessToken}` } });
        expect(res.status).toBe(200);
        const csp = res.headers.get('content-security-policy')!;
        expect(csp).toMatch(/(^|;\s*)sandbox(;|$)/);
        expect(csp).toMatch(/default-src 'none'/);
        expect(csp).toMatch(/script-src 'none'/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="evil.html"$/);
        expect(res.headers.get('content-type')).toBe(type);
        expect(await res.text()).toBe(body);
      }
    }
    // A safe type is inline.
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, 'plain', { contentType: 'text/plain', filename: 'a "quoted" name.txt' });
    const res = await fetch(`${server.url}/_matrix/media/v3/download/test.local/${mediaId}`);
    expect(res.headers.get('content-disposition')).toBe('inline; filename="a \\"quoted\\" name.txt"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the first, middle and last byte ranges exactly', async () => {
    const bytes = patternBytes(1000 * 1000, 5);
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, bytes, { contentType: 'video/mp4' });
    const url = `${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}`;
    const auth = { Authorization: `Bearer ${alice.accessToken}` };
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=400000-400999', 400000, 400999],
      ['bytes=999900-', 999900, 999999],
      ['bytes=-100', 999900, 999999],
      ['bytes=999990-2000000', 999990, 999999],
    ];
    for (const [range, start, end] of cases) {
      const res = await fetch(url, { headers: { ...auth, Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bytes.length}`);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.length).toBe(end - start + 1);
      expect(body.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
    const whole = await fetch(url, { headers: auth });
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(bytes));

    const beyond = await fetch(url, { headers: { ...auth, Range: 'bytes=1000000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expect(((await beyond.json()) as { errcode: string }).errcode).toBe('M_UNKNOWN');
    // A resumed download whose stored ETag no longer matches gets the whole file.
    const stale = await fetch(url, { headers: { ...auth, Range: 'bytes=0-9', 'If-Range': '"stale"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('sends a strong ETag and immutable caching, and answers If-None-Match with 304', async () => {
    const bytes = Buffer.from('cache me');
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, bytes);
    const url = `${server.url}/_matrix/media/v3/download/test.local/${mediaId}`;
    const first = await fetch(url);
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${sha256(bytes)}"`);
    expect(first.headers.get('cache-control')).toMatch(/immutable/);
    await first.arrayBuffer();
    const again = await fetch(url, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    const v1 = await fetch(`${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}`, { headers: { Authorization: `Bearer ${alice.accessToken}` } });
    expect(v1.headers.get('cache-control')).toMatch(/^private/);
    await v1.arrayBuffer();
  });

  it('lets only admins list, summarise and delete media (Synapse admin API)', async () => {
    const mine = await uploadBytes(server.url, alice.accessToken, patternBytes(5000), { filename: 'list-me.bin' });
    const listPath = `/_synapse/admin/v1/users/${encodeURIComponent(alice.userId)}/media`;
    const denied = await request(server.url, 'GET', listPath, { token: alice.accessToken });
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    expect((await request(server.url, 'DELETE', `/_synapse/admin/v1/media/test.local/${mine.mediaId}`, { token: alice.accessToken })).status).toBe(403);
    expect((await request(server.url, 'GET', '/_synapse/admin/v1/statistics/users/media', { token: alice.accessToken })).status).toBe(403);

    const list = await request(server.url, 'GET', `${listPath}?dir=b&limit=2`, { token: admin.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.total).toBeGreaterThanOrEqual(3);
    expect(list.body.media).toHaveLength(2);
    expect(list.body.next_token).toBe(2);
    expect(list.body.media[0]).toMatchObject({ media_id: mine.mediaId, media_length: 5000, upload_name: 'list-me.bin', media_type: 'application/octet-stream' });

    const stats = await request(server.url, 'GET', '/_synapse/admin/v1/statistics/users/media', { token: admin.accessToken });
    expect(stats.status).toBe(200);
    const aliceStats = stats.body.users.find((u: { user_id: string }) => u.user_id === alice.userId);
    expect(aliceStats.media_count).toBe(list.body.total);
    expect(stats.body.total_media_length).toBeGreaterThanOrEqual(5000);

    const del = await request(server.url, 'DELETE', `/_synapse/admin/v1/media/test.local/${mine.mediaId}`, { token: admin.accessToken });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted_media: [mine.mediaId], total: 1 });
    expect((await request(server.url, 'GET', `/_matrix/media/v3/download/test.local/${mine.mediaId}`)).status).toBe(404);
    expect(filesUnder(media()).some((f) => f.includes(mine.mediaId!))).toBe(false);
    expect((await request(server.url, 'DELETE', `/_synapse/admin/v1/media/test.local/${mine.mediaId}`, { token: admin.accessToken })).status).toBe(404);
  });

  it('never answers 500 to odd upload requests', async () => {
    const odd = [
      { headers: { 'Content-Type': 'bad type\u0001' } },
      { headers: { 'Content-Type': 'x'.repeat(5000) + '/y' } },
      { query: '?filename=%' },
      { query: '?filename=' + 'a'.repeat(2000) },
    ];
    for (const o of odd) {
      let status: number;
      try {
        const res = await fetch(`${server.url}/_matrix/media/v3/upload${o.query ?? ''}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${alice.accessToken}`, ...(o.headers ?? {}) },
          body: 'data',
        });
        status = res.status;
      } catch {
        continue; // fetch itself refused to send an invalid header: nothing reached the server
      }
      expect(status, JSON.stringify(o)).toBeLessThan(500);
    }
    // A client that goes away mid-upload leaves no partial file behind.
    await new Promise<void>((resolve) => {
      const req = http.request(`${server.url}/_matrix/media/v3/upload`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Length': String(900_000) },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(300_000));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(filesUnder(path.join(media(), 'tmp'))).toEqual([]);
    expect((await request(server.url, 'GET', '/_matrix/client/v1/media/config', { token: alice.accessToken })).status).toBe(200);
  });
});
