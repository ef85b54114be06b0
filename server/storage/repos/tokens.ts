// The access_tokens table: sha256 hashes of access tokens, each bound to one device.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface TokenOwner {
  user_id: string;
  device_id: string;
  is_admin: number;
  deactivated: number;
}

export function findTokenOwner(db: SqlReader, tokenHash: string): TokenOwner | undefined {
  return db.get<TokenOwner>(
    `SELECT t.user_id, t.device_id, u.is_admin, u.deactivated
       FROM access_tokens t JOIN users u ON u.user_id = t.user_id
      WHERE t.token_hash = ?`,
    [tokenHash],
  );
}

export function insertToken(db: SqlWriter, token: { tokenHash: string; userId: string; deviceId: string; createdTs: number }): void {
  db.run(`INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)`, [
    token.tokenHash,
    token.userId,
    token.deviceId,
    token.createdTs,
  ]);
}

export function deleteToken(db: SqlWriter, tokenHash: string): void {
  db.run(`DELETE FROM access_tokens WHERE token_hash = ?`, [tokenHash]);
}

export function deleteDeviceTokens(db: SqlWriter, userId: string, deviceId: string): void {
  db.run(`DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
}

export function deleteUserTokens(db: SqlWriter, userId: string, exceptDeviceId?: string): void {
  if (exceptDeviceId === undefined) db.run(`DELETE FROM access_tokens WHERE user_id = ?`, [userId]);
  else db.run(`DELETE FROM access_tokens WHERE user_id = ? AND device_id != ?`, [userId, exceptDeviceId]);
}
