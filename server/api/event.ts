// GET /rooms/{roomId}/event/{eventId}: one event, if the user may see it.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { readableUpTo } from '../rooms/reader.ts';
import { toClientEvent } from '../rooms/client_event.ts';
import * as eventsRepo from '../storage/repos/events.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/rooms/:roomId/event/:eventId'), ({ params, user }) =>
    ctx.storage.read((db) => {
      const { upTo, visibility } = readableUpTo(db, params.roomId!, user.userId);
      const row = eventsRepo.getEvent(db, params.eventId!);
      if (!row || row.room_id !== params.roomId || row.stream_pos > upTo || !visibility.canSee(row.stream_pos)) throw errors.notFound('Event not found');
      return toClientEvent(db, row, { now: ctx.clock.now(), viewer: user, bundle: true });
    }),
  );
}
