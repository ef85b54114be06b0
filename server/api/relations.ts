// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] (edits, reactions, replies in threads).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import { clientV1Path } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { paginationToken, parsePaginationToken, readableUpTo } from '../rooms/reader.ts';
import { toClientEvent } from '../rooms/client_event.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import { dirParam, limitParam } from './room_params.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientV1Path('/rooms/:roomId/relations/:eventId{/:relType}{/:eventType}'), ({ params, query, user }) => {
    const dir = dirParam(query.dir, 'b');
    const limit = limitParam(query.limit, 50);
    if (params.eventType !== undefined && params.relType === undefined) throw errors.invalidParam('eventType needs relType');
    return ctx.storage.read((db) => {
      const roomId = params.roomId!;
      const { upTo, visibility } = readableUpTo(db, roomId, user.userId);
      const parent = eventsRepo.getEvent(db, params.eventId!);
      if (!parent || parent.room_id !== roomId || parent.stream_pos > upTo || !visibility.canSee(parent.stream_pos)) throw errors.notFound('Event not found');
      const from = query.from ? parsePaginationToken(query.from) : dir === 'b' ? upTo : 0;
      const to = query.to ? parsePaginationToken(query.to) : undefined;
      const rows =
        dir === 'b'
          ? eventsRepo.relationsOf(db, parent.event_id, { relType: params.relType, eventType: params.eventType, after: to ?? 0, upTo: Math.min(from, upTo), dir, limit: limit + 1 })
          : eventsRepo.relationsOf(db, parent.event_id, { relType: params.relType, eventType: params.eventType, after: from, upTo: Math.min(to ?? upTo, upTo), dir, limit: limit + 1 });
      const page = rows.slice(0, limit).filter((r) => visibility.canSee(r.stream_pos));
      const now = ctx.clock.now();
      const body: JsonObject = { chunk: page.map((r) => toClientEvent(db, r, { now, viewer: user, bundle: true })) };
      if (rows.length > limit) {
        const last = rows[limit - 1]!.stream_pos;
        body.next_batch = paginationToken(dir === 'b' ? last - 1 : last);
      }
      if (query.from) body.prev_batch = query.from;
      return body;
    });
  });

  routes.get(clientV1Path('/rooms/:roomId/threads'), ({ params, query, user }) => {
    const include = query.include ?? 'all';
    if (include !== 'all' && include !== 'participated') throw errors.invalidParam('include must be "all" or "participated"');
    const limit = limitParam(query.limit, 20, 100);
    return ctx.storage.read((db) => {
      const roomId = params.roomId!;
      const { upTo, visibility } = readableUpTo(db, roomId, user.userId);
      const from = query.from ? Math.min(parsePaginationToken(query.from), upTo) : upTo;
      const roots = eventsRepo.threadRoots(db, roomId, from, limit + 1, include === 'participated' ? user.userId : undefined);
      const now = ctx.clock.now();
      const chunk: JsonObject[] = [];
      for (const { root } of roots.slice(0, limit)) {
        const row = eventsRepo.getEvent(db, root);
        if (row && row.room_id === roomId && visibility.canSee(row.stream_pos)) chunk.push(toClientEvent(db, row, { now, viewer: user, bundle: true }));
      }
      const body: JsonObject = { chunk };
      if (roots.length > limit) body.next_batch = paginationToken(roots[limit - 1]!.latest - 1);
      return body;
    });
  });

  routes.get(clientV1Path('/rooms/:roomId/timestamp_to_event'), ({ params, query, user }) => {
    const ts = Number(query.ts);
    if (query.ts === undefined || !/^\d{1,16}$/.test(query.ts) || !Number.isSafeInteger(ts)) throw errors.invalidParam('ts must be a timestamp in milliseconds');
    const dir = query.dir;
    if (dir !== 'f' && dir !== 'b') throw errors.invalidParam('dir must be "b" or "f"');
    return ctx.storage.read((db) => {
      const { upTo, visibility } = readableUpTo(db, params.roomId!, user.userId);
      const row = eventsRepo.eventNearTimestamp(db, params.roomId!, ts, dir);
      if (!row || row.stream_pos > upTo || !visibility.canSee(row.stream_pos)) throw errors.notFound(`No event ${dir === 'f' ? 'after' : 'before'} ${ts}`);
      return { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
    });
  });
}
