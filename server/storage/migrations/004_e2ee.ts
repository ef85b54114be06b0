// Migration 4: end-to-end encryption — device keys, one-time and fallback keys, cross-signing keys
// and signatures, the device-list change stream, to-device messages and server-side key backup.
// Stream positions use AUTOINCREMENT so a deleted row's position is never handed out again.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 4,
  name: 'e2ee',
  up(db) {
    db.run(`CREATE TABLE e2e_device_keys (
      user_id TEXT NOT NULL, device_id TEXT NOT NULL, json TEXT NOT NULL,
      PRIMARY KEY (user_id, device_id))`);
    db.run(`CREATE TABLE e2e_one_time_keys (
      user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL, key_id TEXT NOT NULL, json TEXT NOT NULL,
      PRIMARY KEY (user_id, device_id, algorithm, key_id))`);
    db.run(`CREATE TABLE e2e_fallback_keys (
      user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL, key_id TEXT NOT NULL, json TEXT NOT NULL,
      used INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id, device_id, algorithm))`);
    db.run(`CREATE TABLE e2e_cross_signing_keys (
      user_id TEXT NOT NULL, usage TEXT NOT NULL, public_key TEXT NOT NULL, json TEXT NOT NULL,
      PRIMARY KEY (user_id, usage))`);
    // Signatures uploaded with /keys/signatures/upload, merged into the signed object on query.
    db.run(`CREATE TABLE e2e_signatures (
      target_user_id TEXT NOT NULL, target_key_id TEXT NOT NULL,
      signer_user_id TEXT NOT NULL, signer_key_id TEXT NOT NULL, signature TEXT NOT NULL,
      PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id))`);
    // room_id is set when the row records a membership change (join/leave) in that room.
    db.run(`CREATE TABLE device_list_changes (
      pos INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, room_id TEXT)`);
    db.run(`CREATE INDEX device_list_changes_user ON device_list_changes (user_id, pos)`);
    db.run(`CREATE TABLE to_device_messages (
      pos INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, device_id TEXT NOT NULL,
      sender TEXT NOT NULL, type TEXT NOT NULL, content TEXT NOT NULL)`);
    db.run(`CREATE INDEX to_device_messages_device ON to_device_messages (user_id, device_id, pos)`);
    db.run(`CREATE TABLE to_device_txns (
      sender_user_id TEXT NOT NULL, sender_device_id TEXT NOT NULL, txn_id TEXT NOT NULL,
      PRIMARY KEY (sender_user_id, sender_device_id, txn_id))`);
    db.run(`CREATE TABLE key_backup_versions (
      user_id TEXT NOT NULL, version INTEGER NOT NULL, algorithm TEXT NOT NULL, auth_data TEXT NOT NULL,
      etag INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id, version))`);
    db.run(`CREATE TABLE key_backup_keys (
      user_id TEXT NOT NULL, version INTEGER NOT NULL, room_id TEXT NOT NULL, session_id TEXT NOT NULL,
      first_message_index INTEGER NOT NULL, forwarded_count INTEGER NOT NULL, is_verified INTEGER NOT NULL,
      session_data TEXT NOT NULL,
      PRIMARY KEY (user_id, version, room_id, session_id))`);
  },
};
