// GET /_matrix/client/versions: which spec versions this server really implements.
// Clients switch features on these strings (CLIENT-COMPAT rule 8), so a version is listed
// only once every endpoint it requires is served.
import type { RouteTable } from '../http/routes.ts';

// v1.1-v1.11: all of it is served, including threads and relations (v1.4, which switches
// Element's threads on) and authenticated media under /_matrix/client/v1/media (v1.11).
// Not v1.15+: it makes FluffyChat and matrix-js-sdk try OIDC first.
export const SUPPORTED_VERSIONS: readonly string[] = ['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11'];

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
