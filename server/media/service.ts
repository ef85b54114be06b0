// The media service: uploads (direct and via a reserved mxc:// URI), lookups that can wait for
// content still on its way, deletion, usage and purge. The bytes are handled by MediaStore;
// the metadata by the media repository. An upload is acknowledged only once both are durable.
import type { Readable } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { HomeserverConfig } from '../config.ts';
import type { SqlWriter, Storage } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { MatrixError, errors } from '../http/errors.ts';
import * as repo from '../storage/repos/media.ts';
import type { MediaRow } from '../storage/repos/media.ts';
import { MediaStore, UploadInterruptedError, UploadTooLargeError, type ReceivedFile } from './store.ts';
import { newMediaId } from './ids.ts';
import { Thumbnailer } from './thumbnails.ts';

/** How long an mxc:// URI from /create waits for its content (the spec's recommended 24 h). */
export const UNUSED_EXPIRY_MS = 24 * 60 * 60 * 1000;
/** Reserved-but-empty URIs one user may hold at once (spec: servers should limit them). */
export const MAX_PENDING_PER_USER = 20;
/** The longest a download may wait for content that is still being uploaded. */
export const MAX_WAIT_MS = 60_000;
const DEFAULT_WAIT_MS = 20_000;

export interface UploadMeta {
  contentType: string;
  uploadName: string | null;
  /** Content-Length, when the client declared one. */
  declaredLength: number | null;
}

export interface MediaDeps {
  config: HomeserverConfig;
  storage: Storage;
  clock: Clock;
  log: Logger;
}

export const mediaErrors = {
  cannotOverwrite: () => new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded'),
  notYetUploaded: () => new MatrixError(504, 'M_NOT_YET_UPLOADED', 'Content has not yet been uploaded'),
  interrupted: () => new MatrixError(400, 'M_UNKNOWN', 'The upload was interrupted before all of its content arrived'),
};

export class MediaService {
  readonly store: MediaStore;
  readonly thumbnails: Thumbnailer;
  readonly serverName: string;
  readonly maxUploadBytes: number;
  private readonly deps: MediaDeps;
  private readonly uploaded = new EventEmitter();
  /** Reserved URIs with a PUT in progress: a second PUT must not race the first. */
  private readonly filling = new Set<string>();

  constructor(deps: MediaDeps) {
    this.deps = deps;
    this.store = new MediaStore(deps.config.dataDir);
    this.thumbnails = new Thumbnailer(this.store);
    this.serverName = deps.config.serverName;
    this.maxUploadBytes = deps.config.maxUploadBytes;
    this.uploaded.setMaxListeners(0);
  }

  /** POST /upload: stores the body under a new ID. Resolves with the ID once file and row are on disk. */
  async upload(uploader: string, body: Readable, meta: UploadMeta): Promise<string> {
    const file = await this.receive(body, meta);
    const mediaId = newMediaId();
    await this.persist(file, mediaId, (db, content) => repo.insertUploaded(db, mediaId, uploader, content), meta);
    return mediaId;
  }

  /** POST /create: reserves an ID whose content comes later. */
  async create(uploader: string): Promise<{ mediaId: string; expiresTs: number }> {
    const now = this.deps.clock.now();
    const mediaId = newMediaId();
    const expiresTs = now + UNUSED_EXPIRY_MS;
    await this.deps.storage.write((db) => {
      repo.deleteExpiredPending(db, now);
      if (repo.countPending(db, uploader, now) >= MAX_PENDING_PER_USER) throw errors.limitExceeded(60_000);
      repo.insertPending(db, mediaId, uploader, now, expiresTs);
    });
    return { mediaId, expiresTs };
  }

  /** PUT /upload/{serverName}/{mediaId}: fills a URI reserved by the same user. */
  async uploadTo(uploader: string, mediaId: string, body: Readable, meta: UploadMeta): Promise<void> {
    const row = this.deps.storage.read((db) => repo.getMedia(db, mediaId));
    if (!row || (row.uploaded_ts === null && (row.unused_expires_ts ?? 0) <= this.deps.clock.now())) {
      throw errors.notFound('Unknown media ID');
    }
    if (row.uploader !== uploader) throw errors.forbidden('This media ID was created by another user');
    if (row.uploaded_ts !== null || this.filling.has(mediaId)) throw mediaErrors.cannotOverwrite();
    this.filling.add(mediaId);
    try {
      const file = await this.receive(body, meta);
      await this.persist(file, mediaId, (db, content) => {
        if (!repo.completePending(db, mediaId, content)) throw mediaErrors.cannotOverwrite();
      }, meta);
    } finally {
      this.filling.delete(mediaId);
    }
    this.uploaded.emit(mediaId);
  }

