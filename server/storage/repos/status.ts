// Reads behind the host's status feed (server/status/): today's messages at start, accounts, media bytes.
import type { SqlReader } from '../types.ts';

/** Event types counted as "messages" on the host panel. */
export const MESSAGE_TYPES = ['m.room.message', 'm.room.encrypted'] as const;

/**
 * Messages stored since `sinceTs`: read once at start to seed the live counter. The room_id IN
 * (rooms) form lets SQLite range-scan events_by_ts per room instead of reading every event.
 */
export function countMessagesSince(db: SqlReader, sinceTs: number): number {
  return db.get<{ n: number }>(
    `SELECT count(*) AS n FROM events
     WHERE room_id IN (SELECT room_id FROM rooms) AND origin_server_ts >= ?
       AND type IN ('m.room.message', 'm.room.encrypted') AND state_key IS NULL`,
    [sinceTs],
  )!.n;
}

/** Bytes of every completed upload (originals; thumbnails are derived and not counted). */
export function uploadedMediaBytes(db: SqlReader): number {
  return db.get<{ n: number }>(`SELECT coalesce(sum(size), 0) AS n FROM media WHERE uploaded_ts IS NOT NULL`)!.n;
}
