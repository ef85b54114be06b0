// POST /search: server-side search of the user's rooms (room_events category; see server/search/).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { parseCriteria, searchRoomEvents } from '../search/service.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/search'), async ({ body, query, user }) => {
    const criteria = parseCriteria(body);
    await ctx.searchIndex.flush(); // every event stored before this search is searchable
    return ctx.storage.read((db) => searchRoomEvents(db, user.userId, criteria, query.next_batch, ctx.clock.now()));
  });
}
