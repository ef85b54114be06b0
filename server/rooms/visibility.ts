// History visibility (client-server spec "Room History Visibility"): may this user read the event at
// this stream position? Rooms are one linear chain here, so "state at an event" is the newest state
// entry at or before its position. One checker per (room, user) loads the few relevant rows once.
import type { SqlReader } from '../storage/types.ts';
import { membershipHistory, stateHistory } from '../storage/repos/events.ts';
import { getMembership, type MembershipRow } from '../storage/repos/rooms.ts';

export class VisibilityChecker {
  private readonly db: SqlReader;
  private readonly roomId: string;
  private readonly userId: string;
  private current: Readonly<MembershipRow> | null | undefined;
  private membershipRows: { stream_pos: number; membership: string }[] | undefined;
  private visibilityRows: { stream_pos: number; value: string }[] | undefined;

  /** `current`: the user's membership row in the room, when the caller already read it (null: none). */
  constructor(db: SqlReader, roomId: string, userId: string, current?: Readonly<MembershipRow> | null) {
    this.db = db;
    this.roomId = roomId;
    this.userId = userId;
    this.current = current;
  }

  // Loaded on first need: live syncs of joined members only ever take the fast path in canSee().
  private get memberships(): { stream_pos: number; membership: string }[] {
    return (this.membershipRows ??= membershipHistory(this.db, this.roomId, this.userId));
  }

  private get visibilities(): { stream_pos: number; value: string }[] {
    return (this.visibilityRows ??= stateHistory(this.db, this.roomId, 'm.room.history_visibility', '').map((r) => {
      const content = (JSON.parse(r.json) as { content?: { history_visibility?: unknown } }).content;
      return { stream_pos: r.stream_pos, value: typeof content?.history_visibility === 'string' ? content.history_visibility : 'shared' };
    }));
  }

  /** The user's membership right after the event at `pos` ('leave' if never a member). */
  membershipAt(pos: number): string {
    return latestAt(this.memberships, pos)?.membership ?? 'leave';
  }

  /** The history visibility in effect at `pos` (spec default: shared). */
  visibilityAt(pos: number): string {
    return latestAt(this.visibilities, pos)?.value ?? 'shared';
  }

  /** The user's current membership. */
  get currentMembership(): string {
    return this.memberships.at(-1)?.membership ?? 'leave';
  }

  canSee(pos: number): boolean {
    // Joined since their latest membership event: everything from there on is theirs to see.
    if (this.current === undefined) this.current = getMembership(this.db, this.roomId, this.userId) ?? null;
    if (this.current?.membership === 'join' && pos >= this.current.stream_pos) return true;
    // Users always see changes to their own membership (their invite, kick, ban).
    if (latestAt(this.memberships, pos)?.stream_pos === pos) return true;
    const visibility = this.visibilityAt(pos);
    if (visibility === 'world_readable') return true;
    const membership = this.membershipAt(pos);
    if (membership === 'join') return true;
    if (visibility === 'shared') return this.memberships.some((m) => m.stream_pos > pos && m.membership === 'join');
    if (visibility === 'invited') return membership === 'invite';
    return false;
  }

  /** Whether the user may read the room at all now (member, former member, or world readable). */
  mayReadRoom(latestPos: number): boolean {
    return this.memberships.some((m) => m.membership === 'join') || this.visibilityAt(latestPos) === 'world_readable';
  }
}

function latestAt<T extends { stream_pos: number }>(rows: T[], pos: number): T | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  let found: T | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.stream_pos <= pos) {
      found = rows[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
