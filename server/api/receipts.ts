// POST /rooms/{roomId}/receipt/{receiptType}/{eventId}: m.read, m.read.private (with an optional
// thread_id) and m.fully_read. Members of the room only.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { isReceiptType } from '../userdata/receipts.ts';
import { roomParam } from './account_data.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const receipts = ctx.userData.receipts;

  routes.post(clientPath('/rooms/:roomId/receipt/:receiptType/:eventId'), async ({ params, body, user }) => {
    const roomId = roomParam(params.roomId);
    const type = params.receiptType!;
    const eventId = params.eventId!;
    if (body.thread_id !== undefined && typeof body.thread_id !== 'string') throw errors.invalidParam('thread_id must be a non-empty string');
    if (type === 'm.fully_read') {
      if (body.thread_id !== undefined) throw errors.invalidParam('m.fully_read cannot be threaded');
      await receipts.setFullyRead(user.userId, roomId, eventId);
    } else if (isReceiptType(type)) {
      await receipts.setReceipt(user.userId, roomId, type, eventId, body.thread_id);
    } else {
      throw errors.invalidParam('receiptType must be m.read, m.read.private or m.fully_read');
    }
    return {};
  });
}
