// Rooms, their current state and memberships (migration 003).
import type { SqlReader, SqlWriter } from '../types.ts';
import type { EventRow } from './events.ts';

export interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string;
  created_ts: number;
  is_public: number;
  last_pos: number;
  last_event_id: string | null;
  last_depth: number;
}

export interface MembershipRow {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_pos: number;
  forgotten: number;
}

export function insertRoom(db: SqlWriter, room: { roomId: string; version: string; creator: string; ts: number; isPublic: boolean }): void {
  db.run(`INSERT INTO rooms (room_id, room_version, creator, created_ts, is_public) VALUES (?, ?, ?, ?, ?)`, [
    room.roomId,
    room.version,
    room.creator,
    room.ts,
    room.isPublic ? 1 : 0,
  ]);
}

export function getRoom(db: SqlReader, roomId: string): RoomRow | undefined {
  return db.get<RoomRow>(`SELECT * FROM rooms WHERE room_id = ?`, [roomId]);
}

export function advanceRoom(db: SqlWriter, roomId: string, pos: number, eventId: string, depth: number): void {
  db.run(`UPDATE rooms SET last_pos = ?, last_event_id = ?, last_depth = ? WHERE room_id = ?`, [pos, eventId, depth, roomId]);
}

export function setRoomPublic(db: SqlWriter, roomId: string, isPublic: boolean): void {
  db.run(`UPDATE rooms SET is_public = ? WHERE room_id = ?`, [isPublic ? 1 : 0, roomId]);
}

export function publicRoomIds(db: SqlReader): string[] {
  return db.all<{ room_id: string }>(`SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY created_ts`).map((r) => r.room_id);
}

export function setCurrentState(db: SqlWriter, roomId: string, type: string, stateKey: string, eventId: string, pos: number): void {
  db.run(
    `INSERT INTO room_state (room_id, type, state_key, event_id, stream_pos) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id, stream_pos = excluded.stream_pos`,
    [roomId, type, stateKey, eventId, pos],
  );
}

export interface StateEntry {
  type: string;
  state_key: string;
  event_id: string;
  stream_pos: number;
}

export function currentState(db: SqlReader, roomId: string): StateEntry[] {
  return db.all<StateEntry>(`SELECT type, state_key, event_id, stream_pos FROM room_state WHERE room_id = ?`, [roomId]);
}

export function currentStateOfType(db: SqlReader, roomId: string, type: string): StateEntry[] {
  return db.all<StateEntry>(`SELECT type, state_key, event_id, stream_pos FROM room_state WHERE room_id = ? AND type = ?`, [roomId, type]);
}

/** Every current state event of a room, whole rows, in one query. */
export function currentStateEvents(db: SqlReader, roomId: string): EventRow[] {
  return db.all<EventRow>(`SELECT e.* FROM room_state s JOIN events e ON e.event_id = s.event_id WHERE s.room_id = ?`, [roomId]);
}

/** The event ID of one current state entry. */
export function currentStateEventId(db: SqlReader, roomId: string, type: string, stateKey: string): string | undefined {
  return db.get<{ event_id: string }>(`SELECT event_id FROM room_state WHERE room_id = ? AND type = ? AND state_key = ?`, [roomId, type, stateKey])?.event_id;
}

/** Content JSON of one current state event (already redacted if it was redacted). */
export function currentStateJson(db: SqlReader, roomId: string, type: string, stateKey: string): string | undefined {
  return db.get<{ json: string }>(
    `SELECT e.json FROM room_state s JOIN events e ON e.event_id = s.event_id WHERE s.room_id = ? AND s.type = ? AND s.state_key = ?`,
    [roomId, type, stateKey],
  )?.json;
}

export function setMembership(db: SqlWriter, roomId: string, userId: string, membership: string, eventId: string, pos: number): void {
  db.run(
    `INSERT INTO memberships (room_id, user_id, membership, event_id, stream_pos, forgotten) VALUES (?, ?, ?, ?, ?, 0)
     ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id,
       stream_pos = excluded.stream_pos, forgotten = 0`,
    [roomId, userId, membership, eventId, pos],
  );
}

export function forgetRoom(db: SqlWriter, roomId: string, userId: string): void {
  db.run(`UPDATE memberships SET forgotten = 1 WHERE room_id = ? AND user_id = ?`, [roomId, userId]);
}

export function getMembership(db: SqlReader, roomId: string, userId: string): MembershipRow | undefined {
  return db.get<MembershipRow>(`SELECT * FROM memberships WHERE room_id = ? AND user_id = ?`, [roomId, userId]);
}

export function roomsOfUser(db: SqlReader, userId: string, membership: string): MembershipRow[] {
  return db.all<MembershipRow>(`SELECT * FROM memberships WHERE user_id = ? AND membership = ?`, [userId, membership]);
}

export function allMembershipsOfUser(db: SqlReader, userId: string): MembershipRow[] {
  return db.all<MembershipRow>(`SELECT * FROM memberships WHERE user_id = ?`, [userId]);
}

/** Joined rooms of a user whose newest event is after `pos` (incremental sync: only rooms that changed). */
export function joinedRoomsChangedSince(db: SqlReader, userId: string, pos: number): string[] {
  return db
    .all<{ room_id: string }>(
      `SELECT m.room_id FROM memberships m JOIN rooms r ON r.room_id = m.room_id
       WHERE m.user_id = ? AND m.membership = 'join' AND r.last_pos > ?`,
      [userId, pos],
    )
    .map((r) => r.room_id);
}

export function membersOfRoom(db: SqlReader, roomId: string, membership: string): string[] {
  return db
    .all<{ user_id: string }>(`SELECT user_id FROM memberships WHERE room_id = ? AND membership = ? ORDER BY user_id`, [roomId, membership])
    .map((r) => r.user_id);
}

/** Joined and invited members of a room in one read (a sync's room summary), each sorted by user ID. */
export function joinedAndInvited(db: SqlReader, roomId: string): { joined: string[]; invited: string[] } {
  const joined: string[] = [];
  const invited: string[] = [];
  for (const r of db.all<{ user_id: string; membership: string }>(
    `SELECT user_id, membership FROM memberships WHERE room_id = ? AND membership IN ('join', 'invite') ORDER BY user_id`,
    [roomId],
  )) (r.membership === 'join' ? joined : invited).push(r.user_id);
  return { joined, invited };
}

export function countMembers(db: SqlReader, roomId: string, membership: string): number {
  return db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM memberships WHERE room_id = ? AND membership = ?`, [roomId, membership])?.n ?? 0;
}

/** Whether two users share a joined room (presence, device lists). */
export function shareRoom(db: SqlReader, a: string, b: string): boolean {
  return !!db.get(
    `SELECT 1 FROM memberships x JOIN memberships y ON x.room_id = y.room_id
     WHERE x.user_id = ? AND y.user_id = ? AND x.membership = 'join' AND y.membership = 'join' LIMIT 1`,
    [a, b],
  );
}

/** Everyone sharing a joined room with the user (the user included when joined anywhere). */
export function usersSharingRooms(db: SqlReader, userId: string): string[] {
  return db
    .all<{ user_id: string }>(
      `SELECT DISTINCT y.user_id FROM memberships x JOIN memberships y ON x.room_id = y.room_id
       WHERE x.user_id = ? AND x.membership = 'join' AND y.membership = 'join'`,
      [userId],
    )
    .map((r) => r.user_id);
}
