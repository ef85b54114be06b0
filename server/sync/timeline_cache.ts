// The newest events of a room as the last /sync read them. One message wakes every long-poll
// watching its room, and each asks for the same range (its token and the new position are the
// same as everyone's), so the rows are read once and shared. Dropped as soon as the events table
// changes (storage.tableVersion), so a new event, a redaction or an edit is never served stale.
import type { SqlReader, Storage } from '../storage/types.ts';
import { roomEvents, type EventRow } from '../storage/repos/events.ts';
import { TableCache } from '../storage/table_cache.ts';

const MAX_ROOMS = 1_000;
/** Larger reads (a long timeline limit) are not kept. */
const MAX_ROWS = 64;

export class TimelineCache {
  private readonly rooms: TableCache<{ range: string; rows: readonly Readonly<EventRow>[] }>;

  constructor(storage: Storage) {
    this.rooms = new TableCache(storage, 'events', MAX_ROOMS);
  }

  /** eventsRepo.roomEvents(db, roomId, after, upTo, 'b', limit), rows frozen and shared. */
  newest(db: SqlReader, roomId: string, after: number, upTo: number, limit: number): readonly Readonly<EventRow>[] {
    const range = `${after} ${upTo} ${limit}`;
    const hit = this.rooms.get(roomId);
    if (hit && hit.range === range) return hit.rows;
    const rows = roomEvents(db, roomId, after, upTo, 'b', limit).map((r) => Object.freeze(r));
    if (rows.length <= MAX_ROWS) this.rooms.set(roomId, { range, rows });
    return rows;
  }
}
