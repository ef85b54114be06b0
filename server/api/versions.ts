// GET /_matrix/client/versions: which spec versions this server really implements.
// Clients switch features on these strings (CLIENT-COMPAT rule 8), so a version is listed
// only once every endpoint it requires is served.
import type { RouteTable } from '../http/routes.ts';

export const SUPPORTED_VERSIONS: readonly string[] = [];

export const UNSTABLE_FEATURES: Readonly<Record<string, boolean>> = {
  // GET /v1/user/mutual_rooms (server/api/mutual_rooms.ts); Element asks for this flag.
  'uk.half-shot.msc2666.query_mutual_rooms': true,
};

export function register(routes: RouteTable): void {
  routes.get('/_matrix/client/versions', () => ({
    versions: [...SUPPORTED_VERSIONS],
    unstable_features: { ...UNSTABLE_FEATURES },
  }), { auth: 'none' });
}
