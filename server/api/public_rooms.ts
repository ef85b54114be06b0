// GET/POST /publicRooms: the room directory (server/directory/public_rooms.ts).
// GET/PUT /directory/list/room/{roomId} (publishing a room) lives in aliases.ts.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { listPublicRooms, type PublicRoomsQuery } from '../directory/public_rooms.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  // There is no federation: another server's directory is empty from here.
  const isOtherServer = (server: unknown) => typeof server === 'string' && server !== '' && server !== ctx.config.serverName;

  routes.get(
    clientPath('/publicRooms'),
    ({ query }) => {
      const q: PublicRoomsQuery = { since: query.since || undefined };
      if (query.limit !== undefined && query.limit !== '') {
        if (!/^\d{1,9}$/.test(query.limit)) throw errors.invalidParam('limit must be a non-negative integer');
        q.limit = Number(query.limit);
      }
      if (isOtherServer(query.server)) return { chunk: [], total_room_count_estimate: 0 };
      return ctx.storage.read((db) => listPublicRooms(db, q));
    },
    { auth: 'optional' },
  );

  routes.post(clientPath('/publicRooms'), ({ body, query }) => {
    const q: PublicRoomsQuery = {};
    if (body.limit !== undefined && body.limit !== null) {
      if (!Number.isInteger(body.limit) || (body.limit as number) < 0) throw errors.badJson('limit must be a non-negative integer');
      q.limit = body.limit as number;
    }
    if (body.since !== undefined && body.since !== null) {
      if (typeof body.since !== 'string') throw errors.badJson('since must be a string');
      q.since = body.since || undefined;
    }
    const filter = body.filter;
    if (filter !== undefined && filter !== null) {
      if (typeof filter !== 'object' || Array.isArray(filter)) throw errors.badJson('filter must be an object');
      if (filter.generic_search_term !== undefined && filter.generic_search_term !== null) {
        if (typeof filter.generic_search_term !== 'string') throw errors.badJson('filter.generic_search_term must be a string');
        q.searchTerm = filter.generic_search_term.slice(0, 256);
      }
      if (filter.room_types !== undefined && filter.room_types !== null) {
        const types = filter.room_types;
        if (!Array.isArray(types) || types.some((t) => t !== null && typeof t !== 'string')) throw errors.badJson('filter.room_types must be a list of strings or null');
        q.roomTypes = types as (string | null)[];
      }
    }
    if (isOtherServer(query.server)) return { chunk: [], total_room_count_estimate: 0 };
    return ctx.storage.read((db) => listPublicRooms(db, q));
  });
}
