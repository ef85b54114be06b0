// Unread notification counts per (user, room), kept up to date incrementally: a /sync reads the
// user's read positions (one primary-key lookup) and only the push actions stored since it last
// counted, instead of counting every unread row again (O(new) instead of O(unread) per woken
// long-poll). Exact because:
//  - push actions are only ever inserted for new events, whose stream ordering is above every
//    event already committed, so rows after `upTo` are all that can be new;
//  - the only deletion (pruning read notifications) removes rows at or before the unthreaded read
//    position, which never count, and happens in the same write that moves that position;
//  - any change of the read positions (which decide what counts) makes the entry start over.
// Reads outside a write see committed rows only (storage.read during a request), which is where
// /sync and push delivery call this.
import type { SqlReader } from '../storage/types.ts';
import { pushActionsAfter, readPositionsIn, type UnreadCount } from '../storage/repos/push_rules.ts';

const MAX_ENTRIES = 20_000;

interface Entry {
  /** The read positions the counts were made with, as "thread=pos" pairs. */
  positions: string;
  /** Every push action of the user in the room up to here is counted. */
  upTo: number;
  counts: Map<string, { notifications: number; highlights: number }>;
}

export class UnreadCountCache {
  private readonly entries = new Map<string, Entry>();

  /** Unread counts per thread (threads with none left out), as push_rules.unreadCounts gives them. */
  get(db: SqlReader, userId: string, roomId: string): UnreadCount[] {
    const rows = readPositionsIn(db, userId, roomId);
    const positions = rows.map((r) => `${r.thread_id}=${r.stream_ordering}`).join('\n');
    const unthreaded = rows.find((r) => r.thread_id === '')?.stream_ordering ?? 0;
    const key = `${userId}\n${roomId}`;
    let entry = this.entries.get(key);
    if (!entry || entry.positions !== positions) {
      if (!entry && this.entries.size >= MAX_ENTRIES) this.entries.clear();
      entry = { positions, upTo: unthreaded, counts: new Map() };
      this.entries.set(key, entry);
    }
    const threadRead = new Map(rows.map((r) => [r.thread_id, r.stream_ordering]));
    for (const a of pushActionsAfter(db, userId, roomId, entry.upTo)) {
      if (a.stream_ordering > entry.upTo) entry.upTo = a.stream_ordering;
      // Counts when after the unthreaded read position and after its own thread's.
      if (a.stream_ordering <= Math.max(unthreaded, threadRead.get(a.thread_id) ?? 0)) continue;
      let c = entry.counts.get(a.thread_id);
      if (!c) entry.counts.set(a.thread_id, (c = { notifications: 0, highlights: 0 }));
      c.notifications++;
      c.highlights += a.highlight ? 1 : 0;
    }
    const out: UnreadCount[] = [];
    for (const [thread_id, c] of entry.counts) if (c.notifications > 0) out.push({ thread_id, ...c });
    return out;
  }
}
