// GET /_matrix/client/versions: which spec versions this server really implements.
// Clients switch features on these strings (CLIENT-COMPAT rule 8), so a version is listed
// only once every endpoint it requires is served.
import type { RouteTable } from '../http/routes.ts';

export const SUPPORTED_VERSIONS: readonly string[] = [];

export const UNSTABLE_FEATURES: Readonly<Record<string, boolean>> = {};

export function register(routes: RouteTable): void {
  routes.get('/_matrix/client/versions', () => ({
    versions: [...SUPPORTED_VERSIONS],
    unstable_features: { ...UNSTABLE_FEATURES },
  }), { auth: 'none' });
}
