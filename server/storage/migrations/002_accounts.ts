// Migration 2: accounts, their devices, access tokens and registration tokens.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 2,
  name: 'accounts',
  up(db) {
    db.run(`CREATE TABLE users (
      user_id TEXT PRIMARY KEY,
      localpart TEXT NOT NULL UNIQUE,
      password_hash TEXT,
      is_admin INTEGER NOT NULL DEFAULT 0,
      deactivated INTEGER NOT NULL DEFAULT 0,
      displayname TEXT,
      avatar_url TEXT,
      created_ts INTEGER NOT NULL
    )`);
    db.run(`CREATE TABLE devices (
      user_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      display_name TEXT,
      created_ts INTEGER NOT NULL,
      PRIMARY KEY (user_id, device_id)
    )`);
    // Tokens are stored as sha256 hashes: a copied database does not hand out sessions.
    db.run(`CREATE TABLE access_tokens (
      token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      created_ts INTEGER NOT NULL
    )`);
    db.run(`CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id)`);
    db.run(`CREATE TABLE registration_tokens (
      token TEXT PRIMARY KEY,
      uses_allowed INTEGER,
      pending INTEGER NOT NULL DEFAULT 0,
      completed INTEGER NOT NULL DEFAULT 0,
      expiry_time INTEGER,
      created_ts INTEGER NOT NULL
    )`);
  },
};
