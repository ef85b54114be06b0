// The registration_tokens table: tokens the host hands out so people can register themselves.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface RegistrationTokenRow {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
  created_ts: number;
}

export function getRegistrationToken(db: SqlReader, token: string): RegistrationTokenRow | undefined {
  return db.get<RegistrationTokenRow>(`SELECT * FROM registration_tokens WHERE token = ?`, [token]);
}

export function listRegistrationTokens(db: SqlReader): RegistrationTokenRow[] {
  return db.all<RegistrationTokenRow>(`SELECT * FROM registration_tokens ORDER BY created_ts, token`);
}

export function insertRegistrationToken(
  db: SqlWriter,
  row: { token: string; usesAllowed: number | null; expiryTime: number | null; createdTs: number },
): void {
  db.run(`INSERT INTO registration_tokens (token, uses_allowed, pending, completed, expiry_time, created_ts) VALUES (?, ?, 0, 0, ?, ?)`, [
    row.token,
    row.usesAllowed,
    row.expiryTime,
    row.createdTs,
  ]);
}

export function updateRegistrationToken(db: SqlWriter, token: string, changes: { usesAllowed?: number | null; expiryTime?: number | null }): void {
  if (changes.usesAllowed !== undefined) db.run(`UPDATE registration_tokens SET uses_allowed = ? WHERE token = ?`, [changes.usesAllowed, token]);
  if (changes.expiryTime !== undefined) db.run(`UPDATE registration_tokens SET expiry_time = ? WHERE token = ?`, [changes.expiryTime, token]);
}

export function incrementCompleted(db: SqlWriter, token: string): void {
  db.run(`UPDATE registration_tokens SET completed = completed + 1 WHERE token = ?`, [token]);
}

export function deleteRegistrationToken(db: SqlWriter, token: string): number {
  return db.run(`DELETE FROM registration_tokens WHERE token = ?`, [token]).changes;
}
