// To-device messages waiting for their device, and the txn IDs that make sending idempotent.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface StoredToDevice {
  pos: number;
  sender: string;
  type: string;
  content: string;
}

/** Records a sender's txn ID; false when it was already used (a retried request). */
export function claimToDeviceTxn(db: SqlWriter, userId: string, deviceId: string, txnId: string): boolean {
  return db.run(
    `INSERT INTO to_device_txns (sender_user_id, sender_device_id, txn_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
    [userId, deviceId, txnId],
  ).changes > 0;
}

export function enqueueToDevice(db: SqlWriter, userId: string, deviceId: string, sender: string, type: string, content: string): void {
  db.run(`INSERT INTO to_device_messages (user_id, device_id, sender, type, content) VALUES (?, ?, ?, ?, ?)`, [userId, deviceId, sender, type, content]);
}

/** Messages for a device after `from` up to `to`, oldest first, at most `limit`. */
export function pendingToDevice(db: SqlReader, userId: string, deviceId: string, from: number, to: number, limit: number): StoredToDevice[] {
  return db.all(
    `SELECT pos, sender, type, content FROM to_device_messages
     WHERE user_id = ? AND device_id = ? AND pos > ? AND pos <= ? ORDER BY pos LIMIT ?`,
    [userId, deviceId, from, to, limit],
  );
}

/** Deletes what the device has acknowledged by syncing with a token at or past `upTo`. */
export function deleteAcknowledgedToDevice(db: SqlWriter, userId: string, deviceId: string, upTo: number): number {
  return db.run(`DELETE FROM to_device_messages WHERE user_id = ? AND device_id = ? AND pos <= ?`, [userId, deviceId, upTo]).changes;
}

export function hasAcknowledgedToDevice(db: SqlReader, userId: string, deviceId: string, upTo: number): boolean {
  return db.get(`SELECT 1 AS x FROM to_device_messages WHERE user_id = ? AND device_id = ? AND pos <= ? LIMIT 1`, [userId, deviceId, upTo]) !== undefined;
}

export function deleteAllToDevice(db: SqlWriter, userId: string, deviceId: string): void {
  db.run(`DELETE FROM to_device_messages WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
}

export function latestToDevicePosition(db: SqlReader): number {
  return db.get<{ seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'to_device_messages'`)?.seq ?? 0;
}
