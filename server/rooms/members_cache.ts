// Joined members per room, kept in memory: every persisted event's hooks (push rules, device
// lists, search) ask for them, and they change far less often than messages are sent. Any
// change to the memberships table drops the cache (storage.tableVersion changes as soon as a
// write changes it, and again when its batch ends), so this is also safe inside a write.
import type { SqlReader, Storage } from '../storage/types.ts';
import { membersOfRoom } from '../storage/repos/rooms.ts';

const MAX_ROOMS = 2_000;

export class JoinedMembersCache {
  private readonly storage: Storage;
  private readonly rooms = new Map<string, readonly string[]>();
  private version = -1;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  /** The joined members of a room, sorted (a shared, frozen array). */
  get(db: SqlReader, roomId: string): readonly string[] {
    const version = this.storage.tableVersion('memberships');
    if (version !== this.version) {
      this.rooms.clear();
      this.version = version;
    }
    let members = this.rooms.get(roomId);
    if (!members) {
      members = Object.freeze(membersOfRoom(db, roomId, 'join'));
      if (this.rooms.size >= MAX_ROOMS) this.rooms.clear();
      this.rooms.set(roomId, members);
    }
    return members;
  }
}
