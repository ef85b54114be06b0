// Room aliases (#name:server → room ID), migration 003.
import type { SqlReader, SqlWriter } from '../types.ts';

export function insertAlias(db: SqlWriter, alias: string, roomId: string, creator: string): void {
  db.run(`INSERT INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?)`, [alias, roomId, creator]);
}

export function getAlias(db: SqlReader, alias: string): { room_id: string; creator: string } | undefined {
  return db.get<{ room_id: string; creator: string }>(`SELECT room_id, creator FROM room_aliases WHERE alias = ?`, [alias]);
}

export function deleteAlias(db: SqlWriter, alias: string): boolean {
  return db.run(`DELETE FROM room_aliases WHERE alias = ?`, [alias]).changes > 0;
}

export function aliasesOfRoom(db: SqlReader, roomId: string): string[] {
  return db.all<{ alias: string }>(`SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias`, [roomId]).map((r) => r.alias);
}

/** Points every alias of a room at another room (room upgrades). */
export function moveAliases(db: SqlWriter, fromRoomId: string, toRoomId: string): void {
  db.run(`UPDATE room_aliases SET room_id = ? WHERE room_id = ?`, [toRoomId, fromRoomId]);
}
