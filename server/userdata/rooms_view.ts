// What per-user data needs to know about rooms, answered by the rooms module's tables.
// Kept as a small interface so receipts, typing and presence depend on rooms in one place.
import type { Storage } from '../storage/types.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';

export interface RoomsView {
  /** Whether the user's current membership in the room is "join". */
  isJoined(roomId: string, userId: string): boolean;
  /** The event's position in the events stream if it is an event of that room, else null. */
  eventPosition(roomId: string, eventId: string): number | null;
  /** Rooms the user is joined to now. */
  joinedRoomIds(userId: string): string[];
  /** Everyone sharing a joined room with the user. */
  usersSharingRooms(userId: string): string[];
  /** Users joined to the room now. */
  joinedMembers(roomId: string): string[];
}

/** The view over the rooms module's tables (read through their repositories). */
export function roomsViewOf(storage: Storage): RoomsView {
  return {
    isJoined: (roomId, userId) => storage.read((db) => roomsRepo.getMembership(db, roomId, userId))?.membership === 'join',
    eventPosition: (roomId, eventId) => {
      const row = storage.read((db) => eventsRepo.getEvent(db, eventId));
      return row && row.room_id === roomId ? row.stream_pos : null;
    },
    joinedRoomIds: (userId) => storage.read((db) => roomsRepo.roomsOfUser(db, userId, 'join')).map((m) => m.room_id),
    usersSharingRooms: (userId) => storage.read((db) => roomsRepo.usersSharingRooms(db, userId)),
    joinedMembers: (roomId) => storage.read((db) => roomsRepo.membersOfRoom(db, roomId, 'join')),
  };
}
