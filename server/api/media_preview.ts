// GET /_matrix/client/v1/media/preview_url (and the older /_matrix/media/v3 path): OpenGraph
// previews. Offline LANs get an empty preview quickly; private addresses are refused (SSRF).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { UrlPreviewer } from '../media/preview.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const previewer = new UrlPreviewer(() => ctx.clock.now());
  routes.get(
    ['/_matrix/client/v1/media/preview_url', '/_matrix/media/v3/preview_url', '/_matrix/media/r0/preview_url'],
    ({ query }) => previewer.preview(query.url),
  );
}
