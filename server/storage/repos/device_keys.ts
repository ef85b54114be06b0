// Device keys, one-time and fallback keys, cross-signing keys, signatures, and the device-list stream.
import type { SqlReader, SqlWriter } from '../types.ts';

export function getDeviceKeys(db: SqlReader, userId: string, deviceId: string): string | undefined {
  return db.get<{ json: string }>(`SELECT json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?`, [userId, deviceId])?.json;
}

export function listDeviceKeys(db: SqlReader, userId: string): { device_id: string; json: string }[] {
  return db.all(`SELECT device_id, json FROM e2e_device_keys WHERE user_id = ? ORDER BY device_id`, [userId]);
}

export function putDeviceKeys(db: SqlWriter, userId: string, deviceId: string, json: string): void {
  db.run(
    `INSERT INTO e2e_device_keys (user_id, device_id, json) VALUES (?, ?, ?)
     ON CONFLICT (user_id, device_id) DO UPDATE SET json = excluded.json`,
    [userId, deviceId, json],
  );
}

/** Stores a one-time key unless that key ID is already stored; returns whether it was new. */
export function addOneTimeKey(db: SqlWriter, userId: string, deviceId: string, algorithm: string, keyId: string, json: string): boolean {
  return db.run(
    `INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, json) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
    [userId, deviceId, algorithm, keyId, json],
  ).changes > 0;
}

export function countOneTimeKeys(db: SqlReader, userId: string, deviceId: string): Record<string, number> {
  const rows = db.all<{ algorithm: string; n: number }>(
    `SELECT algorithm, count(*) AS n FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm`,
    [userId, deviceId],
  );
  return Object.fromEntries(rows.map((r) => [r.algorithm, r.n]));
}

/** Removes and returns the oldest-stored one-time key of that algorithm, if any. */
export function takeOneTimeKey(db: SqlWriter, userId: string, deviceId: string, algorithm: string): { key_id: string; json: string } | undefined {
  const row = db.get<{ key_id: string; json: string }>(
    `SELECT key_id, json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY rowid LIMIT 1`,
    [userId, deviceId, algorithm],
  );
  if (row) {
    db.run(`DELETE FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?`, [userId, deviceId, algorithm, row.key_id]);
  }
  return row;
}

export function putFallbackKey(db: SqlWriter, userId: string, deviceId: string, algorithm: string, keyId: string, json: string): void {
  db.run(
    `INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, json, used) VALUES (?, ?, ?, ?, ?, 0)
     ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id, json = excluded.json, used = 0`,
    [userId, deviceId, algorithm, keyId, json],
  );
}

export function getFallbackKey(db: SqlReader, userId: string, deviceId: string, algorithm: string): { key_id: string; json: string; used: number } | undefined {
  return db.get(`SELECT key_id, json, used FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?`, [userId, deviceId, algorithm]);
}

export function markFallbackKeyUsed(db: SqlWriter, userId: string, deviceId: string, algorithm: string): void {
  db.run(`UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?`, [userId, deviceId, algorithm]);
}

export function unusedFallbackKeyTypes(db: SqlReader, userId: string, deviceId: string): string[] {
  return db
    .all<{ algorithm: string }>(`SELECT algorithm FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0 ORDER BY algorithm`, [userId, deviceId])
    .map((r) => r.algorithm);
}

/** Forgets every key of a deleted device (device keys, OTKs, fallback keys, signatures on it). */
export function deleteDeviceKeys(db: SqlWriter, userId: string, deviceId: string): void {
  db.run(`DELETE FROM e2e_device_keys WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
  db.run(`DELETE FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
  db.run(`DELETE FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
  db.run(`DELETE FROM e2e_signatures WHERE target_user_id = ? AND target_key_id = ?`, [userId, deviceId]);
}

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

export function getCrossSigningKey(db: SqlReader, userId: string, usage: CrossSigningUsage): { public_key: string; json: string } | undefined {
  return db.get(`SELECT public_key, json FROM e2e_cross_signing_keys WHERE user_id = ? AND usage = ?`, [userId, usage]);
}

export function putCrossSigningKey(db: SqlWriter, userId: string, usage: CrossSigningUsage, publicKey: string, json: string): void {
  db.run(
    `INSERT INTO e2e_cross_signing_keys (user_id, usage, public_key, json) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, usage) DO UPDATE SET public_key = excluded.public_key, json = excluded.json`,
    [userId, usage, publicKey, json],
  );
}

export function putSignature(db: SqlWriter, targetUserId: string, targetKeyId: string, signerUserId: string, signerKeyId: string, signature: string): void {
  db.run(
    `INSERT INTO e2e_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id) DO UPDATE SET signature = excluded.signature`,
    [targetUserId, targetKeyId, signerUserId, signerKeyId, signature],
  );
}

export function listSignatures(db: SqlReader, targetUserId: string, targetKeyId: string): { signer_user_id: string; signer_key_id: string; signature: string }[] {
  return db.all(
    `SELECT signer_user_id, signer_key_id, signature FROM e2e_signatures WHERE target_user_id = ? AND target_key_id = ?`,
    [targetUserId, targetKeyId],
  );
}

export function recordDeviceListChange(db: SqlWriter, userId: string): void {
  db.run(`INSERT INTO device_list_changes (user_id) VALUES (?)`, [userId]);
}

/** A user joined or left a room: users who newly share (or stop sharing) a room with them must hear of it. */
export function recordMembershipChange(db: SqlWriter, userId: string, roomId: string): void {
  db.run(`INSERT INTO device_list_changes (user_id, room_id) VALUES (?, ?)`, [userId, roomId]);
}

export function deviceListChangesBetween(db: SqlReader, from: number, to: number): { user_id: string; room_id: string | null }[] {
  return db.all(`SELECT user_id, room_id FROM device_list_changes WHERE pos > ? AND pos <= ? ORDER BY pos`, [from, to]);
}

export function latestDeviceListPosition(db: SqlReader): number {
  return db.get<{ seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'device_list_changes'`)?.seq ?? 0;
}
