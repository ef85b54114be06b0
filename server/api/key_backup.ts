// Server-side key backup: /room_keys/version[/{version}] and /room_keys/keys[/{roomId}[/{sessionId}]].
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { isObject } from '../http/validate.ts';
import type { JsonObject } from '../http/body.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const backup = ctx.e2ee.backup;

  routes.post(clientPath('/room_keys/version'), ({ user, body }) => backup.createVersion(user.userId, body));
  routes.get(clientPath('/room_keys/version'), ({ user }) => backup.getVersion(user.userId));
  routes.get(clientPath('/room_keys/version/:version'), ({ user, params }) => backup.getVersion(user.userId, params.version));
  routes.put(clientPath('/room_keys/version/:version'), ({ user, params, body }) => backup.updateVersion(user.userId, params.version!, body));
  routes.delete(clientPath('/room_keys/version/:version'), ({ user, params }) => backup.deleteVersion(user.userId, params.version!));

  routes.put(clientPath('/room_keys/keys'), ({ user, query, body }) => {
    const rooms = body.rooms;
    if (!isObject(rooms)) throw errors.badJson('"rooms" must be an object');
    const sessions: Record<string, Record<string, unknown>> = {};
    for (const [roomId, room] of Object.entries(rooms)) sessions[roomId] = sessionsOf(room, roomId);
    return backup.putKeys(user.userId, query.version, sessions);
  });
  routes.put(clientPath('/room_keys/keys/:roomId'), ({ user, query, params, body }) =>
    backup.putKeys(user.userId, query.version, { [params.roomId!]: sessionsOf(body, params.roomId!) }),
  );
  routes.put(clientPath('/room_keys/keys/:roomId/:sessionId'), ({ user, query, params, body }) =>
    backup.putKeys(user.userId, query.version, { [params.roomId!]: { [params.sessionId!]: body } }),
  );

  routes.get(clientPath('/room_keys/keys'), ({ user, query }) => backup.getKeys(user.userId, query.version));
  routes.get(clientPath('/room_keys/keys/:roomId'), ({ user, query, params }) => backup.getKeys(user.userId, query.version, params.roomId));
  routes.get(clientPath('/room_keys/keys/:roomId/:sessionId'), ({ user, query, params }) =>
    backup.getKeys(user.userId, query.version, params.roomId, params.sessionId),
  );

  routes.delete(clientPath('/room_keys/keys'), ({ user, query }) => backup.deleteKeys(user.userId, query.version));
  routes.delete(clientPath('/room_keys/keys/:roomId'), ({ user, query, params }) => backup.deleteKeys(user.userId, query.version, params.roomId));
  routes.delete(clientPath('/room_keys/keys/:roomId/:sessionId'), ({ user, query, params }) =>
    backup.deleteKeys(user.userId, query.version, params.roomId, params.sessionId),
  );
}

function sessionsOf(room: unknown, roomId: string): Record<string, unknown> {
  if (!isObject(room) || !isObject(room.sessions)) throw errors.badJson(`rooms.${roomId}.sessions must be an object`);
  return room.sessions as JsonObject;
}
