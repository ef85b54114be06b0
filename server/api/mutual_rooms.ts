// GET /v1/user/mutual_rooms (spec; MSC2666's unstable path too): rooms both users are joined to.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientV1Path } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { isValidUserId } from '../ids.ts';
import { roomsOfUser } from '../storage/repos/rooms.ts';

const PAGE = 100;

export function register(routes: RouteTable, ctx: ServerContext): void {
  const paths = [...clientV1Path('/user/mutual_rooms'), '/_matrix/client/unstable/uk.half-shot.msc2666/user/mutual_rooms'];
  routes.get(paths, ({ query, user }) => {
    const other = query.user_id;
    if (!other) throw errors.missingParam('user_id is required');
    if (!isValidUserId(other)) throw errors.invalidParam('user_id is not a user ID');
    if (other === user.userId) throw errors.invalidParam('You cannot ask for rooms shared with yourself');
    let offset = 0;
    if (query.from !== undefined) {
      if (!/^m\d{1,9}$/.test(query.from)) throw errors.invalidParam('from is not a token from a previous response');
      offset = Number(query.from.slice(1));
    }
    return ctx.storage.read((db) => {
      const theirs = new Set(roomsOfUser(db, other, 'join').map((m) => m.room_id));
      const shared = roomsOfUser(db, user.userId, 'join').map((m) => m.room_id).filter((r) => theirs.has(r)).sort();
      const joined = shared.slice(offset, offset + PAGE);
      const count = shared.length;
      return offset + joined.length < count ? { joined, count, next_batch: `m${offset + joined.length}` } : { joined, count };
    });
  });
}
