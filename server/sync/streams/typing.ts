// The typing stream → rooms.join[r].ephemeral m.typing events. In memory only: a position above
// the latest comes from before a restart and is answered with the current state.
import type { StreamProvider, SyncRequest, SyncResponse } from '../types.ts';
import { emptyJoinedRoom } from '../types.ts';
import { compileFilter } from '../filter.ts';
import type { UserData } from '../../userdata/index.ts';

export class TypingStream implements StreamProvider {
  readonly stream = 'typing' as const;
  private readonly userData: UserData;

  constructor(userData: UserData) {
    this.userData = userData;
  }

  latest(): number {
    return this.userData.typing.latest();
  }

  /** Also used for a token from before a restart (its position is above the latest): then
   * "nobody is typing" is sent too, clearing what the client saw before the restart. */
  completeSync(req: SyncRequest, res: SyncResponse): void {
    for (const roomId of req.joinedRoomIds) this.emit(req, res, roomId, req.since !== null);
  }

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    if (from > this.latest()) return this.completeSync(req, res);
    const changed = from < to ? this.userData.typing.changedRooms(from, to) : [];
    if (changed.length) {
      const joined = new Set(req.joinedRoomIds);
      const newly = new Set(req.newlyJoinedRoomIds);
      for (const roomId of changed) if (joined.has(roomId) && !newly.has(roomId)) this.emit(req, res, roomId, true);
    }
    for (const roomId of req.newlyJoinedRoomIds) this.emit(req, res, roomId, false);
  }

  /** `evenIfEmpty`: an empty list clears what the client last saw. */
  private emit(req: SyncRequest, res: SyncResponse, roomId: string, evenIfEmpty: boolean): void {
    const userIds = this.userData.typing.typingIn(roomId);
    if (!userIds.length && !evenIfEmpty) return;
    const filter = compileFilter(req.filter);
    if (!filter.includesRoom(roomId) || !filter.ephemeral.matches({ type: 'm.typing', room_id: roomId })) return;
    (res.rooms.join[roomId] ??= emptyJoinedRoom()).ephemeral.events.push({ type: 'm.typing', content: { user_ids: userIds } });
  }
}
