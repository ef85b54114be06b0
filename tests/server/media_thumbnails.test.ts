// Thumbnails through real HTTP, for images made with sharp: every format at every size and method,
// dimensions checked; animation on request; broken, unsupported and oversized images get clean errors.
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, request, type ServerProcess } from '../helpers/server.ts';
import { registerAndLogin, type LoggedIn } from '../helpers/accounts.ts';
import { filesUnder, uploadBytes } from '../helpers/media.ts';

const SOURCE = { width: 1200, height: 600 };

async function sourceImage(format: 'png' | 'jpeg' | 'webp' | 'gif'): Promise<Buffer> {
  // A gradient-ish picture (two colours) so encoders have something to do.
  const base = sharp({ create: { width: SOURCE.width, height: SOURCE.height, channels: 3, background: '#3366cc' } }).composite([
    { input: { create: { width: 400, height: 300, channels: 3, background: '#ffcc00' } }, left: 100, top: 100 },
  ]);
  return base[format]().toBuffer();
}

/** A PNG whose header claims `width`×`height` pixels (no real pixel data): a decompression-bomb probe. */
function hugePngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('thumbnails', () => {
  let server: ServerProcess;
  let alice: LoggedIn;

  beforeAll(async () => {
    server = await startServer();
    alice = await registerAndLogin(server, 'alice');
  });
  afterAll(() => server?.dispose());

  const thumb = (mediaId: string, q: string, v1 = true) =>
    fetch(`${server.url}${v1 ? '/_matrix/client/v1/media' : '/_matrix/media/v3'}/thumbnail/test.local/${mediaId}?${q}`, {
      headers: v1 ? { Authorization: `Bearer ${alice.accessToken}` } : {},
    });

  // Requested size → what the fixed set answers for a 1200×600 picture.
  const expectations: { q: string; width: number; height: number }[] = [
    { q: 'width=32&height=32&method=crop', width: 32, height: 32 },
    { q: 'width=96&height=96&method=crop', width: 96, height: 96 },
    { q: 'width=50&height=50&method=crop', width: 96, height: 96 }, // smallest crop covering 50×50
    { q: 'width=320&height=240&method=scale', width: 320, height: 160 },
    { q: 'width=640&height=480&method=scale', width: 640, height: 320 },
    { q: 'width=800&height=600&method=scale', width: 800, height: 400 },
    { q: 'width=100&height=100', width: 320, height: 160 }, // method defaults to scale
    { q: 'width=192&height=192&method=crop', width: 320, height: 160 }, // bigger than every crop: covering scale size
    { q: 'width=4000&height=3000&method=scale', width: 800, height: 400 }, // bigger than everything: largest size
  ];

  for (const [format, outType] of [
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
    ['gif', 'image/png'],
  ] as const) {
    it(`thumbnails ${format} at each size and method with the expected dimensions`, async () => {
      const { mediaId } = await uploadBytes(server.url, alice.accessToken, await sourceImage(format), { contentType: `image/${format}` });
      for (const e of expectations) {
        const res = await thumb(mediaId!, e.q);
        expect(res.status, e.q).toBe(200);
        expect(res.headers.get('content-type')).toBe(outType);
        expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="thumbnail\./);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
        expect(meta.format).toBe(outType === 'image/jpeg' ? 'jpeg' : outType.split('/')[1]);
        expect([meta.width, meta.height], e.q).toEqual([e.width, e.height]);
      }
      // The v3 alias answers the same without a token.
      const v3 = await thumb(mediaId!, 'width=32&height=32&method=crop', false);
      expect(v3.status).toBe(200);
      expect((await sharp(Buffer.from(await v3.arrayBuffer())).metadata()).width).toBe(32);
    });
  }

  it('never upscales: a small image comes back at its own size', async () => {
    const small = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#123456' } }).png().toBuffer();
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, small, { contentType: 'image/png' });
    for (const q of ['width=96&height=96&method=crop', 'width=800&height=600&method=scale']) {
      const meta = await sharp(Buffer.from(await (await thumb(mediaId!, q)).arrayBuffer())).metadata();
      expect([meta.width, meta.height], q).toEqual(q.includes('crop') ? [10, 10] : [20, 10]);
    }
  });

  it('turns phone photos upright (EXIF orientation) and drops their metadata', async () => {
    // Stored 1200×600 with "rotate 90°" in EXIF, as phones save portrait shots; GPS-like metadata rides along.
    const photo = await sharp({ create: { width: 1200, height: 600, channels: 3, background: '#336699' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, photo, { contentType: 'image/jpeg' });
    const meta = await sharp(Buffer.from(await (await thumb(mediaId!, 'width=320&height=240&method=scale')).arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([120, 240]);
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
  });

  it('caches each generated thumbnail on disk and serves it again', async () => {
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, await sourceImage('jpeg'), { contentType: 'image/jpeg' });
    const first = Buffer.from(await (await thumb(mediaId!, 'width=320&height=240')).arrayBuffer());
    const cached = filesUnder(path.join(server.dataDir, 'media', 'thumbnails')).filter((f) => f.includes(mediaId!));
    expect(cached).toEqual([path.join(mediaId!.slice(0, 2), mediaId!, '320x240-scale.jpeg')]);
    const second = Buffer.from(await (await thumb(mediaId!, 'width=300&height=200')).arrayBuffer());
    expect(second.equals(first)).toBe(true);
  });

  it('animates a GIF only when asked, as WebP', async () => {
    const frame = (colour: string) => sharp({ create: { width: 300, height: 200, channels: 4, background: colour } }).raw().toBuffer();
    const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map(frame));
    // Three 300×200 frames stacked vertically, written as one animated GIF.
    const animatedGif = await sharp(Buffer.concat(frames), { raw: { width: 300, height: 600, channels: 4, pageHeight: 200 } as never })
      .gif({ delay: [100, 100, 100] })
      .toBuffer();
    expect((await sharp(animatedGif).metadata()).pages).toBe(3);
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, animatedGif, { contentType: 'image/gif' });

    const still = await thumb(mediaId!, 'width=96&height=96&method=crop&animated=false');
    expect(still.headers.get('content-type')).toBe('image/png');
    const stillMeta = await sharp(Buffer.from(await still.arrayBuffer())).metadata();
    expect([stillMeta.width, stillMeta.height, stillMeta.pages ?? 1]).toEqual([96, 96, 1]);

    const moving = await thumb(mediaId!, 'width=96&height=96&method=crop&animated=true');
    expect(moving.status).toBe(200);
    expect(moving.headers.get('content-type')).toBe('image/webp');
    const movingMeta = await sharp(Buffer.from(await moving.arrayBuffer()), { animated: true }).metadata();
    expect(movingMeta.pages).toBe(3);
    expect([movingMeta.width, movingMeta.pageHeight]).toEqual([96, 96]);

    // animated=true on a still image behaves as false.
    const { mediaId: still2 } = await uploadBytes(server.url, alice.accessToken, await sourceImage('png'), { contentType: 'image/png' });
    const res = await thumb(still2!, 'width=32&height=32&method=crop&animated=true');
    expect(res.headers.get('content-type')).toBe('image/png');
  });

  it('gives clean errors for corrupt, unsupported and oversized images, and bad parameters', async () => {
    const png = await sourceImage('png');
    const corrupt = Buffer.concat([png.subarray(0, 100), Buffer.alloc(4000, 0xab)]);
    const cases: { bytes: Buffer | string; type: string; status: number; errcode: string }[] = [
      { bytes: corrupt, type: 'image/png', status: 400, errcode: 'M_UNKNOWN' },
      { bytes: Buffer.alloc(5000, 0xff), type: 'image/jpeg', status: 400, errcode: 'M_UNKNOWN' },
      { bytes: 'just text', type: 'text/plain', status: 400, errcode: 'M_UNKNOWN' },
      // SVG is never rendered server-side, whatever type it claims.
      { bytes: '<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"><rect width="500" height="500"/></svg>', type: 'image/png', status: 400, errcode: 'M_UNKNOWN' },
      // 20000×20000 = 400 MP claimed by the header: refused before decoding.
      { bytes: hugePngHeader(20000, 20000), type: 'image/png', status: 413, errcode: 'M_TOO_LARGE' },
    ];
    for (const c of cases) {
      const { mediaId } = await uploadBytes(server.url, alice.accessToken, c.bytes, { contentType: c.type });
      const res = await thumb(mediaId!, 'width=96&height=96&method=crop');
      expect(res.status, c.type).toBe(c.status);
      expect(((await res.json()) as { errcode: string }).errcode).toBe(c.errcode);
    }
    const { mediaId } = await uploadBytes(server.url, alice.accessToken, png, { contentType: 'image/png' });
    for (const q of ['width=32', 'width=0&height=32', 'width=-1&height=32', 'width=abc&height=3', 'width=32&height=32&method=stretch', 'width=32&height=32&animated=yes']) {
      const res = await thumb(mediaId!, q);
      expect(res.status, q).toBe(400);
      expect(['M_MISSING_PARAM', 'M_INVALID_PARAM']).toContain(((await res.json()) as { errcode: string }).errcode);
    }
    // The server is still fine.
    expect((await request(server.url, 'GET', '/_matrix/media/v3/config')).status).toBe(200);
  });
});
