// Server-side key backup: versions and the encrypted room keys stored in them.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface BackupVersionRow {
  version: number;
  algorithm: string;
  auth_data: string;
  etag: number;
}

export interface BackupKeyRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data: string;
}

export function latestBackupVersion(db: SqlReader, userId: string): BackupVersionRow | undefined {
  return db.get(
    `SELECT version, algorithm, auth_data, etag FROM key_backup_versions WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1`,
    [userId],
  );
}

export function getBackupVersion(db: SqlReader, userId: string, version: number): BackupVersionRow | undefined {
  return db.get(`SELECT version, algorithm, auth_data, etag FROM key_backup_versions WHERE user_id = ? AND version = ? AND deleted = 0`, [userId, version]);
}

export function createBackupVersion(db: SqlWriter, userId: string, algorithm: string, authData: string): number {
  const max = db.get<{ v: number | null }>(`SELECT max(version) AS v FROM key_backup_versions WHERE user_id = ?`, [userId])?.v ?? 0;
  const version = max + 1;
  db.run(`INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data) VALUES (?, ?, ?, ?)`, [userId, version, algorithm, authData]);
  return version;
}

export function updateBackupAuthData(db: SqlWriter, userId: string, version: number, authData: string): void {
  db.run(`UPDATE key_backup_versions SET auth_data = ? WHERE user_id = ? AND version = ?`, [authData, userId, version]);
}

export function deleteBackupVersion(db: SqlWriter, userId: string, version: number): boolean {
  const changed = db.run(`UPDATE key_backup_versions SET deleted = 1 WHERE user_id = ? AND version = ? AND deleted = 0`, [userId, version]).changes;
  db.run(`DELETE FROM key_backup_keys WHERE user_id = ? AND version = ?`, [userId, version]);
  return changed > 0;
}

export function bumpBackupEtag(db: SqlWriter, userId: string, version: number): void {
  db.run(`UPDATE key_backup_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?`, [userId, version]);
}

export function countBackupKeys(db: SqlReader, userId: string, version: number): number {
  return db.get<{ n: number }>(`SELECT count(*) AS n FROM key_backup_keys WHERE user_id = ? AND version = ?`, [userId, version])?.n ?? 0;
}

export function getBackupKey(db: SqlReader, userId: string, version: number, roomId: string, sessionId: string): BackupKeyRow | undefined {
  return db.get(
    `SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data
     FROM key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`,
    [userId, version, roomId, sessionId],
  );
}

/** Keys of a version, optionally narrowed to one room and one session. */
export function listBackupKeys(db: SqlReader, userId: string, version: number, roomId?: string, sessionId?: string): BackupKeyRow[] {
  return db.all(
    `SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data
     FROM key_backup_keys WHERE user_id = ? AND version = ? AND (? IS NULL OR room_id = ?) AND (? IS NULL OR session_id = ?)
     ORDER BY room_id, session_id`,
    [userId, version, roomId ?? null, roomId ?? null, sessionId ?? null, sessionId ?? null],
  );
}

export function putBackupKey(db: SqlWriter, userId: string, version: number, key: BackupKeyRow): void {
  db.run(
    `INSERT INTO key_backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET
       first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,
       is_verified = excluded.is_verified, session_data = excluded.session_data`,
    [userId, version, key.room_id, key.session_id, key.first_message_index, key.forwarded_count, key.is_verified, key.session_data],
  );
}

export function deleteBackupKeys(db: SqlWriter, userId: string, version: number, roomId?: string, sessionId?: string): number {
  return db.run(
    `DELETE FROM key_backup_keys WHERE user_id = ? AND version = ? AND (? IS NULL OR room_id = ?) AND (? IS NULL OR session_id = ?)`,
    [userId, version, roomId ?? null, roomId ?? null, sessionId ?? null, sessionId ?? null],
  ).changes;
}
