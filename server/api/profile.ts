// Profiles (spec "Profiles"): display name and avatar URL of local users, stored with the account.
// Reading needs a login (so the LAN at large cannot list who lives here); changing needs to be that user.
import { clientPath, type Ctx, type RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { parseUserId } from '../ids.ts';
import type { Profile } from '../accounts/profiles.ts';

const FIELDS = ['displayname', 'avatar_url'] as const;
type Field = (typeof FIELDS)[number];
const MAX_DISPLAYNAME = 256;
const MAX_AVATAR_URL = 1024;

export function register(routes: RouteTable, ctx: ServerContext): void {
  const profileOf = (userId: string): Profile => {
    if (!parseUserId(userId)) throw errors.invalidParam(`Not a user ID: ${userId}`);
    const profile = ctx.profiles.get(userId);
    if (!profile) throw errors.notFound('Profile not found');
    return profile;
  };

  routes.get(clientPath('/profile/:userId'), ({ params }) => {
    const profile = profileOf(params.userId!);
    const out: Record<string, string> = {};
    for (const field of FIELDS) if (profile[field] !== null) out[field] = profile[field]!;
    return out;
  });

  for (const field of FIELDS) {
    routes.get(clientPath(`/profile/:userId/${field}`), ({ params }) => {
      const value = profileOf(params.userId!)[field];
      if (value === null) throw errors.notFound(`No ${field} set`);
      return { [field]: value };
    });

    routes.put(clientPath(`/profile/:userId/${field}`), async (c: Ctx) => {
      const userId = c.params.userId!;
      if (userId !== c.user.userId && !c.user.isAdmin) throw errors.forbidden("You cannot change someone else's profile");
      profileOf(userId);
      const value = checkValue(field, c.body[field]);
      if (field === 'displayname') await ctx.profiles.setDisplayname(userId, value);
      else await ctx.profiles.setAvatarUrl(userId, value);
      return {};
    });
  }
}

/** null or "" clears the field; otherwise a bounded string (avatar: an mxc:// URI). */
function checkValue(field: Field, value: unknown): string | null {
  if (value === undefined) throw errors.missingParam(`"${field}" is required`);
  if (value === null || value === '') return null;
  if (typeof value !== 'string') throw errors.badJson(`"${field}" must be a string`);
  if (field === 'displayname' && value.length > MAX_DISPLAYNAME) throw errors.invalidParam(`displayname is longer than ${MAX_DISPLAYNAME} characters`);
  if (field === 'avatar_url') {
    if (value.length > MAX_AVATAR_URL) throw errors.invalidParam(`avatar_url is longer than ${MAX_AVATAR_URL} characters`);
    if (!/^mxc:\/\/[^/]+\/[^/]+$/.test(value)) throw errors.invalidParam('avatar_url must be an mxc:// URI');
  }
  return value;
}
