// Writes the search index behind the events it indexes, many events per transaction.
//
// FTS4 turns the text added in each transaction (and before each savepoint) into a new index
// segment, and merges segments as they pile up: indexing each message inside its own send cost
// ≈ 3× the insert itself, on the send's path. Instead a stored mark says up to which stream
// position every event has been considered; newer text events are indexed by one write a short
// delay after they are stored, before any search runs (search waits for it: read-your-writes), at
// a clean stop, and at start-up (whatever a crash left behind, from the events themselves).
// A redaction still removes indexed text inside its own write; unindexed redacted events are skipped.
import type { Storage, SqlWriter } from '../storage/types.ts';
import type { Logger } from '../log.ts';
import type { PersistedEvent, RoomStateView } from '../rooms/types.ts';
import * as searchRepo from '../storage/repos/search.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import { indexColumns, searchableField, SEARCHABLE, unindexRedacted } from './service.ts';

/** How long newly stored text waits for more to join its index write (tests may lengthen it). */
const DEFAULT_DELAY_MS = delayFromEnv() ?? 200;
/** Pending texts that start the index write at once. */
const MAX_PENDING = 500;
/** After a failed index write (e.g. a full disk), the next try waits this long. */
const RETRY_MS = 5_000;

export class SearchIndexer {
  private readonly storage: Storage;
  private readonly log: Logger;
  private readonly delayMs: number;
  /** Text of events stored since the last index write, by event ID (saves re-reading their JSON). */
  private readonly pending = new Map<string, { pos: number; text: string }>();
  /** Events may have been stored past the mark. */
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** The last index write failed: retry after RETRY_MS, not at once. */
  private failing = false;
  private closed = false;

  constructor(options: { storage: Storage; log: Logger; delayMs?: number }) {
    this.storage = options.storage;
    this.log = options.log;
    this.delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
  }

  /**
   * Before the first event is stored: a data dir without a mark was indexed event by event by
   * earlier versions, so everything in it counts as indexed. Then catches up on anything newer.
   */
  async start(): Promise<void> {
    await this.storage.write((db) => {
      if (searchRepo.indexedTo(db) === undefined) searchRepo.setIndexedTo(db, eventsRepo.latestStreamPos(db));
    });
    this.dirty = this.storage.read((db) => (searchRepo.indexedTo(db) ?? 0) < eventsRepo.latestStreamPos(db));
    if (this.dirty) this.schedule(0);
  }

  /** The rooms service's persist hook (inside the event's write): no index write here, see above. */
  onEventPersisted(db: SqlWriter, event: PersistedEvent, _state: RoomStateView): void {
    if (event.type === 'm.room.redaction') {
      unindexRedacted(db, event);
      return;
    }
    const field = searchableField(event.type);
    if (!field) return;
    this.dirty = true;
    const text = event.content[field];
    // Beyond the cap, texts are read back from the stored events (while index writes fail, say).
    if (typeof text === 'string' && text && this.pending.size < MAX_PENDING) this.pending.set(event.eventId, { pos: event.streamPos, text });
    this.schedule(this.pending.size >= MAX_PENDING && !this.failing ? 0 : this.delayMs);
  }

  /** Resolves once every event stored before the call is in the index (or its write failed: logged). */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    if (this.dirty) await this.run();
  }

  /** Indexes what is left and stops; the storage is closed after this. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.running) return; // a running write re-schedules when it ends
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private run(): Promise<void> {
    if (this.running) return this.running;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dirty = false;
    this.running = this.storage
      .write((db) => this.indexNew(db))
      .then(
        (indexedTo) => {
          this.failing = false;
          for (const [id, p] of this.pending) if (p.pos <= indexedTo) this.pending.delete(id);
        },
        (err: unknown) => {
          this.failing = true;
          this.dirty = true;
          this.log.warn(`search index: could not index new events, will retry: ${(err as Error).message}`);
        },
      )
      .finally(() => {
        this.running = null;
        if (this.dirty) this.schedule(this.failing ? Math.max(RETRY_MS, this.delayMs) : this.delayMs);
      });
    return this.running;
  }

  /** Indexes the text events after the mark (not redacted, not in encrypted rooms) and moves it; returns it. */
  private indexNew(db: SqlWriter): number {
    const from = searchRepo.indexedTo(db) ?? 0;
    const to = eventsRepo.latestStreamPos(db);
    if (to <= from) return from;
    const encrypted = new Map<string, boolean>();
    for (const row of eventsRepo.searchableBetween(db, from, to, Object.keys(SEARCHABLE))) {
      let isEncrypted = encrypted.get(row.room_id);
      if (isEncrypted === undefined) {
        isEncrypted = roomsRepo.currentStateEventId(db, row.room_id, 'm.room.encryption', '') !== undefined;
        encrypted.set(row.room_id, isEncrypted);
      }
      if (isEncrypted) continue;
      const field = searchableField(row.type)!;
      const text = this.pending.get(row.event_id)?.text ?? storedText(db, row.event_id, field);
      const columns = text ? indexColumns(field, text) : null;
      if (columns) searchRepo.indexOrReplaceEvent(db, row.stream_pos, columns);
    }
    searchRepo.setIndexedTo(db, to);
    return to;
  }
}

function delayFromEnv(): number | undefined {
  const raw = process.env.MEOWTRIX_SEARCH_INDEX_DELAY_MS;
  const ms = raw ? Number(raw) : NaN;
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

function storedText(db: SqlWriter, eventId: string, field: searchRepo.SearchKey): string | undefined {
  const json = eventsRepo.getEventJson(db, eventId);
  const text = json === undefined ? undefined : (JSON.parse(json) as { content?: Record<string, unknown> }).content?.[field];
  return typeof text === 'string' ? text : undefined;
}
