// URL previews: private and loopback addresses are refused without a single packet sent to them
// (SSRF), names that cannot resolve get an empty preview at once, and bad input is a clear 400.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';
import { parseOpenGraph } from '../../server/media/preview.ts';

describe('preview_url', () => {
  let server: ServerProcess;
  let alice: LoggedIn;
  let target: http.Server;
  let targetPort: number;
  let hits = 0;

  beforeAll(async () => {
    // A page on this machine the preview must never fetch.
    target = http.createServer((_req, res) => {
      hits++;
      res.setHeader('Content-Type', 'text/html');
      res.end('<html><head><meta property="og:title" content="secret admin page"></head></html>');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    targetPort = (target.address() as AddressInfo).port;
    server = await startServer();
    alice = await registerAndLogin(server, 'alice');
  });
  afterAll(async () => {
    await server?.dispose();
    await new Promise((r) => target?.close(r));
  });

  const preview = (url: string, path = '/_matrix/client/v1/media/preview_url') =>
    request(server.url, 'GET', `${path}?url=${encodeURIComponent(url)}`, { token: alice.accessToken });

  it('refuses loopback, LAN and other private addresses in every spelling, without connecting', async () => {
    const p = targetPort;
    const blocked = [
      `http://127.0.0.1:${p}/`,
      `http://localhost:${p}/`,
      `http://LOCALHOST.:${p}/`,
      `http://sub.localhost:${p}/`,
      `http://[::1]:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://2130706433:${p}/`, // 127.0.0.1 as one decimal number
      `http://0x7f.1:${p}/`,
      `http://127.1:${p}/`,
      `http://0.0.0.0:${p}/`,
      'http://10.0.0.1/',
      'http://192.168.1.1/router',
      'http://172.16.5.4/',
      'http://169.254.169.254/latest/meta-data/', // cloud metadata
      'http://100.64.0.1/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'https://224.0.0.1/',
    ];
    for (const url of blocked) {
      const res = await preview(url);
      expect(res.status, url).toBe(403);
      expect(res.body.errcode, url).toBe('M_FORBIDDEN');
    }
    // The v3 path behaves the same.
    expect((await preview(`http://127.0.0.1:${p}/`, '/_matrix/media/v3/preview_url')).status).toBe(403);
    expect(hits).toBe(0);
  });

  it('answers an empty preview at once for hosts that cannot exist', async () => {
    for (const url of ['http://nothing-here.invalid/', 'https://printer.local/', 'http://archpc/', 'http://example.test/page']) {
      const res = await preview(url);
      expect(res.status, url).toBe(200);
      expect(res.body).toEqual({});
      expectMatchesSpec('authed-content-repo.yaml', '/media/preview_url', 'get', 200, res.body);
    }
  });

  it('rejects missing, malformed and non-http URLs with 400', async () => {
    const missing = await request(server.url, 'GET', '/_matrix/client/v1/media/preview_url', { token: alice.accessToken });
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
    for (const url of ['not a url', 'file:///etc/passwd', 'ftp://example.org/', 'javascript:alert(1)', 'gopher://127.0.0.1:6379/', 'http://user:pw@example.org/']) {
      const res = await preview(url);
      expect(res.status, url).toBe(400);
      expect(res.body.errcode, url).toBe('M_INVALID_PARAM');
    }
    expect(hits).toBe(0);
  });
});

// The page parser on its own (a real fetch needs a public site, which an offline test machine lacks).
describe('OpenGraph parsing', () => {
  it('reads og: tags, falls back to <title> and the description, and decodes entities', () => {
    const html = `<!doctype html><html><head>
      <title>Fallback &amp; title</title>
      <meta name="description" content='Plain description'>
      <meta property="og:title" content="Family &quot;BBQ&quot; &#x1F356; photos">
      <meta content="Holiday site" property="og:site_name" />
      <meta property="og:image" content="https://example.org/a.jpg">
      <meta property="og:title" content="second title is ignored">
    </head><body>...</body></html>`;
    expect(parseOpenGraph(html, 'https://example.org/page')).toEqual({
      'og:title': 'Family "BBQ" \u{1F356} photos',
      'og:site_name': 'Holiday site',
      'og:description': 'Plain description',
      'og:url': 'https://example.org/page',
    });
    expect(parseOpenGraph('<title> Only a title </title>', 'http://x.org/')).toEqual({ 'og:title': 'Only a title', 'og:url': 'http://x.org/' });
    expect(parseOpenGraph('no markup at all', 'http://x.org/')).toEqual({});
  });
});
