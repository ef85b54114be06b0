// Device-list changes between two positions, as seen by one user: shared by /sync's device_lists
// stream and GET /keys/changes.
import type { Storage } from '../storage/types.ts';
import type { MembershipView } from './deps.ts';
import type { SqlWriter } from '../storage/types.ts';
import { deviceListChangesBetween, latestDeviceListPosition, recordMembershipChange } from '../storage/repos/device_keys.ts';

export class DeviceListService {
  private readonly storage: Storage;
  private readonly members: MembershipView;

  constructor(storage: Storage, members: MembershipView) {
    this.storage = storage;
    this.members = members;
  }

  latest(): number {
    return this.storage.read((db) => latestDeviceListPosition(db));
  }

  /**
   * Users whose devices or keys changed in (from, to] and who share a room with `userId` (or are
   * `userId`, after their own key changes); and users who left a room of theirs and share none now.
   */
  changesBetween(userId: string, from: number, to: number): { changed: Set<string>; left: Set<string> } {
    const changed = new Set<string>();
    const left = new Set<string>();
    const changes = from < to ? this.storage.read((db) => deviceListChangesBetween(db, from, to)) : [];
    // Most syncs see no change: skip the sharing query (the costliest read of a long-poll wake-up) then.
    const sharing = changes.some((c) => c.user_id !== userId) ? this.members.usersSharingRoomWith(userId) : new Set<string>();
    for (const change of changes) {
      const other = change.user_id;
      if (other === userId) {
        if (change.room_id === null) changed.add(other);
      } else if (sharing.has(other)) {
        changed.add(other);
        left.delete(other);
      } else if (change.room_id !== null && this.members.joinedMembers(change.room_id).includes(userId)) {
        left.add(other);
      }
    }
    return { changed, left };
  }

  /**
   * A room-event hook (inside the event's write transaction): a join, leave or ban makes the member
   * newly share, or stop sharing, a room with its other members.
   */
  onRoomEvent(db: SqlWriter, event: { type: string; roomId: string; stateKey?: string; content: { membership?: unknown } }): void {
    if (event.type !== 'm.room.member' || event.stateKey === undefined) return;
    const membership = event.content.membership;
    if (membership === 'join' || membership === 'leave' || membership === 'ban') recordMembershipChange(db, event.stateKey, event.roomId);
  }
}
