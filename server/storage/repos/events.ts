// Room events: one global stream ordered by stream_pos (migration 003).
import type { SqlReader, SqlWriter } from '../types.ts';

export interface EventRow {
  stream_pos: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  json: string;
  unsigned_json: string | null;
  membership: string | null;
  redacted_by: string | null;
  relates_to: string | null;
  rel_type: string | null;
  txn_device: string | null;
  txn_id: string | null;
}

export function latestStreamPos(db: SqlReader): number {
  return db.get<{ p: number | null }>(`SELECT MAX(stream_pos) AS p FROM events`)?.p ?? 0;
}

export function insertEvent(db: SqlWriter, e: EventRow): void {
  db.run(
    `INSERT INTO events (stream_pos, event_id, room_id, type, state_key, sender, origin_server_ts, json, unsigned_json,
       membership, redacted_by, relates_to, rel_type, txn_device, txn_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.stream_pos, e.event_id, e.room_id, e.type, e.state_key, e.sender, e.origin_server_ts, e.json, e.unsigned_json,
      e.membership, e.redacted_by, e.relates_to, e.rel_type, e.txn_device, e.txn_id],
  );
}

export function getEvent(db: SqlReader, eventId: string): EventRow | undefined {
  return db.get<EventRow>(`SELECT * FROM events WHERE event_id = ?`, [eventId]);
}

export function getEventJson(db: SqlReader, eventId: string): string | undefined {
  return db.get<{ json: string }>(`SELECT json FROM events WHERE event_id = ?`, [eventId])?.json;
}

export function getEventAt(db: SqlReader, pos: number): EventRow | undefined {
  return db.get<EventRow>(`SELECT * FROM events WHERE stream_pos = ?`, [pos]);
}

export function findByTxn(db: SqlReader, sender: string, deviceId: string, txnId: string): EventRow | undefined {
  return db.get<EventRow>(`SELECT * FROM events WHERE sender = ? AND txn_device = ? AND txn_id = ?`, [sender, deviceId, txnId]);
}

/** Unredacted events of the given types with after < stream_pos <= upTo, oldest first (the search indexer). */
export function searchableBetween(db: SqlReader, after: number, upTo: number, types: readonly string[]): { stream_pos: number; event_id: string; room_id: string; type: string }[] {
  return db.all(
    `SELECT stream_pos, event_id, room_id, type FROM events
      WHERE stream_pos > ? AND stream_pos <= ? AND redacted_by IS NULL AND type IN (SELECT value FROM json_each(?)) ORDER BY stream_pos`,
    [after, upTo, JSON.stringify(types)],
  );
}

/** Replaces an event's JSON with its redacted form; it no longer relates to anything. */
export function markRedacted(db: SqlWriter, eventId: string, redactedJson: string, redactedBy: string): void {
  db.run(`UPDATE events SET json = ?, redacted_by = ?, relates_to = NULL, rel_type = NULL WHERE event_id = ?`, [redactedJson, redactedBy, eventId]);
}

/** Events of a room with after < stream_pos <= upTo, newest first ('b') or oldest first ('f'). */
export function roomEvents(db: SqlReader, roomId: string, after: number, upTo: number, dir: 'b' | 'f', limit: number): EventRow[] {
  return db.all<EventRow>(
    `SELECT * FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ?
     ORDER BY stream_pos ${dir === 'b' ? 'DESC' : 'ASC'} LIMIT ?`,
    [roomId, after, upTo, limit],
  );
}

/** The newest version of one state entry at or before `pos`. */
export function stateEventAt(db: SqlReader, roomId: string, type: string, stateKey: string, pos: number): EventRow | undefined {
  return db.get<EventRow>(
    `SELECT * FROM events WHERE room_id = ? AND type = ? AND state_key = ? AND stream_pos <= ? ORDER BY stream_pos DESC LIMIT 1`,
    [roomId, type, stateKey, pos],
  );
}

/** State events of a room with after < stream_pos <= upTo. */
export function stateEventsBetween(db: SqlReader, roomId: string, after: number, upTo: number): EventRow[] {
  return db.all<EventRow>(
    `SELECT * FROM events WHERE room_id = ? AND stream_pos > ? AND stream_pos <= ? AND state_key IS NOT NULL ORDER BY stream_pos`,
    [roomId, after, upTo],
  );
}

/** (stream_pos, membership) of every member event about one user in one room, oldest first. */
export function membershipHistory(db: SqlReader, roomId: string, userId: string): { stream_pos: number; membership: string }[] {
  return db.all<{ stream_pos: number; membership: string }>(
    `SELECT stream_pos, membership FROM events WHERE type = 'm.room.member' AND state_key = ? AND room_id = ? ORDER BY stream_pos`,
    [userId, roomId],
  );
}

/** (stream_pos, json) of each state event of one type and key, oldest first (history visibility). */
export function stateHistory(db: SqlReader, roomId: string, type: string, stateKey: string): { stream_pos: number; json: string }[] {
  return db.all<{ stream_pos: number; json: string }>(
    `SELECT stream_pos, json FROM events WHERE room_id = ? AND type = ? AND state_key = ? ORDER BY stream_pos`,
    [roomId, type, stateKey],
  );
}

/** Member events about a user with after < stream_pos <= upTo, oldest first (sync: rooms joined, left, invited). */
export function membershipChangesOf(db: SqlReader, userId: string, after: number, upTo: number): EventRow[] {
  return db.all<EventRow>(
    `SELECT * FROM events WHERE type = 'm.room.member' AND state_key = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos`,
    [userId, after, upTo],
  );
}

/** Events relating to `eventId`, optionally by relation and event type, in a stream range. */
export function relationsOf(
  db: SqlReader,
  eventId: string,
  opts: { relType?: string; eventType?: string; after: number; upTo: number; dir: 'b' | 'f'; limit: number },
): EventRow[] {
  const where = ['relates_to = ?', 'stream_pos > ?', 'stream_pos <= ?'];
  const params: (string | number)[] = [eventId, opts.after, opts.upTo];
  if (opts.relType !== undefined) {
    where.push('rel_type = ?');
    params.push(opts.relType);
  }
  if (opts.eventType !== undefined) {
    where.push('type = ?');
    params.push(opts.eventType);
  }
  params.push(opts.limit);
  return db.all<EventRow>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY stream_pos ${opts.dir === 'b' ? 'DESC' : 'ASC'} LIMIT ?`, params);
}

