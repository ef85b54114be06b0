// POST /user_directory/search: people search (server/directory/user_search.ts).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { searchUsers } from '../directory/user_search.ts';

const MAX_LIMIT = 50;

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/user_directory/search'), ({ body, user }) => {
    if (typeof body.search_term !== 'string') throw errors.badJson('search_term must be a string');
    let limit = 10;
    if (body.limit !== undefined) {
      if (!Number.isInteger(body.limit) || (body.limit as number) < 0) throw errors.badJson('limit must be a non-negative integer');
      limit = Math.min(body.limit as number, MAX_LIMIT);
    }
    const term = body.search_term.slice(0, 256);
    return ctx.storage.read((db) => searchUsers(db, user.userId, term, limit, ctx.config.userDirectorySearchAllUsers));
  });
}
