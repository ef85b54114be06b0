// The content store on disk: <data>/media/content/<fan-out>/<mediaId>, thumbnails beside it,
// uploads in progress in <data>/media/tmp/. Paths are built only from IDs that passed
// isValidMediaId, so nothing a client sends can point outside this tree.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { randomString } from '../ids.ts';
import { isValidMediaId } from './ids.ts';
import { streamingGc } from './gc.ts';

export class UploadTooLargeError extends Error {}
export class UploadInterruptedError extends Error {}

export interface ReceivedFile {
  tmpPath: string;
  size: number;
  sha256: string;
}

export class MediaStore {
  readonly root: string;
  private readonly contentDir: string;
  private readonly thumbnailDir: string;
  private readonly tmpDir: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'media');
    this.contentDir = path.join(this.root, 'content');
    this.thumbnailDir = path.join(this.root, 'thumbnails');
    this.tmpDir = path.join(this.root, 'tmp');
    for (const dir of [this.root, this.contentDir, this.thumbnailDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Whatever is in tmp/ was cut off by a crash or a kill: no request will ever finish it.
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    fs.mkdirSync(this.tmpDir, { mode: 0o700 });
  }

  contentPath(mediaId: string): string {
    return path.join(this.contentDir, fanOut(mediaId), mediaId);
  }

  thumbnailFolder(mediaId: string): string {
    return path.join(this.thumbnailDir, fanOut(mediaId), mediaId);
  }

  newTempPath(): string {
    return path.join(this.tmpDir, `${randomString(16)}.part`);
  }

  /**
   * Streams `source` into a temp file, hashing on the way, never holding more than a chunk in
   * memory. Past `maxBytes` it stops with UploadTooLargeError; the temp file is gone on any failure.
   * The source is not destroyed, so the caller can still answer on its socket.
   */
  async receive(source: Readable, maxBytes: number): Promise<ReceivedFile> {
    const tmpPath = this.newTempPath();
    // flush: the file is fsync'd before 'close', so a committed upload survives a power cut.
    // Opened here rather than by the stream, so the early datasyncs have the fd from the first byte.
    const fd = await new Promise<number>((resolve, reject) => fs.open(tmpPath, 'wx', 0o600, (err, opened) => (err ? reject(err) : resolve(opened))));
    const out = fs.createWriteStream(tmpPath, { fd, flush: true, highWaterMark: 1024 * 1024 });
    const closed = once(out, 'close');
    closed.catch(() => {}); // a write error is rethrown below, through `failed`
    const hash = createHash('sha256');
    let size = 0;
    const collect = streamingGc();
    const writeback = new EarlyWriteback(fd);
    let failed: unknown = null;
    out.on('error', (err) => (failed ??= err));
    try {
      await pump(source, out, (chunk) => {
        size += chunk.length;
        if (size > maxBytes) throw new UploadTooLargeError(`upload exceeds the limit of ${maxBytes} bytes`);
        hash.update(chunk);
        collect(chunk.length);
        writeback.wrote(chunk.length);
      });
      // The fd must not close under a datasync still in flight (its number could be reused).
      await writeback.settled();
      out.end();
      await closed;
      if (failed) throw failed;
      return { tmpPath, size, sha256: hash.digest('hex') };
    } catch (err) {
      await writeback.settled();
      out.destroy();
      await closed.catch(() => {});
      await fsp.rm(tmpPath, { force: true });
      if (err instanceof UploadTooLargeError || !source.destroyed || source.readableEnded) throw err;
      throw new UploadInterruptedError('the client went away during the upload');
    }
  }

  /** Moves a received file into place under its ID; durable (file and directories fsync'd) when it resolves. */
  async commit(tmpPath: string, mediaId: string): Promise<void> {
    const target = this.contentPath(mediaId);
    const dir = path.dirname(target);
    const created = await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsp.rename(tmpPath, target);
    await fsyncDir(dir);
    if (created) await fsyncDir(this.contentDir);
  }

  async discard(tmpPath: string): Promise<void> {
    await fsp.rm(tmpPath, { force: true });
  }

  /** Removes a media file and its thumbnails; missing files are fine. */
  async remove(mediaId: string): Promise<void> {
    await fsp.rm(this.contentPath(mediaId), { force: true });
    await fsp.rm(this.thumbnailFolder(mediaId), { recursive: true, force: true });
  }

  /** Bytes used on disk by content and thumbnails. */
  async diskUsage(): Promise<{ content: number; thumbnails: number }> {
    return { content: await treeSize(this.contentDir), thumbnails: await treeSize(this.thumbnailDir) };
  }
}

function fanOut(mediaId: string): string {
  if (!isValidMediaId(mediaId)) throw new Error(`refusing to build a path from media ID ${JSON.stringify(mediaId)}`);
  return mediaId.slice(0, 2);
}

/**
 * Copies `source` into `out` until the source ends, calling `inspect` on each chunk first (it may
 * throw to stop). 'data' events with pause/resume rather than an async iterator: a 200 MB body is
 * 3,200 socket reads, and a promise per read cost ≈ 12 % more CPU. Rejects when `out` fails or the
 * source errors or closes before its end; then the source is left paused, never destroyed.
 */
function pump(source: Readable, out: fs.WriteStream, inspect: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (err?: unknown) => {
      source.off('data', onData).off('end', onEnd).off('error', stop).off('close', onClose);
      out.off('error', stop).off('drain', onDrain);
      if (err === undefined) return resolve();
      source.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        inspect(chunk);
      } catch (err) {
        return stop(err);
      }
      if (!out.write(chunk)) {
        source.pause();
        out.once('drain', onDrain);
      }
    };
    const onDrain = () => source.resume();
    const onEnd = () => stop();
    const onClose = () => stop(new UploadInterruptedError('the client went away during the upload'));
    if (source.destroyed) return onClose();
    source.on('data', onData).once('end', onEnd).once('error', stop).once('close', onClose);
    out.once('error', stop);
    source.resume();
  });
}

/** Bytes between early flushes: large enough to be few, small enough that the final fsync is short. */
const EARLY_WRITEBACK_BYTES = 8 * 1024 * 1024;

/**
 * Left alone, the kernel keeps a whole upload as dirty pages and the closing fsync then waits for
 * all of it to reach the disk (≈ 350 ms for 200 MB here, a third of the upload). A datasync every
 * few MB, not awaited, lets the disk write while the network is still delivering, so the final
 * fsync (which still makes the upload durable) only waits for the last few MB.
 */
class EarlyWriteback {
  private readonly fd: number;
  private sinceLast = 0;
  private inFlight: Promise<void> | null = null;

  constructor(fd: number) {
    this.fd = fd;
  }

  wrote(bytes: number): void {
    this.sinceLast += bytes;
    if (this.sinceLast < EARLY_WRITEBACK_BYTES || this.inFlight) return;
    this.sinceLast = 0;
    // Only a head start: a failure here changes nothing, as the closing fsync reports any real error.
    this.inFlight = new Promise<void>((resolve) => fs.fdatasync(this.fd, () => resolve())).then(() => {
      this.inFlight = null;
    });
  }

  settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function treeSize(dir: string): Promise<number> {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(full);
    else if (entry.isFile()) total += (await fsp.stat(full)).size;
  }
  return total;
}
