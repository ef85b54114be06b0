// GET /v1/user/mutual_rooms (spec), and MSC2666's unstable path that matrix-js-sdk calls
// (`batch_token` / `next_batch_token` there): rooms both users are joined to.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import { clientV1Path } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { isValidUserId } from '../ids.ts';
import { roomsOfUser } from '../storage/repos/rooms.ts';

const PAGE = 100;
const UNSTABLE_PATH = '/_matrix/client/unstable/uk.half-shot.msc2666/user/mutual_rooms';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get([...clientV1Path('/user/mutual_rooms'), UNSTABLE_PATH], ({ req, query, user }) => {
    const unstable = req.path === UNSTABLE_PATH;
    const other = query.user_id;
    if (!other) throw errors.missingParam('user_id is required');
    if (!isValidUserId(other)) throw errors.invalidParam('user_id is not a user ID');
    if (other === user.userId) throw errors.invalidParam('You cannot ask for rooms shared with yourself');
    const from = unstable ? (query.batch_token ?? query.from) : query.from;
    let offset = 0;
    if (from !== undefined) {
      if (!/^m\d{1,9}$/.test(from)) throw errors.invalidParam('from is not a token from a previous response');
      offset = Number(from.slice(1));
    }
    return ctx.storage.read((db) => {
      const theirs = new Set(roomsOfUser(db, other, 'join').map((m) => m.room_id));
      const shared = roomsOfUser(db, user.userId, 'join').map((m) => m.room_id).filter((r) => theirs.has(r)).sort();
      const joined = shared.slice(offset, offset + PAGE);
      const body: JsonObject = { joined, count: shared.length };
      if (offset + joined.length < shared.length) body[unstable ? 'next_batch_token' : 'next_batch'] = `m${offset + joined.length}`;
      return body;
    });
  });
}
