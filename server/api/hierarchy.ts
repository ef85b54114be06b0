// GET /v1/rooms/{roomId}/hierarchy: the rooms of a space (server/directory/hierarchy.ts).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientV1Path } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { spaceHierarchy, type HierarchyQuery } from '../directory/hierarchy.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientV1Path('/rooms/:roomId/hierarchy'), ({ params, query, user }) => {
    const q: HierarchyQuery = { suggestedOnly: query.suggested_only === 'true', limit: 50, from: query.from || undefined };
    if (query.suggested_only !== undefined && query.suggested_only !== 'true' && query.suggested_only !== 'false') throw errors.invalidParam('suggested_only must be true or false');
    if (query.limit !== undefined) {
      if (!/^\d{1,9}$/.test(query.limit) || Number(query.limit) < 1) throw errors.invalidParam('limit must be a positive integer');
      q.limit = Math.min(Number(query.limit), 100);
    }
    if (query.max_depth !== undefined) {
      if (!/^\d{1,9}$/.test(query.max_depth)) throw errors.invalidParam('max_depth must be a non-negative integer');
      q.maxDepth = Number(query.max_depth);
    }
    return ctx.storage.read((db) => spaceHierarchy(db, user.userId, params.roomId!, q));
  });
}
