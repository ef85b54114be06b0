// Server-side key backup (/room_keys): opaque encrypted megolm sessions, one set per backup version.
import type { SqlWriter, Storage } from '../storage/types.ts';
import type { JsonObject } from '../http/body.ts';
import { MatrixError, errors } from '../http/errors.ts';
import { isObject, reqObject, reqString } from '../http/validate.ts';
import * as repo from '../storage/repos/key_backup.ts';
import type { BackupKeyRow, BackupVersionRow } from '../storage/repos/key_backup.ts';

const noBackup = () => errors.notFound('No current backup version');
const unknownVersion = () => errors.notFound('Unknown backup version');

export class KeyBackupService {
  private readonly storage: Storage;
  constructor(storage: Storage) {
    this.storage = storage;
  }

  async createVersion(userId: string, body: JsonObject): Promise<{ version: string }> {
    const algorithm = reqString(body, 'algorithm');
    const authData = reqObject(body, 'auth_data');
    const version = await this.storage.write((db) => repo.createBackupVersion(db, userId, algorithm, JSON.stringify(authData)));
    return { version: String(version) };
  }

  getVersion(userId: string, version?: string): JsonObject {
    return this.storage.read((db) => {
      const row = version === undefined ? repo.latestBackupVersion(db, userId) : repo.getBackupVersion(db, userId, parseVersion(version));
      if (!row) throw version === undefined ? noBackup() : unknownVersion();
      return describe(row, repo.countBackupKeys(db, userId, row.version));
    });
  }

  async updateVersion(userId: string, version: string, body: JsonObject): Promise<JsonObject> {
    const v = parseVersion(version);
    const algorithm = reqString(body, 'algorithm');
    const authData = reqObject(body, 'auth_data');
    if (body.version !== undefined && body.version !== version) throw errors.invalidParam('"version" does not match the path');
    await this.storage.write((db) => {
      const row = repo.getBackupVersion(db, userId, v);
      if (!row) throw unknownVersion();
      if (row.algorithm !== algorithm) throw errors.invalidParam('the algorithm of a backup version cannot change');
      repo.updateBackupAuthData(db, userId, v, JSON.stringify(authData));
    });
    return {};
  }

  async deleteVersion(userId: string, version: string): Promise<JsonObject> {
    const deleted = await this.storage.write((db) => repo.deleteBackupVersion(db, userId, parseVersion(version)));
    if (!deleted) throw unknownVersion();
    return {};
  }

  /** PUT of keys at any depth; `sessions` is {roomId: {sessionId: KeyBackupData}}. */
  async putKeys(userId: string, version: string | undefined, sessions: Record<string, Record<string, unknown>>): Promise<JsonObject> {
    const v = requireVersionParam(version);
    const parsed: BackupKeyRow[] = [];
    for (const [roomId, bySession] of Object.entries(sessions)) {
      for (const [sessionId, data] of Object.entries(bySession)) parsed.push(parseKeyData(roomId, sessionId, data));
    }
    return this.storage.write((db) => {
      this.requireCurrent(db, userId, v);
      let changed = false;
      for (const key of parsed) {
        const existing = repo.getBackupKey(db, userId, v, key.room_id, key.session_id);
        if (!existing || isBetter(key, existing)) {
          repo.putBackupKey(db, userId, v, key);
          changed = true;
        }
      }
      if (changed) repo.bumpBackupEtag(db, userId, v);
      return this.summary(db, userId, v);
    });
  }

  getKeys(userId: string, version: string | undefined, roomId?: string, sessionId?: string): JsonObject {
    const v = requireVersionParam(version);
    return this.storage.read((db) => {
      if (!repo.getBackupVersion(db, userId, v)) throw unknownVersion();
      const rows = repo.listBackupKeys(db, userId, v, roomId, sessionId);
      if (sessionId !== undefined) {
        if (!rows[0]) throw errors.notFound('No backup of that session');
        return keyData(rows[0]);
      }
      const rooms: Record<string, { sessions: JsonObject }> = {};
      for (const r of rows) (rooms[r.room_id] ??= { sessions: {} }).sessions[r.session_id] = keyData(r);
      if (roomId !== undefined) return rooms[roomId] ?? { sessions: {} };
      return { rooms };
    });
  }

  async deleteKeys(userId: string, version: string | undefined, roomId?: string, sessionId?: string): Promise<JsonObject> {
    const v = requireVersionParam(version);
    return this.storage.write((db) => {
      if (!repo.getBackupVersion(db, userId, v)) throw unknownVersion();
      if (repo.deleteBackupKeys(db, userId, v, roomId, sessionId) > 0) repo.bumpBackupEtag(db, userId, v);
      return this.summary(db, userId, v);
    });
  }

  /** Writes go only to the current version; anything else is M_WRONG_ROOM_KEYS_VERSION. */
  private requireCurrent(db: SqlWriter, userId: string, version: number): void {
    if (!repo.getBackupVersion(db, userId, version)) throw unknownVersion();
    const current = repo.latestBackupVersion(db, userId)!;
    if (current.version !== version) {
      throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version', { current_version: String(current.version) });
    }
  }

  private summary(db: SqlWriter, userId: string, version: number): JsonObject {
    const row = repo.getBackupVersion(db, userId, version)!;
    return { count: repo.countBackupKeys(db, userId, version), etag: String(row.etag) };
  }
}

function describe(row: BackupVersionRow, count: number): JsonObject {
  return {
    algorithm: row.algorithm,
    auth_data: JSON.parse(row.auth_data) as JsonObject,
    count,
    etag: String(row.etag),
    version: String(row.version),
  };
}

function parseVersion(version: string): number {
  const n = Number(version);
  if (!/^[0-9]{1,15}$/.test(version) || !Number.isSafeInteger(n)) throw errors.notFound('Unknown backup version');
  return n;
}

function requireVersionParam(version: string | undefined): number {
  if (version === undefined) throw errors.missingParam('the "version" query parameter is required');
  return parseVersion(version);
}

function parseKeyData(roomId: string, sessionId: string, data: unknown): BackupKeyRow {
  if (!isObject(data)) throw errors.badJson(`key backup data for ${sessionId} must be an object`);
  const { first_message_index: index, forwarded_count: forwarded, is_verified: verified, session_data: sessionData } = data;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) throw errors.badJson('first_message_index must be a non-negative integer');
  if (typeof forwarded !== 'number' || !Number.isSafeInteger(forwarded) || forwarded < 0) throw errors.badJson('forwarded_count must be a non-negative integer');
  if (typeof verified !== 'boolean') throw errors.badJson('is_verified must be a boolean');
  if (!isObject(sessionData)) throw errors.badJson('session_data must be an object');
  return {
    room_id: roomId,
    session_id: sessionId,
    first_message_index: index,
    forwarded_count: forwarded,
    is_verified: verified ? 1 : 0,
    session_data: JSON.stringify(sessionData),
  };
}

/** The spec's replacement rule: verified beats unverified, then a lower first index, then fewer forwards. */
function isBetter(candidate: BackupKeyRow, existing: BackupKeyRow): boolean {
  if (candidate.is_verified !== existing.is_verified) return candidate.is_verified > existing.is_verified;
  if (candidate.first_message_index !== existing.first_message_index) return candidate.first_message_index < existing.first_message_index;
  return candidate.forwarded_count < existing.forwarded_count;
}

function keyData(r: BackupKeyRow): JsonObject {
  return {
    first_message_index: r.first_message_index,
    forwarded_count: r.forwarded_count,
    is_verified: r.is_verified === 1,
    session_data: JSON.parse(r.session_data) as JsonObject,
  };
}