  /**
   * The uploaded media, waiting up to `timeoutMs` (capped) for a reserved URI to be filled.
   * 404 for unknown or expired IDs, 504 M_NOT_YET_UPLOADED when the wait runs out.
   */
  async waitFor(mediaId: string, timeoutMs: number | null): Promise<MediaRow> {
    const lookup = () => this.deps.storage.read((db) => repo.getMedia(db, mediaId));
    const row = lookup();
    if (!row) throw errors.notFound('Media not found');
    if (row.uploaded_ts !== null) return row;
    if ((row.unused_expires_ts ?? 0) <= this.deps.clock.now()) throw errors.notFound('Media not found');
    const wait = Math.min(Math.max(timeoutMs ?? DEFAULT_WAIT_MS, 0), MAX_WAIT_MS);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.uploaded.off(mediaId, done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.uploaded.on(mediaId, done);
    });
    const after = lookup();
    if (!after) throw errors.notFound('Media not found');
    if (after.uploaded_ts === null) throw mediaErrors.notYetUploaded();
    return after;
  }

  listByUploader(uploader: string, options: { from: number; limit: number; newestFirst: boolean }) {
    return this.deps.storage.read((db) => repo.listUploadedBy(db, uploader, options));
  }

  /** Deletes media (row first, so it is never served again, then its files); false if unknown. */
  async delete(mediaId: string): Promise<boolean> {
    const deleted = await this.deps.storage.write((db) => repo.deleteMedia(db, mediaId));
    await this.deps.storage.durable(); // a crash must not bring back a row whose file is gone
    if (deleted) await this.store.remove(mediaId);
    return deleted;
  }

  /** Who stores how much, and what the media tree takes on disk. */
  async usage(): Promise<{ users: repo.UploaderUsage[]; total_count: number; total_bytes: number; disk_bytes: { content: number; thumbnails: number } }> {
    const users = this.deps.storage.read((db) => repo.usageByUploader(db));
    return {
      users,
      total_count: users.reduce((n, u) => n + u.media_count, 0),
      total_bytes: users.reduce((n, u) => n + u.media_length, 0),
      disk_bytes: await this.store.diskUsage(),
    };
  }

  /** Deletes every upload created before `beforeTs`; returns what went. */
  async purgeBefore(beforeTs: number): Promise<{ deleted: number; deleted_ids: string[]; bytes: number }> {
    const rows = this.deps.storage.read((db) => repo.listUploadedBefore(db, beforeTs).map((id) => repo.getMedia(db, id)!));
    const ids = rows.map((r) => r.media_id);
    await this.deps.storage.write((db) => {
      repo.deleteMany(db, ids);
      repo.deleteExpiredPending(db, this.deps.clock.now());
    });
    await this.deps.storage.durable();
    for (const id of ids) await this.store.remove(id);
    return { deleted: ids.length, deleted_ids: ids, bytes: rows.reduce((n, r) => n + (r.size ?? 0), 0) };
  }

  private async receive(body: Readable, meta: UploadMeta): Promise<ReceivedFile> {
    if (meta.declaredLength !== null && meta.declaredLength > this.maxUploadBytes) throw tooLarge(this.maxUploadBytes);
    try {
      const file = await this.store.receive(body, this.maxUploadBytes);
      if (meta.declaredLength !== null && file.size !== meta.declaredLength) {
        await this.store.discard(file.tmpPath);
        throw mediaErrors.interrupted();
      }
      return file;
    } catch (err) {
      if (err instanceof UploadTooLargeError) throw tooLarge(this.maxUploadBytes);
      if (err instanceof UploadInterruptedError) throw mediaErrors.interrupted();
      throw err;
    }
  }

  /** File into place (fsync'd), then the row (committed; the answer waits until it is durable); a failed row write takes the file back out. */
  private async persist(
    file: ReceivedFile,
    mediaId: string,
    record: (db: SqlWriter, content: repo.UploadedContent) => void,
    meta: UploadMeta,
  ): Promise<void> {
    const content: repo.UploadedContent = {
      contentType: meta.contentType,
      uploadName: meta.uploadName,
      size: file.size,
      sha256: file.sha256,
      uploadedTs: this.deps.clock.now(),
    };
    try {
      await this.store.commit(file.tmpPath, mediaId);
    } catch (err) {
      await this.store.discard(file.tmpPath);
      throw err;
    }
    try {
      await this.deps.storage.write((db) => record(db, content));
    } catch (err) {
      await this.store.remove(mediaId);
      throw err;
    }
  }
}

function tooLarge(max: number): MatrixError {
  return errors.tooLarge(`Uploads may be at most ${max} bytes (${Math.floor(max / (1024 * 1024))} MB)`);
}
