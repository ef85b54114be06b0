// Room state: GET /rooms/{id}/state, GET/PUT /rooms/{id}/state/{type}/{stateKey}.
import type { RouteTable, Ctx } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors, MatrixError } from '../http/errors.ts';
import type { JsonObject } from '../http/body.ts';
import * as aliasesRepo from '../storage/repos/aliases.ts';
import { readableUpTo, stateAt } from '../rooms/reader.ts';
import { toClientEvent } from '../rooms/client_event.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import { roomIdParam } from './membership.ts';
import { eventTypeParam } from './send.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/rooms/:roomId/state'), ({ params, user }) =>
    ctx.storage.read((db) => {
      const { upTo } = readableUpTo(db, params.roomId!, user.userId);
      const now = ctx.clock.now();
      return stateAt(db, params.roomId!, upTo).map((row) => toClientEvent(db, row, { now, viewer: user }));
    }),
  );

  const getOne = ({ params, query, user }: Ctx) =>
    ctx.storage.read((db) => {
      const { upTo } = readableUpTo(db, params.roomId!, user.userId);
      const row = eventsRepo.stateEventAt(db, params.roomId!, params.eventType!, params.stateKey ?? '', upTo);
      if (!row) throw errors.notFound('No such state event');
      const event = toClientEvent(db, row, { now: ctx.clock.now(), viewer: user });
      return query.format === 'event' ? event : event.content;
    });
  routes.get(clientPath('/rooms/:roomId/state/:eventType{/:stateKey}'), getOne);

  routes.put(clientPath('/rooms/:roomId/state/:eventType{/:stateKey}'), async ({ params, body, user }) => {
    const type = eventTypeParam(params.eventType!);
    if (type === 'm.room.create') throw errors.forbidden('m.room.create cannot be changed');
    const roomId = roomIdParam(ctx, params.roomId!);
    if (type === 'm.room.canonical_alias') checkCanonicalAliases(ctx, roomId, body);
    const event = await ctx.rooms.send(roomId, {
      type,
      stateKey: params.stateKey ?? '',
      content: body,
      sender: user.userId,
      // Re-sending identical state returns the existing event (as Synapse does).
      skipIfUnchanged: true,
    });
    return { event_id: event.eventId };
  });
}

/** The spec's 400 M_BAD_ALIAS: a canonical alias must exist and point to this room. */
function checkCanonicalAliases(ctx: ServerContext, roomId: string, body: JsonObject): void {
  const aliases: unknown[] = [];
  if (body.alias !== undefined && body.alias !== null) aliases.push(body.alias);
  if (body.alt_aliases !== undefined) {
    if (!Array.isArray(body.alt_aliases)) throw errors.badJson('alt_aliases must be a list');
    aliases.push(...body.alt_aliases);
  }
  for (const alias of aliases) {
    const ok = typeof alias === 'string' && ctx.storage.read((db) => aliasesRepo.getAlias(db, alias))?.room_id === roomId;
    if (!ok) throw new MatrixError(400, 'M_BAD_ALIAS', `${String(alias)} is not an alias of this room`);
  }
}
