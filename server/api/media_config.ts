// GET /_matrix/client/v1/media/config (authenticated) and /_matrix/media/v3/config.
// FluffyChat calls this before every upload and refuses to send a file when it fails (CLIENT-COMPAT rule 7).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const config = () => ({ 'm.upload.size': ctx.media.maxUploadBytes });
  routes.get('/_matrix/client/v1/media/config', config);
  routes.get(['/_matrix/media/v3/config', '/_matrix/media/r0/config'], config, { auth: 'none' });
}
