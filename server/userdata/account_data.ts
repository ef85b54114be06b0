// Account data: global (room '') and per room, stored durably; each change advances the
// account_data sync stream and wakes the user's long-polls.
import type { JsonObject } from '../http/body.ts';
import type { Storage } from '../storage/types.ts';
import type { ChangeNotice } from '../sync/notifier.ts';
import { getAccountData, latestAccountDataPos, putAccountData } from '../storage/repos/account_data.ts';
import type { SqlWriter } from '../storage/types.ts';

export class AccountDataService {
  private latestPos: number;
  private readonly storage: Storage;
  private readonly notify: (change: ChangeNotice) => void;
  /** Types the server computes when nothing is stored yet (m.push_rules), keyed by type. */
  private readonly fallbacks = new Map<string, (userId: string) => JsonObject>();

  constructor(storage: Storage, notify: (change: ChangeNotice) => void) {
    this.storage = storage;
    this.notify = notify;
    this.latestPos = storage.read(latestAccountDataPos);
  }

  latest(): number {
    return this.latestPos;
  }

  /** Serves `type` from `make(userId)` while the user has nothing stored for it. */
  setFallback(type: string, make: (userId: string) => JsonObject): void {
    this.fallbacks.set(type, make);
  }

  fallbackFor(type: string, userId: string): JsonObject | undefined {
    return this.fallbacks.get(type)?.(userId);
  }

  fallbackTypes(): string[] {
    return [...this.fallbacks.keys()];
  }

  get(userId: string, roomId: string, type: string): JsonObject | undefined {
    const json = this.storage.read((db) => getAccountData(db, userId, roomId, type));
    if (json !== undefined) return JSON.parse(json) as JsonObject;
    return roomId === '' ? this.fallbackFor(type, userId) : undefined;
  }

  put(userId: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    const json = JSON.stringify(content);
    return this.commit(userId, (db) => putAccountData(db, userId, roomId, type, json));
  }

  /**
   * Read-modify-write of one entry inside a single transaction (tags, push rules). `change`
   * gets the current content (or the fallback, or undefined) and returns the new content.
   */
  async update<T>(userId: string, roomId: string, type: string, change: (current: JsonObject | undefined) => { content: JsonObject; result: T }): Promise<T> {
    let result!: T;
    await this.commit(userId, (db) => {
      const json = getAccountData(db, userId, roomId, type);
      const current = json !== undefined ? (JSON.parse(json) as JsonObject) : roomId === '' ? this.fallbackFor(type, userId) : undefined;
      const next = change(current);
      result = next.result;
      return putAccountData(db, userId, roomId, type, JSON.stringify(next.content));
    });
    return result;
  }

  private async commit(userId: string, write: (db: SqlWriter) => number): Promise<void> {
    const pos = await this.storage.write(write);
    if (pos > this.latestPos) this.latestPos = pos;
    this.notify({ userIds: [userId] });
  }
}
