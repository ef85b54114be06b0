// The parsed parts of stored events, shared by every client an event is sent to: a message
// woken into 50 long-polls is parsed once, not 50 times. An entry is used only while the row
// still carries the very JSON it was parsed from (a redaction rewrites `json`, a later unsigned
// update rewrites `unsigned_json`), so it can never serve stale content. Entries are frozen:
// the callers share them and copy before adding per-client fields.
import type { JsonObject } from '../http/body.ts';
import type { EventRow } from '../storage/repos/events.ts';

/** Enough for the newest events of every busy room and a few pages of history. */
const MAX_ENTRIES = 4_000;

export interface ParsedEvent {
  readonly json: string;
  readonly unsignedJson: string | null;
  readonly content: Readonly<JsonObject>;
  /** The PDU's top-level `redacts` (room versions before 11), if a string. */
  readonly redacts: string | undefined;
  /** The stored unsigned data; copy before adding to it. */
  readonly unsigned: Readonly<JsonObject> | undefined;
}

const entries = new Map<string, ParsedEvent>();

export function parsedEvent(row: EventRow): ParsedEvent {
  const cached = entries.get(row.event_id);
  if (cached && cached.json === row.json && cached.unsignedJson === row.unsigned_json) {
    // Most recently used last, so eviction drops the coldest entry.
    entries.delete(row.event_id);
    entries.set(row.event_id, cached);
    return cached;
  }
  const pdu = JSON.parse(row.json) as JsonObject;
  const parsed: ParsedEvent = Object.freeze({
    json: row.json,
    unsignedJson: row.unsigned_json,
    content: deepFreeze((pdu.content ?? {}) as JsonObject),
    redacts: typeof pdu.redacts === 'string' ? pdu.redacts : undefined,
    unsigned: row.unsigned_json ? deepFreeze(JSON.parse(row.unsigned_json) as JsonObject) : undefined,
  });
  entries.set(row.event_id, parsed);
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  return parsed;
}

/** Frozen all the way down, so a caller that mutated shared content would fail loudly in tests. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
