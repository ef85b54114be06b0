// GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} (authenticated, v1.11)
// and the deprecated unauthenticated /_matrix/media/v3/thumbnail alias.
import type { RouteTable, Ctx } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { localMediaId } from '../media/ids.ts';
import { sendThumbnail } from '../media/respond.ts';
import { chooseSize, parseThumbnailQuery } from '../media/thumbnails.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const media = ctx.media;
  const thumbnail = (authenticated: boolean) => async ({ req, res, params, query }: Ctx) => {
    const mediaId = localMediaId(media.serverName, params.serverName, params.mediaId);
    const request = parseThumbnailQuery(query);
    const row = await media.waitFor(mediaId, parseTimeout(query.timeout_ms));
    const thumb = await media.thumbnails.get(mediaId, chooseSize(request.width, request.height, request.method), request.animated);
    sendThumbnail(req, res, thumb, row, authenticated);
  };

  routes.get('/_matrix/client/v1/media/thumbnail/:serverName/:mediaId', thumbnail(true));
  routes.get(
    ['/_matrix/media/v3/thumbnail/:serverName/:mediaId', '/_matrix/media/r0/thumbnail/:serverName/:mediaId'],
    thumbnail(false),
    { auth: 'none' },
  );
}

/** The `timeout_ms` query parameter (how long to wait for content still being uploaded). */
export function parseTimeout(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (!/^\d{1,12}$/.test(raw)) throw errors.invalidParam('timeout_ms must be a non-negative integer');
  return Number(raw);
}
