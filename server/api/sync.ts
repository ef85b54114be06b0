// GET /sync: since, timeout (capped at 30 s), full_state, set_presence, filter (ID or inline JSON).
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { decodeSyncToken } from '../sync/token.ts';
import { resolveFilter } from '../sync/filter.ts';
import { PollAbort } from '../sync/notifier.ts';

const PRESENCE_STATES = ['online', 'offline', 'unavailable'];

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.get(clientPath('/sync'), async ({ req, res, query, user }) => {
    const since = query.since ? decodeSyncToken(query.since) : null;
    let timeoutMs = 0;
    if (query.timeout !== undefined && query.timeout !== '') {
      if (!/^\d{1,12}$/.test(query.timeout)) throw errors.invalidParam('timeout must be a non-negative integer (milliseconds)');
      timeoutMs = Number(query.timeout);
    }
    const fullState = parseBool(query.full_state, 'full_state');
    const setPresence = query.set_presence ?? 'online';
    if (!PRESENCE_STATES.includes(setPresence)) throw errors.invalidParam('set_presence must be online, offline or unavailable');
    const filter = resolveFilter(ctx.storage, user.userId, query.filter);
    touchPresence(ctx, user.userId, setPresence);

    // A client that goes away stops its long-poll at once (its resources are released). The
    // response's 'close' comes when the connection closes, and also once the answer is sent,
    // when aborting no longer matters: one listener, never removed.
    const abort = new PollAbort();
    if (req.socket.destroyed) abort.abort();
    else res.once('close', () => abort.abort());
    return ctx.sync.sync({ userId: user.userId, deviceId: user.deviceId, since, timeoutMs, fullState, filter }, abort);
  });
}

function parseBool(v: string | undefined, name: string): boolean {
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw errors.invalidParam(`${name} must be true or false`);
}

/** Presence is the per-user-data service's; sync only reports that the user is around. */
function touchPresence(ctx: ServerContext, userId: string, state: string): void {
  ctx.userData.presence.touch(userId, state);
}
