// PUT /rooms/{roomId}/redact/{eventId}/{txnId}: the room version's redaction applies to what
// every later reader sees (the stored event is replaced by its redacted form).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { isValidEventId } from '../ids.ts';
import { roomIdParam } from './membership.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.put(clientPath('/rooms/:roomId/redact/:eventId/:txnId'), async ({ params, body, user }) => {
    const eventId = params.eventId!;
    if (!isValidEventId(eventId)) throw errors.invalidParam(`${eventId} is not a valid event ID`);
    const content: JsonObject = {};
    if (body.reason !== undefined) {
      if (typeof body.reason !== 'string') throw errors.badJson('reason must be a string');
      content.reason = body.reason;
    }
    const event = await ctx.rooms.send(roomIdParam(ctx, params.roomId!), {
      type: 'm.room.redaction',
      content,
      redacts: eventId,
      sender: user.userId,
      txn: { deviceId: user.deviceId, txnId: params.txnId! },
    });
    return { event_id: event.eventId };
  });
}
