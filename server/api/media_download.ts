// GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] (authenticated, v1.11)
// and the deprecated unauthenticated /_matrix/media/v3/download aliases that older clients use.
import type { RouteTable, Ctx } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { localMediaId } from '../media/ids.ts';
import { sendMedia } from '../media/respond.ts';
import { parseTimeout } from './media_thumbnail.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const media = ctx.media;
  const download = (authenticated: boolean) => async ({ req, res, params, query }: Ctx) => {
    const mediaId = localMediaId(media.serverName, params.serverName, params.mediaId);
    const row = await media.waitFor(mediaId, parseTimeout(query.timeout_ms));
    // A streamed body is not held like a JSON answer (http/app.ts): wait here until the row it
    // serves is on disk (a download woken by an upload that has only just committed).
    await ctx.storage.durable();
    await sendMedia(req, res, media.store.contentPath(mediaId), row, { authenticated, fileNameOverride: params.fileName });
  };

  routes.get(
    ['/_matrix/client/v1/media/download/:serverName/:mediaId', '/_matrix/client/v1/media/download/:serverName/:mediaId/:fileName'],
    download(true),
  );
  routes.get(
    [
      '/_matrix/media/v3/download/:serverName/:mediaId',
      '/_matrix/media/v3/download/:serverName/:mediaId/:fileName',
      '/_matrix/media/r0/download/:serverName/:mediaId',
      '/_matrix/media/r0/download/:serverName/:mediaId/:fileName',
    ],
    download(false),
    { auth: 'none' },
  );
}
