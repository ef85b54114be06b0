// PUT /rooms/{roomId}/send/{eventType}/{txnId}: idempotent per (device, txnId).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { roomIdParam } from './membership.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.put(clientPath('/rooms/:roomId/send/:eventType/:txnId'), async ({ params, body, user, req }) => {
    ctx.limits.take('send', req, user);
    const type = eventTypeParam(params.eventType!);
    if (type === 'm.room.redaction') throw errors.badJson('Use PUT /rooms/{roomId}/redact/{eventId}/{txnId} to redact');
    const event = await ctx.rooms.send(roomIdParam(ctx, params.roomId!), {
      type,
      content: body,
      sender: user.userId,
      txn: { deviceId: user.deviceId, txnId: params.txnId! },
    });
    return { event_id: event.eventId };
  });
}

export function eventTypeParam(type: string): string {
  if (!type || Buffer.byteLength(type) > 255) throw errors.invalidParam('The event type must be 1-255 bytes');
  return type;
}
