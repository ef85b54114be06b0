// Thumbnails with sharp (libvips): a fixed set of sizes as the spec suggests, generated once
// per (media, size) and cached on disk next to the content. Only JPEG, PNG, WebP and GIF are
// decoded; anything else, a broken file or an oversized image gets the spec's 400/413 answer.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Metadata } from 'sharp';
import { MatrixError, errors } from '../http/errors.ts';
import { randomString } from '../ids.ts';
import type { MediaStore } from './store.ts';

type Sharp = (typeof import('sharp'))['default'];
let sharpLoading: Promise<Sharp> | null = null;

/** sharp (libvips and its threads, ≈ 17 MB resident) is loaded at the first thumbnail, not at start. */
function loadSharp(): Promise<Sharp> {
  sharpLoading ??= import('sharp').then(({ default: sharp }) => {
    // libvips' operation cache would keep decoded images around; every thumbnail is cached on disk anyway.
    sharp.cache(false);
    return sharp;
  });
  return sharpLoading;
}

export type ThumbnailMethod = 'crop' | 'scale';

export interface ThumbnailSize {
  width: number;
  height: number;
  method: ThumbnailMethod;
}

/** The spec's recommended set (content repository, "Thumbnails"), as Synapse ships it. */
export const THUMBNAIL_SIZES: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

/** Decoding bigger images (in pixels, all frames together) is refused with 413. 100 MP covers phone cameras. */
export const MAX_INPUT_PIXELS = 100_000_000;
/** At most this many thumbnails are generated at once; the rest queue (two cores on the host PC). */
const MAX_PARALLEL = 2;

const DECODABLE = new Set(['jpeg', 'png', 'webp', 'gif']);
const OUTPUT_TYPES = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
type OutputFormat = keyof typeof OUTPUT_TYPES;

export interface Thumbnail {
  bytes: Buffer;
  contentType: string;
  /** Identifies this rendition, for the ETag. */
  key: string;
}

export const thumbnailErrors = {
  cannot: () => new MatrixError(400, 'M_UNKNOWN', 'Cannot generate thumbnails for the requested content'),
  tooLarge: () => new MatrixError(413, 'M_TOO_LARGE', 'Content is too large to thumbnail'),
};

/**
 * The rendition answering a request: the smallest size of that method covering it. A crop bigger
 * than every crop size gets the covering scale size instead (hi-DPI avatars: the client crops a
 * sharp image rather than upscaling a blurry 96×96); anything bigger still gets the largest size.
 */
export function chooseSize(width: number, height: number, method: ThumbnailMethod): ThumbnailSize {
  const covering = (m: ThumbnailMethod) => THUMBNAIL_SIZES.find((s) => s.method === m && s.width >= width && s.height >= height);
  return covering(method) ?? covering('scale') ?? THUMBNAIL_SIZES[THUMBNAIL_SIZES.length - 1]!;
}

/** Output dimensions: never upscaled; crop keeps the requested aspect, scale the image's. */
export function targetDimensions(imageWidth: number, imageHeight: number, size: ThumbnailSize): { width: number; height: number } {
  if (size.method === 'crop') {
    const s = Math.min(1, imageWidth / size.width, imageHeight / size.height);
    return { width: Math.max(1, Math.round(size.width * s)), height: Math.max(1, Math.round(size.height * s)) };
  }
  const s = Math.min(1, size.width / imageWidth, size.height / imageHeight);
  return { width: Math.max(1, Math.round(imageWidth * s)), height: Math.max(1, Math.round(imageHeight * s)) };
}

export class Thumbnailer {
  private readonly store: MediaStore;
  private readonly inFlight = new Map<string, Promise<Thumbnail>>();
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(store: MediaStore) {
    this.store = store;
  }

