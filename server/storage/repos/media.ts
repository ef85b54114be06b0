// The media table: who uploaded what, its type, name, size, hash and time. SQL for media lives only here.
import type { SqlReader, SqlWriter } from '../types.ts';

export interface MediaRow {
  media_id: string;
  uploader: string;
  content_type: string | null;
  upload_name: string | null;
  size: number | null;
  sha256: string | null;
  created_ts: number;
  /** NULL while an mxc:// URI from /create waits for its content. */
  uploaded_ts: number | null;
  unused_expires_ts: number | null;
}

export interface UploadedContent {
  contentType: string;
  uploadName: string | null;
  size: number;
  sha256: string;
  uploadedTs: number;
}

export function getMedia(db: SqlReader, mediaId: string): MediaRow | undefined {
  return db.get<MediaRow>(`SELECT * FROM media WHERE media_id = ?`, [mediaId]);
}

/** Records a finished upload in one go (POST /upload). */
export function insertUploaded(db: SqlWriter, mediaId: string, uploader: string, content: UploadedContent): void {
  db.run(
    `INSERT INTO media (media_id, uploader, content_type, upload_name, size, sha256, created_ts, uploaded_ts, unused_expires_ts)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    [mediaId, uploader, content.contentType, content.uploadName, content.size, content.sha256, content.uploadedTs, content.uploadedTs],
  );
}

/** Reserves an mxc:// URI whose content comes later (POST /create). */
export function insertPending(db: SqlWriter, mediaId: string, uploader: string, createdTs: number, expiresTs: number): void {
  db.run(
    `INSERT INTO media (media_id, uploader, created_ts, uploaded_ts, unused_expires_ts) VALUES (?, ?, ?, NULL, ?)`,
    [mediaId, uploader, createdTs, expiresTs],
  );
}

/** Fills in a reserved URI; false when it was already filled (or no longer exists). */
export function completePending(db: SqlWriter, mediaId: string, content: UploadedContent): boolean {
  const { changes } = db.run(
    `UPDATE media SET content_type = ?, upload_name = ?, size = ?, sha256 = ?, uploaded_ts = ?, unused_expires_ts = NULL
     WHERE media_id = ? AND uploaded_ts IS NULL`,
    [content.contentType, content.uploadName, content.size, content.sha256, content.uploadedTs, mediaId],
  );
  return changes === 1;
}

export function countPending(db: SqlReader, uploader: string, now: number): number {
  return db.get<{ n: number }>(
    `SELECT count(*) AS n FROM media WHERE uploader = ? AND uploaded_ts IS NULL AND unused_expires_ts > ?`,
    [uploader, now],
  )!.n;
}

/** Forgets reserved URIs nobody uploaded to in time. */
export function deleteExpiredPending(db: SqlWriter, now: number): number {
  return db.run(`DELETE FROM media WHERE uploaded_ts IS NULL AND unused_expires_ts <= ?`, [now]).changes;
}

export function deleteMedia(db: SqlWriter, mediaId: string): boolean {
  return db.run(`DELETE FROM media WHERE media_id = ?`, [mediaId]).changes === 1;
}

export function listUploadedBy(
  db: SqlReader,
  uploader: string,
  options: { from: number; limit: number; newestFirst: boolean },
): { media: MediaRow[]; total: number } {
  const total = db.get<{ n: number }>(`SELECT count(*) AS n FROM media WHERE uploader = ? AND uploaded_ts IS NOT NULL`, [uploader])!.n;
  const order = options.newestFirst ? 'DESC' : 'ASC';
  const media = db.all<MediaRow>(
    `SELECT * FROM media WHERE uploader = ? AND uploaded_ts IS NOT NULL
     ORDER BY created_ts ${order}, media_id ${order} LIMIT ? OFFSET ?`,
    [uploader, options.limit, options.from],
  );
  return { media, total };
}

export interface UploaderUsage {
  uploader: string;
  media_count: number;
  media_length: number;
}

/** Files and bytes per uploader, biggest first. */
export function usageByUploader(db: SqlReader): UploaderUsage[] {
  return db.all<UploaderUsage>(
    `SELECT uploader, count(*) AS media_count, coalesce(sum(size), 0) AS media_length
     FROM media WHERE uploaded_ts IS NOT NULL GROUP BY uploader ORDER BY media_length DESC, uploader ASC`,
  );
}

/** IDs of uploaded media created before `beforeTs`, oldest first. */
export function listUploadedBefore(db: SqlReader, beforeTs: number): string[] {
  return db
    .all<{ media_id: string }>(`SELECT media_id FROM media WHERE uploaded_ts IS NOT NULL AND created_ts < ? ORDER BY created_ts`, [beforeTs])
    .map((r) => r.media_id);
}

export function deleteMany(db: SqlWriter, mediaIds: readonly string[]): number {
  let n = 0;
  for (const id of mediaIds) n += db.run(`DELETE FROM media WHERE media_id = ?`, [id]).changes;
  return n;
}
