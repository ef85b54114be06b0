// GET /notifications: the events the user's push rules notified them about, newest first
// (Element's notification panel, nheko). `from` is the stream position to continue before.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import type { JsonObject, JsonValue } from '../http/body.ts';
import { listNotifications } from '../storage/repos/notification_list.ts';
import { getEvent } from '../storage/repos/events.ts';
import { toClientEvent } from '../rooms/client_event.ts';

const MAX_LIMIT = 100;

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/notifications'), ({ query, user }) => {
    let before = Number.MAX_SAFE_INTEGER;
    if (query.from !== undefined) {
      if (!/^\d{1,15}$/.test(query.from)) throw errors.invalidParam('from must be a token from a previous response');
      before = Number(query.from);
    }
    let limit = 20;
    if (query.limit !== undefined) {
      if (!/^\d{1,6}$/.test(query.limit)) throw errors.invalidParam('limit must be a non-negative integer');
      limit = Math.min(Number(query.limit), MAX_LIMIT);
    }
    const highlightOnly = query.only === 'highlight';
    const now = ctx.clock.now();
    return ctx.storage.read((db) => {
      const rows = listNotifications(db, user.userId, before, limit, highlightOnly);
      const notifications: JsonObject[] = [];
      for (const row of rows) {
        const event = getEvent(db, row.event_id);
        if (!event) continue;
        notifications.push({
          actions: JSON.parse(row.actions) as JsonValue[],
          event: toClientEvent(db, event, { now, viewer: { userId: user.userId } }),
          read: row.read === 1,
          room_id: row.room_id,
          ts: row.ts,
        });
      }
      const out: JsonObject = { notifications };
      if (rows.length === limit && rows.length > 0) out.next_token = String(rows[rows.length - 1]!.stream_ordering);
      return out;
    });
  });
}
