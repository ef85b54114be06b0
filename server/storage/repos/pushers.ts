// HTTP pushers (migration 007): where to wake a user's devices.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface PusherRow {
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  /** JSON of the pusher's `data` (url, format, ...). */
  data: string;
  device_id: string | null;
  created_ts: number;
}

export function pushersOf(db: SqlReader, userId: string): PusherRow[] {
  return db.all<PusherRow>(`SELECT * FROM pushers WHERE user_id = ? ORDER BY created_ts, app_id, pushkey`, [userId]);
}

export function upsertPusher(db: SqlWriter, p: PusherRow): void {
  db.run(
    `INSERT INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data, device_id, created_ts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET kind = excluded.kind, app_display_name = excluded.app_display_name,
       device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag, lang = excluded.lang,
       data = excluded.data, device_id = excluded.device_id`,
    [p.user_id, p.app_id, p.pushkey, p.kind, p.app_display_name, p.device_display_name, p.profile_tag, p.lang, p.data, p.device_id, p.created_ts],
  );
}

export function deletePusher(db: SqlWriter, userId: string, appId: string, pushkey: string): number {
  return db.run(`DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND pushkey = ?`, [userId, appId, pushkey]).changes;
}

/** Pushers set from devices that were logged out or deleted. */
export function deletePushersOfDevice(db: SqlWriter, userId: string, deviceId: string): void {
  db.run(`DELETE FROM pushers WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
}

/** Without `append`, a pushkey belongs to one user only (spec POST /pushers/set). */
export function deletePushkeyOfOtherUsers(db: SqlWriter, userId: string, appId: string, pushkey: string): void {
  db.run(`DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?`, [appId, pushkey, userId]);
}

/** Users with at least one pusher: the only ones push delivery looks at. */
export function usersWithPushers(db: SqlReader): string[] {
  return db.all<{ user_id: string }>(`SELECT DISTINCT user_id FROM pushers`).map((r) => r.user_id);
}

/** The push action stored for one user and one event (push_events, migration 008), if its rules said notify. */
export { pushActionFor } from './push_rules.ts';
