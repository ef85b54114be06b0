// Stored events as clients see them (the "ClientEvent" format), with unsigned data:
// age, prev_content, redacted_because, the sender's own transaction_id, and bundled
// aggregations (m.replace, m.thread) under unsigned["m.relations"].
import type { JsonObject } from '../http/body.ts';
import type { SqlReader } from '../storage/types.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import type { EventRow } from '../storage/repos/events.ts';
import { parsedEvent } from './parsed_events.ts';

export interface Viewer {
  userId: string;
  deviceId?: string;
}

export interface FormatOptions {
  now: number;
  viewer?: Viewer;
  /** Add unsigned["m.relations"] (timelines, /messages, /event, /context). */
  bundle?: boolean;
  /** Relation children prefetched for a whole page (formatEvents). */
  children?: ReadonlyMap<string, EventRow[]>;
}

/** Formats a page of events, fetching the relations of all of them in one query. */
export function formatEvents(db: SqlReader, rows: readonly EventRow[], opts: FormatOptions): JsonObject[] {
  if (!opts.bundle || rows.length < 2) return rows.map((r) => toClientEvent(db, r, opts));
  const children = new Map<string, EventRow[]>(rows.map((r) => [r.event_id, []]));
  for (const child of eventsRepo.relationChildrenOfMany(db, rows.map((r) => r.event_id))) children.get(child.relates_to!)?.push(child);
  return rows.map((r) => toClientEvent(db, r, { ...opts, children }));
}

export function toClientEvent(db: SqlReader, row: EventRow, opts: FormatOptions): JsonObject {
  const parsed = parsedEvent(row);
  const content = parsed.content as JsonObject;
  const event: JsonObject = {
    content,
    event_id: row.event_id,
    origin_server_ts: row.origin_server_ts,
    room_id: row.room_id,
    sender: row.sender,
    type: row.type,
  };
  if (row.state_key !== null) event.state_key = row.state_key;
  // Both places for `redacts`, whatever the room version (spec, room v11 "Moving the redacts property").
  if (row.type === 'm.room.redaction') {
    const redacts = parsed.redacts ?? (typeof content.redacts === 'string' ? content.redacts : undefined);
    if (redacts) {
      event.redacts = redacts;
      if (!row.redacted_by) event.content = { ...content, redacts };
    }
  }
  const unsigned: JsonObject = parsed.unsigned ? { ...parsed.unsigned } : {};
  unsigned.age = Math.max(0, opts.now - row.origin_server_ts);
  if (row.redacted_by) {
    const redaction = eventsRepo.getEvent(db, row.redacted_by);
    if (redaction) unsigned.redacted_because = toClientEvent(db, redaction, { now: opts.now });
  }
  if (opts.viewer && row.txn_id !== null && row.sender === opts.viewer.userId && row.txn_device === opts.viewer.deviceId) {
    unsigned.transaction_id = row.txn_id;
  }
  if (opts.bundle && !row.redacted_by) {
    const relations = bundledRelations(db, row, opts);
    if (relations) unsigned['m.relations'] = relations;
  }
  event.unsigned = unsigned;
  return event;
}

function bundledRelations(db: SqlReader, row: EventRow, opts: FormatOptions): JsonObject | undefined {
  const children = opts.children?.get(row.event_id) ?? eventsRepo.relationChildren(db, row.event_id);
  if (!children.length) return undefined;
  const out: JsonObject = {};
  // The newest valid edit: same sender and type, not itself a state event (spec "Event replacements").
  const edits = children.filter((c) => c.rel_type === 'm.replace' && c.sender === row.sender && c.type === row.type && c.state_key === null);
  const latestEdit = edits.at(-1);
  if (latestEdit && row.state_key === null) out['m.replace'] = toClientEvent(db, latestEdit, { now: opts.now, viewer: opts.viewer });
  const thread = children.filter((c) => c.rel_type === 'm.thread');
  if (thread.length) {
    out['m.thread'] = {
      latest_event: toClientEvent(db, thread.at(-1)!, { now: opts.now, viewer: opts.viewer, bundle: true }),
      count: thread.length,
      current_user_participated: !!opts.viewer && (row.sender === opts.viewer.userId || thread.some((t) => t.sender === opts.viewer!.userId)),
    };
  }
  return Object.keys(out).length ? out : undefined;
}

/** Stripped state events (invite_state, knock_state): only type, state_key, sender and content. */
export function toStrippedEvent(row: EventRow): JsonObject {
  const pdu = JSON.parse(row.json) as JsonObject;
  return { type: row.type, state_key: row.state_key ?? '', sender: row.sender, content: (pdu.content ?? {}) as JsonObject };
}
