// The upload path streams: the server's resident memory barely moves while 200 MB arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startServer, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { downloadHash, patternBytes, rssBytes } from '../helpers/media.ts';

describe('upload memory', () => {
  let server: ServerProcess;
  let alice: LoggedIn;

  beforeAll(async () => {
    server = await startServer({ args: ['--max-upload-mb', '300'] });
    alice = await registerAndLogin(server, 'alice');
  });
  afterAll(() => server?.dispose());

  it('keeps RSS growth under 30 MB while a 200 MB upload streams', async () => {
    const pid = server.proc.pid!;
    // Warm up the upload path once (JIT, first-use allocations), then measure.
    const warm = await fetch(`${server.url}/_matrix/media/v3/upload`, { method: 'POST', headers: { Authorization: `Bearer ${alice.accessToken}` }, body: new Uint8Array(patternBytes(4 * 1024 * 1024)) });
    expect(warm.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const baseline = rssBytes(pid);

    const total = 200 * 1024 * 1024;
    const chunk = patternBytes(1024 * 1024, 11);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/_matrix/media/v3/upload?filename=big.bin`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/octet-stream', 'Content-Length': String(total) },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    clearInterval(sampler);
    peak = Math.max(peak, rssBytes(pid));
    expect(result.status, result.body).toBe(200);
    const growth = peak - baseline;
    console.log(`server RSS: baseline ${(baseline / 1048576).toFixed(1)} MB, peak ${(peak / 1048576).toFixed(1)} MB, growth ${(growth / 1048576).toFixed(1)} MB`);
    expect(growth).toBeLessThan(30 * 1024 * 1024);

    // And it is all there.
    const mediaId = JSON.parse(result.body).content_uri.split('/').pop();
    const got = await downloadHash(`${server.url}/_matrix/media/v3/download/test.local/${mediaId}`);
    expect(got.size).toBe(total);
  });
});
