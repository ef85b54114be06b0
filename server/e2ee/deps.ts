// What the E2EE services need from the rest of the server, as narrow interfaces wired in index.ts,
// so the key logic depends on neither the accounts nor the rooms implementation.
import type { ChangeNotice } from '../sync/notifier.ts';

export interface DeviceDirectory {
  /** IDs of the user's current devices (for "*" to-device targets). */
  deviceIds(userId: string): string[];
  /** A device's display name, shown to other users as unsigned.device_display_name. */
  displayName(userId: string, deviceId: string): string | null;
}

export interface MembershipView {
  /** Every user who shares at least one joined room with `userId` (not including `userId`). */
  usersSharingRoomWith(userId: string): Set<string>;
  /** Users currently joined to a room. */
  joinedMembers(roomId: string): string[];
}

export interface ChangeSink {
  notify(change: ChangeNotice): void;
}
