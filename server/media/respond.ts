// Sends stored media: headers, conditional requests (ETag), and single byte ranges, streamed
// from disk so a 1 GB video costs a 64 KB buffer, not 1 GB of memory.
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { MatrixError, errors } from '../http/errors.ts';
import type { MediaRow } from '../storage/repos/media.ts';
import { cacheControl, contentDisposition, securityHeaders } from './headers.ts';
import { parseRange } from './range.ts';
import { streamingGc } from './gc.ts';
import type { Thumbnail } from './thumbnails.ts';

export interface ServeOptions {
  /** The download path's {fileName}, which replaces the uploaded name. */
  fileNameOverride?: string;
  authenticated: boolean;
}

export async function sendMedia(req: Request, res: Response, path: string, row: MediaRow, options: ServeOptions): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch {
    // The row exists but the file is gone (deleted a moment ago, or lost): nothing to serve.
    throw errors.notFound('Media not found');
  }
  let streaming = false;
  try {
    const size = (await handle.stat()).size;
    const contentType = row.content_type ?? 'application/octet-stream';
    const etag = `"${row.sha256 ?? row.media_id}"`;
    setCommonHeaders(res, options.authenticated, etag);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Disposition', contentDisposition(contentType, options.fileNameOverride ?? row.upload_name));
    res.setHeader('Accept-Ranges', 'bytes');
    if (notModified(req, etag)) {
      res.status(304).end();
      return;
    }
    // If-Range: a resumed download whose copy is stale must get the whole (current) file.
    const ifRange = req.headers['if-range'];
    const range = ifRange !== undefined && ifRange !== etag ? { kind: 'full' as const } : parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      // The error below is JSON, not the media, and must not be cached as if it were.
      for (const name of ['Content-Type', 'Content-Disposition', 'Cache-Control', 'ETag']) res.removeHeader(name);
      throw new MatrixError(416, 'M_UNKNOWN', 'Requested range not satisfiable');
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    if (range.kind === 'partial') {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    } else {
      res.status(200);
    }
    res.setHeader('Content-Length', String(end - start + 1));
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    streaming = true;
    const stream = handle.createReadStream({ start, end, highWaterMark: 256 * 1024, autoClose: true });
    const collect = streamingGc();
    stream.on('data', (chunk: string | Buffer) => collect(chunk.length));
    await pipeline(stream, res).catch(() => {
      // The client went away mid-download (closed the tab, seeked the video): nothing to answer.
    });
  } finally {
    if (!streaming) await handle.close();
  }
}

export function sendThumbnail(req: Request, res: Response, thumb: Thumbnail, mediaRow: MediaRow, authenticated: boolean): void {
  const etag = `"${mediaRow.sha256 ?? mediaRow.media_id}-${thumb.key}"`;
  setCommonHeaders(res, authenticated, etag);
  res.setHeader('Content-Type', thumb.contentType);
  res.setHeader('Content-Disposition', contentDisposition(thumb.contentType, `thumbnail.${thumb.contentType.split('/')[1]}`, true));
  if (notModified(req, etag)) {
    res.status(304).end();
    return;
  }
  res.status(200).setHeader('Content-Length', String(thumb.bytes.length));
  res.end(req.method === 'HEAD' ? undefined : thumb.bytes);
}

function setCommonHeaders(res: Response, authenticated: boolean, etag: string): void {
  for (const [name, value] of Object.entries(securityHeaders())) res.setHeader(name, value);
  res.setHeader('Cache-Control', cacheControl(authenticated));
  res.setHeader('ETag', etag);
}

function notModified(req: Request, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
