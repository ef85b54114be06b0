// The presence stream → res.presence: the syncing user and everyone sharing a room with them.
import type { StreamProvider, SyncRequest, SyncResponse } from '../types.ts';
import { compileFilter } from '../filter.ts';
import type { UserData } from '../../userdata/index.ts';
import { presenceChanges } from '../../storage/repos/presence.ts';
import type { JsonObject } from '../../http/body.ts';
import { PresenceAudienceCache } from '../user_caches.ts';

export class PresenceStream implements StreamProvider {
  readonly stream = 'presence' as const;
  private readonly userData: UserData;
  /** Every presence change wakes everyone who shares a room with that user; each asks this again. */
  private readonly audience: PresenceAudienceCache;

  constructor(userData: UserData) {
    this.userData = userData;
    this.audience = new PresenceAudienceCache(userData.storage);
  }

  latest(): number {
    return this.userData.presence.latest();
  }

  completeSync(req: SyncRequest, res: SyncResponse): void {
    this.emit(req, res, [...this.visibleUsers(req.userId)]);
  }

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    const changed = new Set(from < to ? this.userData.storage.read((db) => presenceChanges(db, from, to)).map((r) => r.user_id) : []);
    // Members of rooms joined since the token are new to this client: send their presence too.
    for (const roomId of req.newlyJoinedRoomIds) for (const u of this.userData.rooms.joinedMembers(roomId)) changed.add(u);
    if (!changed.size) return;
    const visible = this.visibleUsers(req.userId);
    this.emit(req, res, [...changed].filter((u) => visible.has(u)));
  }

  private visibleUsers(userId: string): ReadonlySet<string> {
    return this.userData.storage.read((db) => this.audience.of(db, userId));
  }

  private emit(req: SyncRequest, res: SyncResponse, userIds: string[]): void {
    const filter = compileFilter(req.filter).presence;
    const events: JsonObject[] = [];
    for (const userId of userIds) {
      const content = this.userData.presence.content(userId);
      if (!content) continue;
      const event = { type: 'm.presence', sender: userId, content };
      if (filter.matches(event)) events.push(event);
    }
    res.presence.events.push(...(filter.limit !== undefined ? events.slice(0, filter.limit) : events));
  }
}
