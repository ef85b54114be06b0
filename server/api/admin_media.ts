// Synapse-compatible admin API for media (what synapse-admin and scripts use). Admins only.
//   GET    /_synapse/admin/v1/users/{userId}/media          a user's uploads, paginated
//   DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}  delete one upload
//   POST   /_synapse/admin/v1/media/delete?before_ts=       delete uploads older than a time
//   GET    /_synapse/admin/v1/statistics/users/media        usage per user, plus totals
import type { Ctx, RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import { errors } from '../http/errors.ts';
import { parseUserId } from '../ids.ts';
import { localMediaId } from '../media/ids.ts';

function requireAdmin({ user }: Ctx): void {
  if (!user.isAdmin) throw errors.forbidden('You are not a server admin');
}

function queryInt(value: string | undefined, name: string, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === '') return def;
  if (!/^\d{1,15}$/.test(value)) throw errors.invalidParam(`${name} must be a non-negative integer`);
  return Math.min(Number(value), max);
}

export function register(routes: RouteTable, ctx: ServerContext): void {
  const media = ctx.media;

  routes.get('/_synapse/admin/v1/users/:userId/media', (c) => {
    requireAdmin(c);
    const userId = c.params.userId!;
    const parsed = parseUserId(userId);
    if (!parsed) throw errors.invalidParam(`Not a user ID: ${userId}`);
    if (parsed.serverName !== media.serverName) throw errors.invalidParam('Only local users have media here');
    if (!ctx.accounts.getUser(userId)) throw errors.notFound('User not found');
    const from = queryInt(c.query.from, 'from', 0);
    const limit = queryInt(c.query.limit, 'limit', 100, 1000);
    const dir = c.query.dir ?? 'f';
    if (dir !== 'f' && dir !== 'b') throw errors.invalidParam('dir must be "f" or "b"');
    if (c.query.order_by !== undefined && c.query.order_by !== 'created_ts') throw errors.invalidParam('order_by supports created_ts only');
    const page = media.listByUploader(userId, { from, limit, newestFirst: dir === 'b' });
    return {
      media: page.media.map((m) => ({
        media_id: m.media_id,
        media_type: m.content_type ?? 'application/octet-stream',
        media_length: m.size ?? 0,
        upload_name: m.upload_name,
        created_ts: m.created_ts,
        last_access_ts: null,
        quarantined_by: null,
        safe_from_quarantine: false,
        sha256: m.sha256,
      })),
      total: page.total,
      ...(from + page.media.length < page.total ? { next_token: from + page.media.length } : {}),
    };
  });

  routes.delete('/_synapse/admin/v1/media/:serverName/:mediaId', async (c) => {
    requireAdmin(c);
    const mediaId = localMediaId(media.serverName, c.params.serverName, c.params.mediaId);
    if (!(await media.delete(mediaId))) throw errors.notFound('Media not found');
    return { deleted_media: [mediaId], total: 1 };
  });

  routes.post('/_synapse/admin/v1/media/delete', async (c) => {
    requireAdmin(c);
    if (c.query.before_ts === undefined) throw errors.missingParam('before_ts is required');
    const beforeTs = queryInt(c.query.before_ts, 'before_ts', 0);
    const result = await media.purgeBefore(beforeTs);
    return { deleted_media: result.deleted_ids, total: result.deleted, freed_bytes: result.bytes };
  });

  routes.get('/_synapse/admin/v1/statistics/users/media', async (c) => {
    requireAdmin(c);
    const from = queryInt(c.query.from, 'from', 0);
    const limit = queryInt(c.query.limit, 'limit', 100, 1000);
    const usage = await media.usage();
    const page = usage.users.slice(from, from + limit);
    return {
      users: page.map((u) => ({
        user_id: u.uploader,
        displayname: ctx.accounts.getUser(u.uploader)?.displayname ?? null,
        media_count: u.media_count,
        media_length: u.media_length,
      })),
      total: usage.users.length,
      ...(from + page.length < usage.users.length ? { next_token: from + page.length } : {}),
      // Meowtrix additions: the whole server at a glance.
      total_media_count: usage.total_count,
      total_media_length: usage.total_bytes,
      disk_bytes: usage.disk_bytes,
    };
  });
}
