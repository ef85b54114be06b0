// Media figures against a real server process (the CLI, as phones reach it):
//   - upload and download MB/s for 20 MB and 200 MB files over loopback (streamed both ways);
//   - thumbnail generation time for a 12-megapixel JPEG (a phone photo), 800×600 scale and 96×96 crop;
//   - the server's RSS before and at its peak during all of this (sampled every 20 ms).
//   npm run bench -- media [--quick]      (or: node_modules/.bin/node bench/media.ts)
import http from 'node:http';
import sharp from 'sharp';
import { startServer, type ServerProcess } from '../tests/helpers/server.ts';
import { registerAndLogin } from '../tests/helpers/accounts.ts';
import { patternBytes, rssBytes } from '../tests/helpers/media.ts';

import { quick, option, report, progress, serverCli } from './lib.ts';

// Issue 7's targets, on loopback.
const MB_PER_S = { min: 300 };
const THUMBNAIL_MS = { max: 400 };
const MB = 1024 * 1024;

function upload(server: ServerProcess, token: string, body: Buffer, contentType: string): Promise<{ ms: number; mediaId: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(`${server.url}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, 'Content-Length': String(body.length) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`upload ${res.statusCode}: ${text}`));
        resolve({ ms: performance.now() - t0, mediaId: JSON.parse(text).content_uri.split('/').pop() });
      });
    });
    // 1 MB writes, honouring backpressure, as a streaming client would.
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const end = Math.min(offset + MB, body.length);
        const more = req.write(body.subarray(offset, end));
        offset = end;
        if (!more) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function download(server: ServerProcess, token: string, mediaId: string, expected: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http.get(`${server.url}/_matrix/client/v1/media/download/bench.local/${mediaId}`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let size = 0;
      res.on('data', (d: Buffer) => (size += d.length));
      res.on('end', () => (size === expected ? resolve(performance.now() - t0) : reject(new Error(`got ${size} of ${expected} bytes`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function thumbnailMs(server: ServerProcess, token: string, mediaId: string, query: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/_matrix/client/v1/media/thumbnail/bench.local/${mediaId}?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`thumbnail ${res.status}`);
  return performance.now() - t0;
}

const server = await startServer({ cli: serverCli(), args: ['--server-name', 'bench.local', '--max-upload-mb', '300', '--log-level', 'error'] });
try {
  const { accessToken } = await registerAndLogin(server, 'bench');
  const pid = server.proc.pid!;
  const rssStart = rssBytes(pid);
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(pid))), 20);

  const bigRuns = Number(option('--runs') ?? (quick ? 1 : 3));
  for (const [sizeMb, runs] of [[20, quick ? 2 : 5], [200, bigRuns]] as const) {
    const body = patternBytes(sizeMb * MB, sizeMb);
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { ms, mediaId } = await upload(server, accessToken, body, 'application/octet-stream');
      up.push((sizeMb / ms) * 1000);
      down.push((sizeMb / (await download(server, accessToken, mediaId, body.length))) * 1000);
    }
    progress(`${sizeMb} MB: upload ${up.map((x) => x.toFixed(0)).join(', ')} MB/s; download ${down.map((x) => x.toFixed(0)).join(', ')} MB/s`);
    report(`upload ${sizeMb} MB`, 'MB/s', up, { about: 'POST /upload streamed in 1 MB writes, until the answer', size: `${sizeMb} MB file`, target: MB_PER_S });
    report(`download ${sizeMb} MB`, 'MB/s', down, { about: 'GET v1 download until the last byte', size: `${sizeMb} MB file`, target: MB_PER_S });
  }

  // A 12 MP photo: 4000×3000 with noise, so the JPEG is phone-sized (several MB) and decodes like one.
  const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
  progress(`12 MP JPEG: ${(photo.length / MB).toFixed(1)} MB`);
  for (const [label, query] of [
    ['800x600 scale', 'width=800&height=600&method=scale'],
    ['96x96 crop', 'width=96&height=96&method=crop'],
  ] as const) {
    const samples: number[] = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      // A fresh upload each time: a cached thumbnail would measure the disk, not the resize.
      const { mediaId } = await upload(server, accessToken, photo, 'image/jpeg');
      samples.push(await thumbnailMs(server, accessToken, mediaId, query));
    }
    progress(`thumbnail ${label}: ${samples.map((x) => x.toFixed(0)).join(', ')} ms`);
    report(`12 MP JPEG thumbnail ${label}`, 'ms', samples, { about: 'first GET thumbnail of a fresh upload (resize, not cache)', size: `${(photo.length / MB).toFixed(1)} MB JPEG, 4000×3000`, target: THUMBNAIL_MS });
  }

  clearInterval(sampler);
  report('server RSS at start', 'MiB', [rssStart / MB], { about: 'before the first upload', size: 'empty' });
  report('server RSS peak', 'MiB', [rssPeak / MB], { about: 'highest, sampled every 20 ms, over all transfers and thumbnails', size: '20 MB and 200 MB files' });
  progress(`server RSS: start ${(rssStart / MB).toFixed(0)} MB, peak ${(rssPeak / MB).toFixed(0)} MB`);
} finally {
  await server.dispose();
}
