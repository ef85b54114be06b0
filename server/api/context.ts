// GET /rooms/{roomId}/context/{eventId}: an event with the events around it and the state at the end.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { paginationToken, readableUpTo, stateAt } from '../rooms/reader.ts';
import { formatEvents, toClientEvent } from '../rooms/client_event.ts';
import { resolveRoomEventFilter } from '../sync/filter.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import { paginate } from './messages.ts';
import { limitParam } from './room_params.ts';
import { ignoredUsers } from '../userdata/ignored_users.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/rooms/:roomId/context/:eventId'), ({ params, query, user }) => {
    const limit = limitParam(query.limit, 10, 100);
    const filter = resolveRoomEventFilter(query.filter);
    return ctx.storage.read((db) => {
      const roomId = params.roomId!;
      const { upTo, visibility } = readableUpTo(db, roomId, user.userId);
      const row = eventsRepo.getEvent(db, params.eventId!);
      if (!row || row.room_id !== roomId || row.stream_pos > upTo || !visibility.canSee(row.stream_pos)) throw errors.notFound('Event not found');
      const half = Math.floor(limit / 2);
      const ignored = ignoredUsers(db, user.userId);
      const before = half ? paginate(db, roomId, { dir: 'b', from: row.stream_pos - 1, upTo, limit: half, filter, visibility, ignored }) : { rows: [] };
      const after = limit - half ? paginate(db, roomId, { dir: 'f', from: row.stream_pos, upTo, limit: limit - half, filter, visibility, ignored }) : { rows: [] };
      const now = ctx.clock.now();
      const fmt = (r: eventsRepo.EventRow) => toClientEvent(db, r, { now, viewer: user, bundle: true });
      const fmtAll = (rows: eventsRepo.EventRow[]) => formatEvents(db, rows, { now, viewer: user, bundle: true });
      const lastPos = after.rows.at(-1)?.stream_pos ?? row.stream_pos;
      let state = stateAt(db, roomId, lastPos);
      if (filter.lazyLoadMembers) {
        const senders = new Set([row, ...before.rows, ...after.rows].map((r) => r.sender));
        state = state.filter((s) => s.type !== 'm.room.member' || senders.has(s.state_key!));
      }
      return {
        event: fmt(row),
        events_before: fmtAll(before.rows),
        events_after: fmtAll(after.rows),
        start: paginationToken(before.rows.length ? before.rows.at(-1)!.stream_pos - 1 : row.stream_pos - 1),
        end: paginationToken(lastPos),
        state: state.map((s) => toClientEvent(db, s, { now, viewer: user })),
      };
    });
  });
}
