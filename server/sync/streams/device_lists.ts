// The device_lists stream: whose devices or keys changed, and who no longer shares a room.
// Membership changes are recorded in the same stream (with their room) by a room-event hook.
// Runs after the events provider, whose newly joined rooms and rooms.leave section it reads.
import type { StreamProvider, SyncRequest, SyncResponse } from '../types.ts';
import type { MembershipView } from '../../e2ee/deps.ts';
import type { DeviceListService } from '../../e2ee/device_lists.ts';
import type { Storage } from '../../storage/types.ts';
import { LatestPosition } from '../latest_position.ts';

export class DeviceListsStream implements StreamProvider {
  readonly stream = 'device_lists' as const;
  private readonly deviceLists: DeviceListService;
  private readonly members: MembershipView;
  private readonly latestPos: LatestPosition;

  constructor(storage: Storage, deviceLists: DeviceListService, members: MembershipView) {
    this.deviceLists = deviceLists;
    this.members = members;
    // The position is the table's AUTOINCREMENT sequence, which moves only with an insert into it.
    this.latestPos = new LatestPosition(storage, 'device_list_changes', () => deviceLists.latest());
  }

  latest(): number {
    return this.latestPos.get();
  }

  /** An initial sync carries no device-list changes: the client queries everyone it tracks. */
  completeSync(): void {}

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    const { changed, left } = this.deviceLists.changesBetween(req.userId, from, to);
    // Everyone in a room I just joined newly shares a room with me.
    for (const roomId of req.newlyJoinedRoomIds) {
      for (const userId of this.members.joinedMembers(roomId)) if (userId !== req.userId) changed.add(userId);
    }
    // Members of rooms I left who share no other room with me. (Read only then: every long-poll
    // wake-up runs this, and the sharing query is the costliest part of it.)
    const leftRooms = Object.keys(res.rooms.leave);
    const sharing = leftRooms.length ? this.members.usersSharingRoomWith(req.userId) : new Set<string>();
    for (const roomId of leftRooms) {
      for (const userId of this.members.joinedMembers(roomId)) {
        if (userId !== req.userId && !sharing.has(userId)) left.add(userId);
      }
    }
    for (const u of changed) if (!res.device_lists.changed.includes(u)) res.device_lists.changed.push(u);
    for (const u of left) if (!changed.has(u) && !res.device_lists.left.includes(u)) res.device_lists.left.push(u);
  }
}
