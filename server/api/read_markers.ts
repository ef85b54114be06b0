// POST /rooms/{roomId}/read_markers: m.fully_read, m.read and m.read.private in one call.
// Unknown keys are ignored (FluffyChat always sends all three).
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { roomParam } from './account_data.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const receipts = ctx.userData.receipts;

  routes.post(clientPath('/rooms/:roomId/read_markers'), async ({ params, body, user }) => {
    const roomId = roomParam(params.roomId);
    if (!ctx.userData.rooms.isJoined(roomId, user.userId)) throw errors.forbidden('You are not joined to this room');
    const markers = (['m.fully_read', 'm.read', 'm.read.private'] as const).filter((k) => body[k] !== undefined);
    for (const key of markers) if (typeof body[key] !== 'string') throw errors.badJson(`${key} must be an event ID`);
    // Check every target before changing anything, so a bad one changes nothing.
    for (const key of markers) receipts.checkTarget(user.userId, roomId, body[key] as string);
    // Issued together so the writes share one group commit (one fsync).
    await Promise.all(
      markers.map((key) => {
        const eventId = body[key] as string;
        return key === 'm.fully_read' ? receipts.setFullyRead(user.userId, roomId, eventId) : receipts.setReceipt(user.userId, roomId, key, eventId, undefined);
      }),
    );
    return {};
  });
}
