// Media operations for the host's CLI, run by the admin socket while the server holds the data
// dir, or in the CLI process itself when no server is running (accounts/admin_cli.ts).
import { MatrixError, errors } from '../http/errors.ts';
import type { MediaService } from './service.ts';

type MediaOp = (deps: { media?: MediaService }, args: Record<string, unknown>) => Promise<unknown>;

function service(deps: { media?: MediaService }): MediaService {
  if (!deps.media) throw new MatrixError(500, 'M_UNKNOWN', 'media service not available here');
  return deps.media;
}

export const MEDIA_ADMIN_OPS: Record<string, MediaOp> = {
  async 'media.usage'(deps) {
    return service(deps).usage();
  },
  async 'media.purge'(deps, args) {
    const before = args.before_ts;
    if (typeof before !== 'number' || !Number.isSafeInteger(before) || before < 0) throw errors.invalidParam('before_ts must be a timestamp in ms');
    return service(deps).purgeBefore(before);
  },
};
