// Media round trips the way real clients do them: matrix-js-sdk's uploadContent, then downloads
// through the authenticated v1 and the legacy v3 paths; server names with a port in both forms.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { downloadHash, patternBytes, sha256, uploadBytes } from '../helpers/media.ts';

function sdkClient(server: ServerProcess, session: LoggedIn): MatrixClient {
  return createClient({ baseUrl: server.url, accessToken: session.accessToken, userId: session.userId, deviceId: session.deviceId });
}

/** Parses the file name out of a Content-Disposition header, preferring RFC 8187 filename*. */
function dispositionName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1]!);
  return /filename="((?:[^"\\]|\\.)*)"/.exec(header)?.[1]?.replace(/\\(.)/g, '$1') ?? null;
}

describe('media round trips (server name "test.local")', () => {
  let server: ServerProcess;
  let alice: LoggedIn;
  let bob: LoggedIn;

  beforeAll(async () => {
    server = await startServer();
    alice = await registerAndLogin(server, 'alice');
    bob = await registerAndLogin(server, 'bob');
  });
  afterAll(() => server?.dispose());

  it('serves the media config on v1 (with auth) and v3, matching the spec', async () => {
    const v1 = await request(server.url, 'GET', '/_matrix/client/v1/media/config', { token: alice.accessToken });
    expect(v1.status).toBe(200);
    expect(v1.body['m.upload.size']).toBe(100 * 1024 * 1024);
    expectMatchesSpec('authed-content-repo.yaml', '/media/config', 'get', 200, v1.body);
    const v3 = await request(server.url, 'GET', '/_matrix/media/v3/config');
    expect(v3.status).toBe(200);
    expect(v3.body).toEqual(v1.body);
  });

  it('uploads 100 MB with matrix-js-sdk and downloads it byte-identical through v1 and v3', async () => {
    const bytes = patternBytes(100 * 1024 * 1024, 7);
    const expected = sha256(bytes);
    const client = sdkClient(server, alice);
    const { content_uri } = await client.uploadContent(new Blob([new Uint8Array(bytes)]), { name: 'big.bin', type: 'application/octet-stream' });
    expect(content_uri).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9_-]+$/);
    expectMatchesSpec('content-repo.yaml', '/media/v3/upload', 'post', 200, { content_uri });

    const v1Url = client.mxcUrlToHttp(content_uri, undefined, undefined, undefined, false, true, true)!;
    expect(v1Url).toContain('/_matrix/client/v1/media/download/test.local/');
    const v1 = await downloadHash(v1Url, { Authorization: `Bearer ${bob.accessToken}` });
    expect(v1.status).toBe(200);
    expect(v1.size).toBe(bytes.length);
    expect(v1.sha256).toBe(expected);
    expect(v1.headers.get('content-length')).toBe(String(bytes.length));

    const v3Url = client.mxcUrlToHttp(content_uri, undefined, undefined, undefined, false, true, false)!;
    expect(v3Url).toContain('/_matrix/media/v3/download/test.local/');
    const v3 = await downloadHash(v3Url);
    expect(v3.status).toBe(200);
    expect(v3.sha256).toBe(expected);
  });

  it('keeps a CJK file name (matrix-js-sdk in Node) and sends it RFC 6266-encoded', async () => {
    const name = '家族の写真 2026年.jpg';
    const client = sdkClient(server, alice);
    const { content_uri } = await client.uploadContent(Buffer.from('not really a jpeg'), { name, type: 'image/jpeg' });
    const mediaId = content_uri.split('/').pop()!;
    const res = await fetch(`${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}`, {
      headers: { Authorization: `Bearer ${alice.accessToken}` },
    });
    expect(res.status).toBe(200);
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^inline; /); // image/jpeg is on the spec's inline list
    expect(disposition).toMatch(/^[\x20-\x7e]+$/); // header stays ASCII; the name travels as filename*
    expect(dispositionName(disposition)).toBe(name);
    expect(res.headers.get('content-type')).toBe('image/jpeg');

    // {fileName} in the path overrides the stored name.
    const renamed = await fetch(`${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}/${encodeURIComponent('ä½ å¥½ 你好.jpg')}`, {
      headers: { Authorization: `Bearer ${alice.accessToken}` },
    });
    expect(renamed.status).toBe(200);
    expect(dispositionName(renamed.headers.get('content-disposition'))).toBe('ä½ å¥½ 你好.jpg');
  });

  it('decodes the double-encoded filename a browser matrix-js-sdk sends (XHR path)', async () => {
    const name = '写真.png';
    // The SDK's XHR path sets searchParams to encodeURIComponent(name): the name is encoded twice on the wire.
    const query = new URLSearchParams({ filename: encodeURIComponent(name) }).toString();
    const res = await fetch(`${server.url}/_matrix/media/v3/upload?${query}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'image/png' },
      body: 'x',
    });
    const mediaId = ((await res.json()) as { content_uri: string }).content_uri.split('/').pop()!;
    const dl = await fetch(`${server.url}/_matrix/media/v3/download/test.local/${mediaId}`);
    expect(dispositionName(dl.headers.get('content-disposition'))).toBe(name);
  });

  it('creates an mxc:// URI first and fills it with PUT; a download waiting for it gets the content', async () => {
    const created = await request(server.url, 'POST', '/_matrix/media/v1/create', { token: alice.accessToken, body: {} });
    expect(created.status).toBe(200);
    expectMatchesSpec('content-repo.yaml', '/media/v1/create', 'post', 200, created.body);
    expect(created.body.unused_expires_at).toBeGreaterThan(Date.now());
    const mediaId = created.body.content_uri.split('/').pop();

    // Not uploaded yet: a short wait ends in 504 M_NOT_YET_UPLOADED.
    const early = await request(server.url, 'GET', `/_matrix/client/v1/media/download/test.local/${mediaId}?timeout_ms=100`, { token: bob.accessToken });
    expect(early.status).toBe(504);
    expect(early.body.errcode).toBe('M_NOT_YET_UPLOADED');

    // A download that starts before the upload is answered when the content lands.
    const waiting = downloadHash(`${server.url}/_matrix/client/v1/media/download/test.local/${mediaId}?timeout_ms=10000`, {
      Authorization: `Bearer ${bob.accessToken}`,
    });
    await new Promise((r) => setTimeout(r, 200));

    // Only the creator may fill it.
    const stranger = await request(server.url, 'PUT', `/_matrix/media/v3/upload/test.local/${mediaId}`, { token: bob.accessToken, rawBody: 'nope' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.errcode).toBe('M_FORBIDDEN');

    const content = Buffer.from('filled later');
    const put = await request(server.url, 'PUT', `/_matrix/media/v3/upload/test.local/${mediaId}?filename=later.txt`, {
      token: alice.accessToken,
      rawBody: content,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({});
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(got.sha256).toBe(sha256(content));

    const again = await request(server.url, 'PUT', `/_matrix/media/v3/upload/test.local/${mediaId}`, { token: alice.accessToken, rawBody: 'x' });
    expect(again.status).toBe(409);
    expect(again.body.errcode).toBe('M_CANNOT_OVERWRITE_MEDIA');

    const unknown = await request(server.url, 'PUT', '/_matrix/media/v3/upload/test.local/NeverCreated123', { token: alice.accessToken, rawBody: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });

  it('answers 404 for unknown media and for another server\'s media, 400 for malformed IDs', async () => {
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, 'hi');
    const get = (p: string) => request(server.url, 'GET', p, { token: alice.accessToken });
    expect((await get('/_matrix/client/v1/media/download/test.local/DoesNotExist1')).body.errcode).toBe('M_NOT_FOUND');
    const remote = await get(`/_matrix/client/v1/media/download/matrix.org/${mediaId}`);
    expect(remote.status).toBe(404);
    expect(remote.body.errcode).toBe('M_NOT_FOUND');
    for (const bad of ['..%2F..%2Fmeowtrix.db', 'a%2Fb', '..%5C..%5Cx', 'a.b', 'x%00y', 'space%20d', '%E5%86%99']) {
      const res = await get(`/_matrix/client/v1/media/download/test.local/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.errcode, bad).toBe('M_INVALID_PARAM');
    }
    const badServer = await get(`/_matrix/client/v1/media/download/bad%2Fserver/${mediaId}`);
    expect(badServer.status).toBe(400);
  });

  it('keeps an acknowledged upload through kill -9', async () => {
    const bytes = patternBytes(3 * 1024 * 1024, 99);
    const up = await uploadBytes(server.url, alice.accessToken, bytes, { filename: 'kept.bin' });
    expect(up.status).toBe(200);
    await server.stop('SIGKILL');
    server = await startServer({ dataDir: server.dataDir });
    const got = await downloadHash(`${server.url}/_matrix/media/v3/download/test.local/${up.mediaId}`);
    expect(got.status).toBe(200);
    expect(got.sha256).toBe(sha256(bytes));
    alice = await (await import('../helpers/accounts.ts')).login(server, 'alice', 'pw-alice');
    bob = await (await import('../helpers/accounts.ts')).login(server, 'bob', 'pw-bob');
  });
});

