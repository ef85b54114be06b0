// Filters: POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId}.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { validateFilter } from '../sync/filter.ts';
import { getFilterJson, putFilter } from '../storage/repos/filters.ts';
import { assertJsonDepth } from '../userdata/json_depth.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/user/:userId/filter'), async ({ params, body, user }) => {
    if (params.userId !== user.userId) throw errors.forbidden('You can only create filters for yourself');
    assertJsonDepth(body);
    const json = JSON.stringify(validateFilter(body));
    const id = await ctx.storage.write((db) => putFilter(db, user.userId, json));
    return { filter_id: String(id) };
  });

  routes.get(clientPath('/user/:userId/filter/:filterId'), ({ params, user }) => {
    if (params.userId !== user.userId) throw errors.forbidden('You can only read your own filters');
    const id = params.filterId!;
    const json = /^\d{1,15}$/.test(id) ? ctx.storage.read((db) => getFilterJson(db, user.userId, Number(id))) : undefined;
    if (json === undefined) throw errors.notFound('No such filter');
    return JSON.parse(json);
  });
}