/** Summary of the relations used for bundled aggregations. */
export function relationChildren(db: SqlReader, eventId: string): EventRow[] {
  return db.all<EventRow>(
    `SELECT * FROM events WHERE relates_to = ? AND rel_type IN ('m.replace', 'm.thread') ORDER BY stream_pos`,
    [eventId],
  );
}

/** relationChildren() for many events in one query (a timeline page). */
export function relationChildrenOfMany(db: SqlReader, eventIds: readonly string[]): EventRow[] {
  return db.all<EventRow>(
    `SELECT * FROM events WHERE relates_to IS NOT NULL AND relates_to IN (SELECT value FROM json_each(?))
       AND rel_type IN ('m.replace', 'm.thread') ORDER BY stream_pos`,
    [JSON.stringify(eventIds)],
  );
}

/** Thread roots of a room, newest thread activity first, with activity at or below `upTo`. */
export function threadRoots(db: SqlReader, roomId: string, upTo: number, limit: number, participant?: string): { root: string; latest: number }[] {
  const byUser = participant ? `AND (sender = ? OR relates_to IN (SELECT event_id FROM events WHERE sender = ? AND room_id = ?))` : '';
  const params: (string | number)[] = [roomId];
  if (participant) params.push(participant, participant, roomId);
  params.push(upTo, limit);
  return db.all<{ root: string; latest: number }>(
    `SELECT relates_to AS root, MAX(stream_pos) AS latest FROM events
     WHERE room_id = ? AND rel_type = 'm.thread' ${byUser}
     GROUP BY relates_to HAVING MAX(stream_pos) <= ? ORDER BY latest DESC LIMIT ?`,
    params,
  );
}

/** The event nearest to `ts` in a direction: first at/after ('f') or last at/before ('b'). */
export function eventNearTimestamp(db: SqlReader, roomId: string, ts: number, dir: 'f' | 'b'): EventRow | undefined {
  return dir === 'f'
    ? db.get<EventRow>(`SELECT * FROM events WHERE room_id = ? AND origin_server_ts >= ? ORDER BY origin_server_ts, stream_pos LIMIT 1`, [roomId, ts])
    : db.get<EventRow>(`SELECT * FROM events WHERE room_id = ? AND origin_server_ts <= ? ORDER BY origin_server_ts DESC, stream_pos DESC LIMIT 1`, [roomId, ts]);
}
