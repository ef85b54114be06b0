// The devices table: one row per logged-in session a user has (phone, PC, browser).
import type { SqlReader, SqlWriter } from '../types.ts';

export interface DeviceRow {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
}

export function getDevice(db: SqlReader, userId: string, deviceId: string): DeviceRow | undefined {
  return db.get<DeviceRow>(`SELECT * FROM devices WHERE user_id = ? AND device_id = ?`, [userId, deviceId]);
}

export function listDevices(db: SqlReader, userId: string): DeviceRow[] {
  return db.all<DeviceRow>(`SELECT * FROM devices WHERE user_id = ? ORDER BY created_ts, device_id`, [userId]);
}

export function insertDevice(db: SqlWriter, device: { userId: string; deviceId: string; displayName: string | null; createdTs: number }): void {
  db.run(`INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?)`, [
    device.userId,
    device.deviceId,
    device.displayName,
    device.createdTs,
  ]);
}

export function setDeviceDisplayName(db: SqlWriter, userId: string, deviceId: string, displayName: string | null): number {
  return db.run(`UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?`, [displayName, userId, deviceId]).changes;
}

export function deleteDevice(db: SqlWriter, userId: string, deviceId: string): number {
  return db.run(`DELETE FROM devices WHERE user_id = ? AND device_id = ?`, [userId, deviceId]).changes;
}

export function deleteAllDevices(db: SqlWriter, userId: string): void {
  db.run(`DELETE FROM devices WHERE user_id = ?`, [userId]);
}
