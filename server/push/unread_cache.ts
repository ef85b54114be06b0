// Unread notification counts per (user, room), kept up to date incrementally: a /sync reads the
// user's read positions and only the push actions stored since it last counted (one statement),
// instead of counting every unread row again (O(new) instead of O(unread) per woken long-poll).
// Exact because:
//  - push actions are only ever inserted for new events, whose stream ordering is above every
//    event already committed, so rows after `upTo` are all that can be new;
//  - the only deletion (pruning read notifications) removes a row once every member it notified
//    has pruned it, which is at or before each of their unthreaded read positions: rows that never
//    count again for anyone;
//  - any change of the read positions (which decide what counts) makes the entry start over.
// Reads outside a write see committed rows only (storage.read during a request), which is where
// /sync calls this.
import type { SqlReader } from '../storage/types.ts';
import { pushActionsAfter, readPositionsAndActionsAfter, readPositionsIn, type UnreadCount } from '../storage/repos/push_rules.ts';

const MAX_ENTRIES = 20_000;

interface Entry {
  /** The read positions the counts were made with, as "thread=pos" pairs. */
  positions: string;
  /** Every push action of the user in the room up to here is counted. */
  upTo: number;
  counts: Map<string, { notifications: number; highlights: number }>;
}

type Position = { thread_id: string; stream_ordering: number };
type Action = { thread_id: string; stream_ordering: number; highlight: number };

const positionsKey = (rows: Position[]): string =>
  rows
    .map((r) => `${r.thread_id}=${r.stream_ordering}`)
    .sort()
    .join('\n');

export class UnreadCountCache {
  private readonly entries = new Map<string, Entry>();

  /** Unread counts per thread (threads with none left out), as push_rules.unreadCounts gives them. */
  get(db: SqlReader, userId: string, roomId: string): UnreadCount[] {
    const key = `${userId}\n${roomId}`;
    let entry = this.entries.get(key);
    let positions: Position[];
    let actions: Action[];
    if (entry) {
      // The usual case (the positions did not move): one statement for both.
      const rows = readPositionsAndActionsAfter(db, userId, roomId, entry.upTo);
      positions = rows.filter((r) => r.kind === 'read');
      actions = rows.filter((r) => r.kind === 'action');
    } else {
      positions = readPositionsIn(db, userId, roomId);
      actions = [];
    }
    const unthreaded = positions.find((r) => r.thread_id === '')?.stream_ordering ?? 0;
    const current = positionsKey(positions);
    if (!entry || entry.positions !== current) {
      // Start over from the unthreaded read position (rows at or before it never count).
      if (!entry && this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const reuse = entry !== undefined && unthreaded >= entry.upTo;
      entry = { positions: current, upTo: unthreaded, counts: new Map() };
      this.entries.set(key, entry);
      actions = reuse ? actions.filter((a) => a.stream_ordering > unthreaded) : pushActionsAfter(db, userId, roomId, unthreaded);
    }
    const threadRead = new Map(positions.map((r) => [r.thread_id, r.stream_ordering]));
    for (const a of actions) {
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
