// Reporting content (spec "Reporting content"): POST /rooms/{roomId}/report/{eventId},
// POST /rooms/{roomId}/report and POST /users/{userId}/report store a report for the server's
// admins, who list event reports with Synapse's GET /_synapse/admin/v1/event_reports.
import type { RouteTable } from '../http/routes.ts';
import type { ServerContext } from '../context.ts';
import type { JsonObject } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import { clientPath } from '../http/routes.ts';
import { errors } from '../http/errors.ts';
import { VisibilityChecker } from '../rooms/visibility.ts';
import { requireAdmin } from './admin_users.ts';
import { getEvent } from '../storage/repos/events.ts';
import { getUser } from '../storage/repos/users.ts';
import { getMembership, getRoom } from '../storage/repos/rooms.ts';
import * as reportsRepo from '../storage/repos/event_reports.ts';
import { summarizeRoom } from '../directory/room_summary.ts';

const MAX_REASON = 2_000;

export function register(routes: RouteTable, ctx: ServerContext): void {
  const reason = (body: JsonObject): string | null => {
    if (body.reason === undefined || body.reason === null) return null;
    if (typeof body.reason !== 'string') throw errors.badJson('reason must be a string');
    return body.reason.slice(0, MAX_REASON);
  };
  const store = async (report: Omit<reportsRepo.EventReportRow, 'id' | 'received_ts'>, check: (db: SqlReader) => void) => {
    const ts = ctx.clock.now();
    await ctx.storage.write((db) => {
      check(db);
      reportsRepo.insertReport(db, { ...report, id: reportsRepo.nextReportId(db), received_ts: ts });
    });
    return {};
  };

  routes.post(clientPath('/rooms/:roomId/report/:eventId'), ({ params, body, user }) => {
    let score: number | null = null;
    if (body.score !== undefined && body.score !== null) {
      if (!Number.isInteger(body.score) || (body.score as number) < -100 || (body.score as number) > 0) throw errors.badJson('score must be an integer from -100 to 0');
      score = body.score as number;
    }
    const why = reason(body);
    const roomId = params.roomId!;
    const eventId = params.eventId!;
    return store({ room_id: roomId, event_id: eventId, target_user_id: null, user_id: user.userId, reason: why, score }, (db) => {
      // 404 whether the event does not exist or the reporter is not joined or may not see it (spec v1.8+).
      const row = getEvent(db, eventId);
      const joined = getMembership(db, roomId, user.userId)?.membership === 'join';
      if (!joined || !row || row.room_id !== roomId || !new VisibilityChecker(db, roomId, user.userId).canSee(row.stream_pos)) {
        throw errors.notFound('The event does not exist or you are not joined to its room');
      }
    });
  });

  routes.post(clientPath('/rooms/:roomId/report'), ({ params, body, user }) => {
    const why = reason(body);
    const roomId = params.roomId!;
    return store({ room_id: roomId, event_id: null, target_user_id: null, user_id: user.userId, reason: why, score: null }, (db) => {
      if (!getRoom(db, roomId)) throw errors.notFound('No such room');
    });
  });

  routes.post(clientPath('/users/:userId/report'), ({ params, body, user }) => {
    const why = reason(body);
    const target = params.userId!;
    return store({ room_id: '', event_id: null, target_user_id: target, user_id: user.userId, reason: why, score: null }, (db) => {
      if (!getUser(db, target)) throw errors.notFound('No such user');
    });
  });

  routes.get('/_synapse/admin/v1/event_reports', ({ query, user }) => {
    requireAdmin(user);
    const from = intParam(query.from, 'from', 0);
    const limit = Math.min(intParam(query.limit, 'limit', 100), 1000);
    const dir = query.dir ?? 'b';
    if (dir !== 'b' && dir !== 'f') throw errors.invalidParam('dir must be "b" or "f"');
    return ctx.storage.read((db) => {
      const { rows, total } = reportsRepo.listEventReports(db, { from, limit, dir, roomId: query.room_id, userId: query.user_id });
      const event_reports = rows.map((r) => {
        const summary = summarizeRoom(db, r.room_id);
        const event = r.event_id ? getEvent(db, r.event_id) : undefined;
        return {
          id: r.id,
          received_ts: r.received_ts,
          room_id: r.room_id,
          name: summary.name ?? null,
          canonical_alias: summary.canonical_alias ?? null,
          event_id: r.event_id,
          user_id: r.user_id,
          reason: r.reason,
          score: r.score,
          sender: event?.sender ?? null,
        };
      });
      const out: JsonObject = { event_reports, total };
      if (from + rows.length < total) out.next_token = from + rows.length;
      return out;
    });
  });
}

function intParam(v: string | undefined, name: string, def: number): number {
  if (v === undefined || v === '') return def;
  if (!/^\d{1,9}$/.test(v)) throw errors.invalidParam(`${name} must be a non-negative integer`);
  return Number(v);
}
