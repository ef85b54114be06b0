// GET /rooms/{roomId}/members (at, membership, not_membership) and /joined_members.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { parsePaginationToken, readableUpTo, requireJoined } from '../rooms/reader.ts';
import { toClientEvent } from '../rooms/client_event.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';

const MEMBERSHIPS = ['join', 'invite', 'knock', 'leave', 'ban'];

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/rooms/:roomId/members'), ({ params, query, user }) => {
    for (const key of ['membership', 'not_membership'] as const) {
      const v = query[key];
      if (v !== undefined && !MEMBERSHIPS.includes(v)) throw errors.invalidParam(`${key} must be one of ${MEMBERSHIPS.join(', ')}`);
    }
    return ctx.storage.read((db) => {
      const roomId = params.roomId!;
      const { upTo } = readableUpTo(db, roomId, user.userId);
      const at = query.at ? Math.min(parsePaginationToken(query.at), upTo) : upTo;
      const now = ctx.clock.now();
      const chunk: JsonObject[] = [];
      for (const entry of roomsRepo.currentStateOfType(db, roomId, 'm.room.member')) {
        const row = entry.stream_pos <= at ? eventsRepo.getEvent(db, entry.event_id) : eventsRepo.stateEventAt(db, roomId, 'm.room.member', entry.state_key, at);
        if (!row) continue;
        const membership = row.membership ?? 'leave';
        if (query.membership !== undefined && membership !== query.membership) continue;
        if (query.not_membership !== undefined && membership === query.not_membership) continue;
        chunk.push(toClientEvent(db, row, { now, viewer: user }));
      }
      return { chunk };
    });
  });

  routes.get(clientPath('/rooms/:roomId/joined_members'), ({ params, user }) =>
    ctx.storage.read((db) => {
      const roomId = params.roomId!;
      requireJoined(db, roomId, user.userId);
      const joined: Record<string, JsonObject> = {};
      for (const userId of roomsRepo.membersOfRoom(db, roomId, 'join')) {
        const json = roomsRepo.currentStateJson(db, roomId, 'm.room.member', userId);
        const content = (json ? (JSON.parse(json) as JsonObject).content : {}) as JsonObject;
        const info: JsonObject = {};
        if (typeof content.displayname === 'string') info.display_name = content.displayname;
        if (typeof content.avatar_url === 'string') info.avatar_url = content.avatar_url;
        joined[userId] = info;
      }
      return { joined };
    }),
  );
}
