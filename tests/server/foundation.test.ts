// The foundation: the CLI starts a real server process that speaks JSON errors and the spec's /versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, request, startServer, tempDataDir, type ServerProcess } from '../helpers/server.ts';
import { expectMatchesSpec } from '../helpers/spec.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe('homeserver foundation', () => {
  it('answers /versions as the spec describes', async () => {
    const res = await request(server.url, 'GET', '/_matrix/client/versions');
    expect(res.status).toBe(200);
    expectMatchesSpec('versions.yaml', '/versions', 'get', 200, res.body);
    // v1.11 switches clients to authenticated media; nothing past it, so no client tries OIDC.
    expect(res.body.versions).toContain('v1.11');
    expect(res.body.versions.filter((v: string) => /^v1\.(1[2-9]|[2-9]\d)$/.test(v))).toEqual([]);
  });

  it('answers /health with 200 OK', async () => {
    const res = await request(server.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
  });

  it('answers an unknown path with a JSON 404 M_UNRECOGNIZED', async () => {
    for (const p of ['/_matrix/client/v3/nope', '/_matrix/client/v1/auth_metadata', '/random/path', '/_matrix/media/v3/nope']) {
      const res = await request(server.url, 'GET', p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(res.body.errcode).toBe('M_UNRECOGNIZED');
      expect(typeof res.body.error).toBe('string');
    }
  });

  it('answers a known path with the wrong method with a JSON 405 M_UNRECOGNIZED', async () => {
    const res = await request(server.url, 'DELETE', '/_matrix/client/versions');
    expect(res.status).toBe(405);
    expect(res.body.errcode).toBe('M_UNRECOGNIZED');
  });

  it('answers CORS preflight on every route, known or not', async () => {
    for (const p of ['/_matrix/client/v3/login', '/.well-known/matrix/client', '/_matrix/client/v3/anything']) {
      const res = await fetch(server.url + p, { method: 'OPTIONS', headers: { Origin: 'http://example.test' } });
      expect(res.status, p).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    }
    const res = await request(server.url, 'GET', '/_matrix/client/versions');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('builds /.well-known/matrix/client from the request Host', async () => {
    // fetch() may not override Host, so use node:http.
    const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      http
        .get(`${server.url}/.well-known/matrix/client`, { headers: { Host: 'archpc.lan:8008' } }, (r) => {
          let text = '';
          r.on('data', (d) => (text += d));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
        })
        .on('error', reject);
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ 'm.homeserver': { base_url: 'http://archpc.lan:8008' } });
    expectMatchesSpec('wellknown.yaml', '/matrix/client', 'get', 200, res.body);
  });

  it('rejects malformed JSON with 400 M_NOT_JSON, and a non-object with 400 M_BAD_JSON', async () => {
    const headers = { 'Content-Type': 'application/json' };
    const cases: [string, string][] = [
      ['{"type": ', 'M_NOT_JSON'],
      ['not json at all', 'M_NOT_JSON'],
      ['[1, 2]', 'M_BAD_JSON'],
      ['"a string"', 'M_BAD_JSON'],
    ];
    for (const [rawBody, errcode] of cases) {
      const res = await request(server.url, 'POST', '/_matrix/client/v3/login', { rawBody, headers });
      expect(res.status, rawBody).toBe(400);
      expect(res.body.errcode, rawBody).toBe(errcode);
    }
    const invalidUtf8 = await request(server.url, 'POST', '/_matrix/client/v3/login', {
      rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      headers,
    });
    expect(invalidUtf8.status).toBe(400);
    expect(invalidUtf8.body.errcode).toBe('M_NOT_JSON');
  });

  it('rejects a body over the limit with 413 M_TOO_LARGE', async () => {
    const rawBody = JSON.stringify({ type: 'm.login.password', padding: 'x'.repeat(5 * 1024 * 1024) });
    const res = await request(server.url, 'POST', '/_matrix/client/v3/login', { rawBody, headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe('M_TOO_LARGE');
  });
});

describe('the CLI', () => {
  it('prints its usage for --help after a command too, and starts nothing', () => {
    for (const args of [['--help'], ['serve', '--help'], ['user', '-h']]) {
      const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status, args.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^Usage: meowtrix-server <command>/);
      expect(run.stdout).toContain('serve [options]');
    }
  });

  // A clean stop writes a final snapshot (a worker that loads and exports the database: about half a
  // second on a quiet machine, seconds under load), so the bound only proves that nothing hangs.
  it('stops within 10 s of SIGTERM, with exit code 0, its lock released and a final snapshot', async () => {
    const s = await startServer();
    const t0 = Date.now();
    const code = await s.stop('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(s.dataDir, 'meowtrix.lock'))).toBe(false);
    expect(fs.readdirSync(s.dataDir).some((f) => /^snapshot-\d+\.db$/.test(f))).toBe(true);
    await s.dispose();
  });

  it('stops within 10 s of SIGTERM even while a request is held open', async () => {
    const s = await startServer();
    const socket = net.connect(s.port, '127.0.0.1');
    socket.on('error', () => {}); // the server resets it on shutdown
    await new Promise((r) => socket.once('connect', r));
    // A request whose body never finishes keeps the connection busy.
    socket.write('POST /_matrix/client/v3/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    const t0 = Date.now();
    const code = await s.stop('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(code).toBe(0);
    socket.destroy();
    await s.dispose();
  });

  it('reports a port already in use in one line and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = tempDataDir();
    const proc = spawn(process.execPath, [CLI, 'serve', '--data', dataDir, '--port', String(port), '--bind', '127.0.0.1', '--log-level', 'error']);
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    blocker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`port ${port}`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('creates the data directory private to its user (0700)', async () => {
    const parent = tempDataDir();
    const dataDir = `${parent}/nested/data`;
    const s = await startServer({ dataDir });
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(s.output()).toContain('Log in with the username only');
    await s.dispose();
    fs.rmSync(parent, { recursive: true, force: true });
  });
});
