// Device keys and cross-signing: /keys/upload, query, claim, changes, device_signing/upload, signatures/upload.
import { clientPath, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { decodeSyncToken } from '../sync/token.ts';
import { hasCrossSigningKeys, uploadCrossSigningKeys, uploadSignatures } from '../e2ee/signatures.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  const { keys, deviceLists } = ctx.e2ee;

  routes.post(clientPath('/keys/upload'), ({ user, body }) => keys.upload(user, body));

  routes.post(clientPath('/keys/query'), ({ user, body }) => keys.query(user, body));

  routes.post(clientPath('/keys/claim'), ({ body }) => keys.claim(body));

  routes.get(clientPath('/keys/changes'), ({ user, query }) => {
    if (!query.from || !query.to) throw errors.missingParam('"from" and "to" sync tokens are required');
    const from = decodeSyncToken(query.from).device_lists;
    const to = decodeSyncToken(query.to).device_lists;
    const { changed, left } = deviceLists.changesBetween(user.userId, from, to);
    return { changed: [...changed], left: [...left].filter((u) => !changed.has(u)) };
  });

  routes.post(clientPath('/keys/device_signing/upload'), async ({ user, body }) => {
    // The first upload needs no re-authentication (MSC3967); replacing keys always does.
    if (hasCrossSigningKeys(ctx.storage, user.userId)) {
      await ctx.uia.authenticate({
        action: 'device_signing_upload',
        userId: user.userId,
        flows: [['m.login.password']],
        auth: body.auth,
      });
    }
    if (await uploadCrossSigningKeys(ctx.storage, user.userId, body)) keys.notifyDeviceChange(user.userId);
    return {};
  });

  routes.post(clientPath('/keys/signatures/upload'), async ({ user, body }) => {
    const { failures, signedUsers } = await uploadSignatures(ctx.storage, user.userId, body);
    for (const signed of signedUsers) keys.notifyDeviceChange(signed);
    return { failures };
  });
}
