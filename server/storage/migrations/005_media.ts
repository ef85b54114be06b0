// Migration 5: metadata of uploaded media. The bytes live on disk under <data>/media/, never here.
import type { Migration } from '../types.ts';

export const migration: Migration = {
  version: 5,
  name: 'media',
  up(db) {
    // A row with uploaded_ts NULL is an mxc:// URI reserved by POST /media/v1/create whose
    // content has not arrived yet; it expires at unused_expires_ts.
    db.run(`CREATE TABLE media (
      media_id TEXT PRIMARY KEY,
      uploader TEXT NOT NULL,
      content_type TEXT,
      upload_name TEXT,
      size INTEGER,
      sha256 TEXT,
      created_ts INTEGER NOT NULL,
      uploaded_ts INTEGER,
      unused_expires_ts INTEGER
    )`);
    db.run(`CREATE INDEX media_uploader ON media (uploader, created_ts)`);
    db.run(`CREATE INDEX media_created ON media (created_ts)`);
  },
};
