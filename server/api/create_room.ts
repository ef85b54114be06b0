// POST /createRoom (client-server spec "Creation").
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { parseUserId } from '../ids.ts';
import { planCreateRoom } from '../rooms/create_room.ts';
import { clientPath } from '../http/routes.ts';

export function register(routes: RouteTable, ctx: ServerContext): void {
  routes.post(clientPath('/createRoom'), async ({ body, user, req }) => {
    const plan = planCreateRoom(body, user.userId, ctx.config.serverName, (u) => ctx.rooms.profileOf(u));
    const invitees = plan.drafts.filter((d) => d.type === 'm.room.member' && d.content.membership === 'invite').map((d) => d.stateKey!);
    // Each invite counts as one /invite would (taken first, as there), so a new room is no way around the limit.
    ctx.limits.take('invite', req, user, invitees.length);
    for (const invitee of invitees) checkInvitee(ctx, invitee);
    await ctx.rooms.createRoom(plan);
    return { room_id: plan.roomId };
  });
}

/** Invites go to existing local users only: there is no federation. */
export function checkInvitee(ctx: ServerContext, userId: string): void {
  const parsed = parseUserId(userId);
  if (!parsed) throw errors.invalidParam(`${userId} is not a valid user ID`);
  if (parsed.serverName !== ctx.config.serverName) throw errors.forbidden('This server does not federate: only local users can be invited');
  if (!ctx.profiles.get(userId)) throw errors.notFound(`Unknown user ${userId}`);
}
