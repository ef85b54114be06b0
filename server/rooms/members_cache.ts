// Joined members per room, kept in memory: every persisted event's hooks (push rules, device
// lists, search) ask for them, and they change far less often than messages are sent. Any
// change to the memberships table drops the cache (storage.tableVersion changes as soon as a
// write changes it, and again when its batch ends), so this is also safe inside a write.
import type { SqlReader, Storage } from '../storage/types.ts';
import { membersOfRoom } from '../storage/repos/rooms.ts';
import { TableCache } from '../storage/table_cache.ts';

const MAX_ROOMS = 2_000;

export class JoinedMembersCache {
  private readonly rooms: TableCache<readonly string[]>;

  constructor(storage: Storage) {
    this.rooms = new TableCache(storage, 'memberships', MAX_ROOMS);
  }

  /** The joined members of a room, sorted (a shared, frozen array). */
  get(db: SqlReader, roomId: string): readonly string[] {
    return this.rooms.getOrLoad(roomId, () => Object.freeze(membersOfRoom(db, roomId, 'join')));
  }
}
