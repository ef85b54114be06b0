// Room tags (m.tag room account data): GET /user/{u}/rooms/{r}/tags, PUT/DELETE .../tags/{tag}.
import type { RouteTable } from '../http/routes.ts';
import { clientPath } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import type { JsonObject } from '../http/body.ts';
import { ownUser, roomParam } from './account_data.ts';
import { assertJsonDepth } from '../userdata/json_depth.ts';

const TAG_TYPE = 'm.tag';

function tagsOf(content: JsonObject | undefined): JsonObject {
  const tags = content?.tags;
  return tags && typeof tags === 'object' && !Array.isArray(tags) ? { ...tags } : {};
}

function tagParam(tag: string | undefined): string {
  if (!tag || Buffer.byteLength(tag) > 255) throw errors.invalidParam('A tag must be 1 to 255 bytes');
  return tag;
}

export function register(routes: RouteTable, ctx: ServerContext): void {
  const data = ctx.userData.accountData;

  routes.get(clientPath('/user/:userId/rooms/:roomId/tags'), ({ params, user }) => {
    ownUser(params.userId, user.userId, 'tags');
    return { tags: tagsOf(data.get(user.userId, roomParam(params.roomId), TAG_TYPE)) };
  });

  routes.put(clientPath('/user/:userId/rooms/:roomId/tags/:tag'), async ({ params, user, body }) => {
    ownUser(params.userId, user.userId, 'tags');
    const roomId = roomParam(params.roomId);
    const tag = tagParam(params.tag);
    if (body.order !== undefined && typeof body.order !== 'number') throw errors.badJson('order must be a number');
    assertJsonDepth(body);
    await data.update(user.userId, roomId, TAG_TYPE, (current) => ({ content: { tags: { ...tagsOf(current), [tag]: body } }, result: undefined }));
    return {};
  });

  routes.delete(clientPath('/user/:userId/rooms/:roomId/tags/:tag'), async ({ params, user }) => {
    ownUser(params.userId, user.userId, 'tags');
    const roomId = roomParam(params.roomId);
    const tag = tagParam(params.tag);
    await data.update(user.userId, roomId, TAG_TYPE, (current) => {
      const tags = tagsOf(current);
      delete tags[tag];
      return { content: { tags }, result: undefined };
    });
    return {};
  });
}
