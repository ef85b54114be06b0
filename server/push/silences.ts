// Keeps push_silences (migration 009) as events are stored: for each room and joined member, the
// stretches in which the member was not notified there, so that GET /notifications of someone
// who muted a busy room (or set it to mentions only) skips that room's rows instead of testing
// them all. Runs in the push hook, inside the event's transaction; writes only when a member's
// state switches, never per event.
import type { SqlWriter } from '../storage/types.ts';
import { closeSilence, openSilence, openSilencesIn } from '../storage/repos/push_silences.ts';

/**
 * Consecutive events of a room that notify someone but not a member before a silence opens for
 * them. A reaction, an edit or a state change that notifies nobody counts for nothing, so without
 * a threshold a member who is notified by every message would not need one; with it, one silence
 * row stands for at least this many push rows the listing no longer reads.
 */
export const SILENCE_AFTER = 32;

interface RoomSilences {
  /** Members with an open silence in the room: where it began. Read from the table on first use. */
  open: Map<string, { since: number; seen: number }>;
  /** Members left out by the room's last `count` notifying events, the first at `since`. In memory only. */
  pending: Map<string, { since: number; count: number; seen: number }>;
}

export class SilenceTracker {
  private readonly rooms = new Map<string, RoomSilences>();
  private lastPos = 0;

  /**
   * Called for every stored event, in stream order: whether it notified anyone, and the joined
   * members (not the sender) it did not notify. A silence only ever covers positions where the
   * member was not notified in the room: it opens at the first of SILENCE_AFTER notifying events
   * that left them out, and ends at the first notifying event that does not: one that notifies
   * them, or that they are no longer joined for (ending early is always right, and a room they
   * left is read only up to their leaving anyway). The sender, and events that notify nobody,
   * change nothing. Work per event: the members left out, and the room's open and counted ones.
   */
  observe(db: SqlWriter, roomId: string, pos: number, sender: string, notifiesSomeone: boolean, quiet: readonly string[]): void {
    // The room service takes positions in order and gives them back when a write is rolled back:
    // a position not past the last one means an event seen here was undone, and with it maybe a
    // silence opened or closed. Start again from the table (losing the counts is only slower).
    if (pos <= this.lastPos) this.rooms.clear();
    this.lastPos = pos;
    if (!notifiesSomeone) return;
    let room = this.rooms.get(roomId);
    if (!room) {
      const open = new Map([...openSilencesIn(db, roomId)].map(([userId, since]) => [userId, { since, seen: 0 }]));
      this.rooms.set(roomId, (room = { open, pending: new Map() }));
    }
    for (const userId of quiet) {
      const open = room.open.get(userId);
      if (open) {
        open.seen = pos;
        continue;
      }
      const counting = room.pending.get(userId);
      if (!counting) room.pending.set(userId, { since: pos, count: 1, seen: pos });
      else if (++counting.count < SILENCE_AFTER) counting.seen = pos;
      else {
        openSilence(db, roomId, userId, counting.since);
        room.open.set(userId, { since: counting.since, seen: pos });
        room.pending.delete(userId);
      }
    }
    // Not left out, not the sender: notified, or no longer joined.
    for (const [userId, open] of room.open) {
      if (open.seen === pos || userId === sender) continue;
      closeSilence(db, roomId, userId, open.since, pos);
      room.open.delete(userId);
    }
    for (const [userId, counting] of room.pending) if (counting.seen !== pos && userId !== sender) room.pending.delete(userId);
  }
}