  /** The cached rendition, generating it on first use. Throws the spec's 400/413 MatrixErrors. */
  async get(mediaId: string, size: ThumbnailSize, animated: boolean): Promise<Thumbnail> {
    const name = `${size.width}x${size.height}-${size.method}${animated ? '-animated' : ''}`;
    const cached = await this.readCached(mediaId, name);
    if (cached) return cached;
    const flightKey = `${mediaId}/${name}`;
    let pending = this.inFlight.get(flightKey);
    if (!pending) {
      pending = this.limited(() => this.generate(mediaId, name, size, animated)).finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, pending);
    }
    return pending;
  }

  private async readCached(mediaId: string, name: string): Promise<Thumbnail | null> {
    const folder = this.store.thumbnailFolder(mediaId);
    for (const format of Object.keys(OUTPUT_TYPES) as OutputFormat[]) {
      try {
        const bytes = await fsp.readFile(path.join(folder, `${name}.${format}`));
        return { bytes, contentType: OUTPUT_TYPES[format], key: name };
      } catch {
        // not generated in this format
      }
    }
    return null;
  }

  private async generate(mediaId: string, name: string, size: ThumbnailSize, animated: boolean): Promise<Thumbnail> {
    const source = this.store.contentPath(mediaId);
    const sharp = await loadSharp();
    let meta: Metadata;
    try {
      meta = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    } catch (err) {
      throw isPixelLimit(err) ? thumbnailErrors.tooLarge() : thumbnailErrors.cannot();
    }
    if (!meta.format || !DECODABLE.has(meta.format) || !meta.width || !meta.height) throw thumbnailErrors.cannot();
    const frames = meta.pages ?? 1;
    const frameHeight = meta.pageHeight ?? meta.height;
    const animate = animated && frames > 1 && (meta.format === 'gif' || meta.format === 'webp');
    if (meta.width * frameHeight * (animate ? frames : 1) > MAX_INPUT_PIXELS) throw thumbnailErrors.tooLarge();

    // EXIF orientation (phone photos) is applied, so dimensions are those of the upright image.
    const upright = meta.autoOrient ?? { width: meta.width, height: frameHeight };
    const target = targetDimensions(upright.width, animate ? frameHeight : upright.height, size);
    const format: OutputFormat = animate ? 'webp' : meta.format === 'jpeg' ? 'jpeg' : meta.format === 'webp' ? 'webp' : 'png';

    let bytes: Buffer;
    try {
      let pipeline = sharp(source, { limitInputPixels: MAX_INPUT_PIXELS, animated: animate, failOn: 'error' })
        .autoOrient()
        .resize(target.width, target.height, { fit: size.method === 'crop' ? 'cover' : 'fill', position: 'centre' });
      pipeline = format === 'jpeg' ? pipeline.jpeg({ quality: 80 }) : format === 'webp' ? pipeline.webp({ quality: 80 }) : pipeline.png();
      bytes = await pipeline.toBuffer();
    } catch (err) {
      if (isPixelLimit(err)) throw thumbnailErrors.tooLarge();
      throw thumbnailErrors.cannot();
    }

    // Write-then-rename, so a concurrent reader never sees half a file.
    const folder = this.store.thumbnailFolder(mediaId);
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
    const tmp = path.join(folder, `.${randomString(8)}.tmp`);
    await fsp.writeFile(tmp, bytes, { mode: 0o600 });
    await fsp.rename(tmp, path.join(folder, `${name}.${format}`));
    return { bytes, contentType: OUTPUT_TYPES[format], key: name };
  }

  /** Runs at most MAX_PARALLEL tasks at once; a finishing task hands its slot to the next in line. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= MAX_PARALLEL) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}

function isPixelLimit(err: unknown): boolean {
  return err instanceof Error && /pixel limit/i.test(err.message);
}

export function parseThumbnailQuery(query: Record<string, string | undefined>): { width: number; height: number; method: ThumbnailMethod; animated: boolean } {
  const dimension = (key: 'width' | 'height') => {
    const raw = query[key];
    if (raw === undefined || raw === '') throw errors.missingParam(`${key} is required`);
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) throw errors.invalidParam(`${key} must be a positive integer`);
    return Number(raw);
  };
  const width = dimension('width');
  const height = dimension('height');
  const method = query.method ?? 'scale';
  if (method !== 'crop' && method !== 'scale') throw errors.invalidParam('method must be "crop" or "scale"');
  const animatedRaw = query.animated;
  if (animatedRaw !== undefined && animatedRaw !== 'true' && animatedRaw !== 'false') throw errors.invalidParam('animated must be true or false');
  return { width, height, method, animated: animatedRaw === 'true' };
}
