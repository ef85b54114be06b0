// POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create, PUT /_matrix/media/v3/upload/{serverName}/{mediaId}
// (spec "Content repository"). Bodies are streamed to disk by the media service, never parsed.
import type { Request, Response } from 'express';
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { normaliseContentType } from '../media/headers.ts';
import { localMediaId, mxcUri } from '../media/ids.ts';
import type { UploadMeta } from '../media/service.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const media = ctx.media;

  routes.post(
    ['/_matrix/media/v3/upload', '/_matrix/media/r0/upload'],
    ({ req, res, query, user }) =>
      answerUpload(req, res, async () => {
        ctx.limits.take('upload', req, user);
        const mediaId = await media.upload(user.userId, req, uploadMeta(req, query));
        return { content_uri: mxcUri(media.serverName, mediaId) };
      }),
    { rawBody: true },
  );

  routes.post('/_matrix/media/v1/create', async ({ req, user }) => {
    ctx.limits.take('upload', req, user);
    const { mediaId, expiresTs } = await media.create(user.userId);
    return { content_uri: mxcUri(media.serverName, mediaId), unused_expires_at: expiresTs };
  });

  routes.put(
    ['/_matrix/media/v3/upload/:serverName/:mediaId', '/_matrix/media/r0/upload/:serverName/:mediaId'],
    ({ req, res, params, query, user }) =>
      answerUpload(req, res, async () => {
        ctx.limits.take('upload', req, user);
        const mediaId = localMediaId(media.serverName, params.serverName, params.mediaId);
        await media.uploadTo(user.userId, mediaId, req, uploadMeta(req, query));
        return {};
      }),
    { rawBody: true },
  );
}

function uploadMeta(req: Request, query: Record<string, string | undefined>): UploadMeta {
  const lengthHeader = req.headers['content-length'];
  let declaredLength: number | null = null;
  if (lengthHeader !== undefined) {
    if (!/^\d+$/.test(lengthHeader)) throw errors.invalidParam('Content-Length is not a number');
    declaredLength = Number(lengthHeader);
  }
  return { contentType: normaliseContentType(req.headers['content-type']), uploadName: uploadName(query.filename), declaredLength };
}

/**
 * The `filename` query parameter. matrix-js-sdk in a browser percent-encodes the name before
 * putting it in the query string, which encodes it again, so "写真.jpg" arrives as "%E5%86%99…".
 * A value that decodes cleanly from such escapes is taken to be that double encoding.
 */
export function uploadName(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let name = raw;
  if (/%[0-9A-Fa-f]{2}/.test(raw)) {
    try {
      name = decodeURIComponent(raw);
    } catch {
      // a literal '%' in the name: keep it as sent
    }
  }
  if (name.length > 1024) throw errors.invalidParam('filename is too long');
  return name;
}

/**
 * Runs an upload. When it fails before the body was read to the end (too large, bad ID, no
 * permission), the rest of the body is not wanted: the answer goes out, then the connection closes
 * instead of the server reading hundreds of megabytes it will throw away.
 */
async function answerUpload(req: Request, res: Response, run: () => Promise<object>): Promise<object> {
  try {
    return await run();
  } catch (err) {
    if (!req.complete) {
      res.setHeader('Connection', 'close');
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
    }
    throw err;
  }
}
