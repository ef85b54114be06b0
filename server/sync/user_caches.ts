// Per-user facts every /sync asks for and that change far less often than messages arrive: the
// user's memberships and their ignore list. Each is kept while its table is unchanged
// (storage.tableVersion changes as soon as a write changes the table and again when its batch
// ends, so a value read mid-write is dropped then); a woken long-poll then reads neither again.
import type { SqlReader, Storage } from '../storage/types.ts';
import { TableCache } from '../storage/table_cache.ts';
import { allMembershipsOfUser, usersSharingRooms, type MembershipRow } from '../storage/repos/rooms.ts';
import { ignoredUsers } from '../userdata/ignored_users.ts';

const MAX_USERS = 5_000;

/** A map of per-user values dropped whenever `table` changes. */
class PerUserCache<T> {
  private readonly values: TableCache<T>;
  private readonly load: (db: SqlReader, userId: string) => T;

  constructor(storage: Storage, table: string, load: (db: SqlReader, userId: string) => T) {
    this.values = new TableCache<T>(storage, table, MAX_USERS);
    this.load = load;
  }

  of(db: SqlReader, userId: string): T {
    return this.values.getOrLoad(userId, () => this.load(db, userId));
  }
}

/** A user's rooms as every incremental /sync needs them; shared, rows frozen. */
export interface UserRooms {
  /** Every membership row (joined, invited, left, ...) by room ID. */
  readonly byRoom: ReadonlyMap<string, Readonly<MembershipRow>>;
  /** The rooms joined now. */
  readonly joined: readonly string[];
  /** The position of the user's newest member event in any room (0 if none). */
  readonly newestPos: number;
}

export class UserMembershipsCache extends PerUserCache<UserRooms> {
  constructor(storage: Storage) {
    super(storage, 'memberships', (db, userId) => {
      const rows = allMembershipsOfUser(db, userId);
      return Object.freeze({
        byRoom: new Map(rows.map((m) => [m.room_id, Object.freeze(m)])),
        joined: Object.freeze(rows.filter((m) => m.membership === 'join').map((m) => m.room_id)),
        newestPos: rows.reduce((max, m) => Math.max(max, m.stream_pos), 0),
      });
    });
  }
}

/** m.ignored_user_list per user. */
export class IgnoredUsersCache extends PerUserCache<ReadonlySet<string>> {
  constructor(storage: Storage) {
    super(storage, 'account_data', ignoredUsers);
  }
}

/** The users sharing a joined room with a user, the user included (whose presence they see). */
export class PresenceAudienceCache extends PerUserCache<ReadonlySet<string>> {
  constructor(storage: Storage) {
    super(storage, 'memberships', (db, userId) => new Set([userId, ...usersSharingRooms(db, userId)]));
  }
}