describe('media with a server name that carries a port ("test.local:8448")', () => {
  let server: ServerProcess;
  let alice: LoggedIn;

  beforeAll(async () => {
    server = await startServer({ args: ['--server-name', 'test.local:8448'] });
    alice = await registerAndLogin(server, 'alice');
  });
  afterAll(() => server?.dispose());

  it('round-trips through v1 and v3 with the port written as ":" and as "%3A"', async () => {
    const client = createClient({ baseUrl: server.url, accessToken: alice.accessToken, userId: alice.userId });
    const bytes = patternBytes(256 * 1024, 3);
    const { content_uri } = await client.uploadContent(new Blob([new Uint8Array(bytes)]), { name: 'port.bin', type: 'application/octet-stream' });
    expect(content_uri).toMatch(/^mxc:\/\/test\.local:8448\/[A-Za-z0-9_-]+$/);
    const mediaId = content_uri.split('/').pop()!;
    const auth = { Authorization: `Bearer ${alice.accessToken}` };
    for (const serverPart of ['test.local:8448', 'test.local%3A8448', 'test.local%3a8448']) {
      for (const prefix of ['/_matrix/client/v1/media', '/_matrix/media/v3']) {
        const got = await downloadHash(`${server.url}${prefix}/download/${serverPart}/${mediaId}`, auth);
        expect(got.status, `${prefix} ${serverPart}`).toBe(200);
        expect(got.sha256).toBe(sha256(bytes));
      }
    }
    // What matrix-js-sdk itself generates must work too.
    const sdkUrl = client.mxcUrlToHttp(content_uri, undefined, undefined, undefined, false, true, true)!;
    expect((await downloadHash(sdkUrl, auth)).sha256).toBe(sha256(bytes));
    // The same host on another port is another server.
    const other = await request(server.url, 'GET', `/_matrix/client/v1/media/download/test.local:8449/${mediaId}`, { token: alice.accessToken });
    expect(other.status).toBe(404);
  });
});
