// Server-side search (POST /search, room_events): the index is written behind the events by
// SearchIndexer (indexer.ts), which every search waits for; a redaction removes the text at once.
// Searches the rooms the user is joined to, respecting history visibility and ignored users.
// Encrypted rooms need no special case: their messages are m.room.encrypted and carry no text.
import type { JsonObject } from '../http/body.ts';
import type { SqlReader, SqlWriter } from '../storage/types.ts';
import type { PersistedEvent, RoomStateView } from '../rooms/types.ts';
import { errors } from '../http/errors.ts';
import { EventMatcher } from '../sync/filter.ts';
import { toClientEvent } from '../rooms/client_event.ts';
import { paginationToken } from '../rooms/reader.ts';
import { VisibilityChecker } from '../rooms/visibility.ts';
import { paginate } from '../api/messages.ts';
import { hiddenByIgnore, ignoredUsers } from '../userdata/ignored_users.ts';
import * as searchRepo from '../storage/repos/search.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import { fold, indexTokens, matchExpression, searchRuns } from './tokens.ts';
import { isObject } from '../http/validate.ts';

const KEYS: Record<string, { type: string; field: searchRepo.SearchKey }> = {
  'content.body': { type: 'm.room.message', field: 'body' },
  'content.name': { type: 'm.room.name', field: 'name' },
  'content.topic': { type: 'm.room.topic', field: 'topic' },
};
/** Matches ranked per request at most: a household's history, not a search engine's. */
const RANK_CAP = 2_000;
const MAX_CONTEXT = 20;

/** The event types whose text is indexed, and the field holding it. */
export const SEARCHABLE: Readonly<Record<string, searchRepo.SearchKey>> = { 'm.room.message': 'body', 'm.room.name': 'name', 'm.room.topic': 'topic' };

/** The field holding an event type's searchable text, if it has one (own keys only: a type may be any string). */
export function searchableField(type: string): searchRepo.SearchKey | undefined {
  return Object.hasOwn(SEARCHABLE, type) ? SEARCHABLE[type] : undefined;
}

/** The index row for `text` found in `field`; null when the text has no words to index. */
export function indexColumns(field: searchRepo.SearchKey, text: string): Record<searchRepo.SearchKey, string> | null {
  const columns = { body: '', name: '', topic: '' };
  columns[field] = indexTokens(text);
  return columns[field] ? columns : null;
}

/** A redaction takes its target's text out of the index inside the redaction's own write. */
export function unindexRedacted(db: SqlWriter, redaction: PersistedEvent): void {
  const target = typeof redaction.pdu.redacts === 'string' ? redaction.pdu.redacts : redaction.content.redacts;
  const row = typeof target === 'string' ? eventsRepo.getEvent(db, target) : undefined;
  if (row && row.room_id === redaction.roomId) searchRepo.unindexEvent(db, row.stream_pos);
}

/**
 * Indexes one event at once, inside its write: text events, and redactions remove text. Nothing
 * from an encrypted room is indexed, even a stray plaintext event: its members expect privacy.
 * The server indexes behind the events instead (SearchIndexer); history generators use this.
 */
export function indexOnPersist(db: SqlWriter, event: PersistedEvent, state: RoomStateView): void {
  if (event.type === 'm.room.redaction') {
    unindexRedacted(db, event);
    return;
  }
  const field = searchableField(event.type);
  const text = field && event.content[field];
  if (!field || typeof text !== 'string' || !text || state.content('m.room.encryption', '')) return;
  const columns = indexColumns(field, text);
  if (columns) searchRepo.indexEvent(db, event.streamPos, columns);
}

interface Criteria {
  term: string;
  keys: searchRepo.SearchKey[];
  filter: EventMatcher;
  limit: number;
  orderBy: 'rank' | 'recent';
  context?: { before: number; after: number; profile: boolean };
  includeState: boolean;
  groupByRoom: boolean;
  groupBySender: boolean;
}

export function parseCriteria(body: JsonObject): Criteria {
  const categories = body.search_categories;
  if (!isObject(categories)) throw errors.badJson('search_categories must be an object');
  const c = categories.room_events;
  if (!isObject(c)) throw errors.badJson('search_categories.room_events is the only category and is required');
  if (typeof c.search_term !== 'string') throw errors.badJson('room_events.search_term must be a string');
  const keyNames = c.keys === undefined ? Object.keys(KEYS) : c.keys;
  if (!Array.isArray(keyNames) || keyNames.some((k) => typeof k !== 'string' || !Object.hasOwn(KEYS, k))) throw errors.badJson(`keys may only list ${Object.keys(KEYS).join(', ')}`);
  const filterJson = c.filter ?? {};
  if (!isObject(filterJson)) throw errors.badJson('filter must be an object');
  if (filterJson.limit !== undefined && !(Number.isInteger(filterJson.limit) && (filterJson.limit as number) >= 0)) throw errors.badJson('filter.limit must be a non-negative integer');
  const orderBy = c.order_by ?? 'rank';
  if (orderBy !== 'rank' && orderBy !== 'recent') throw errors.badJson('order_by must be "rank" or "recent"');
  let context: Criteria['context'];
  if (c.event_context !== undefined) {
    const ec = c.event_context;
    if (!isObject(ec)) throw errors.badJson('event_context must be an object');
    const n = (v: unknown, name: string) => {
      if (v === undefined) return 5;
      if (!Number.isInteger(v) || (v as number) < 0) throw errors.badJson(`event_context.${name} must be a non-negative integer`);
      return Math.min(v as number, MAX_CONTEXT);
    };
    context = { before: n(ec.before_limit, 'before_limit'), after: n(ec.after_limit, 'after_limit'), profile: ec.include_profile === true };
  }
  const groupBy = isObject(c.groupings) && Array.isArray(c.groupings.group_by) ? c.groupings.group_by : [];
  const groupKeys = groupBy.map((g) => (isObject(g) ? g.key : undefined));
  return {
    term: c.search_term,
    keys: [...new Set((keyNames as string[]).map((k) => KEYS[k]!.field))],
    filter: new EventMatcher(filterJson),
    limit: Math.min(typeof filterJson.limit === 'number' ? filterJson.limit : 10, 100),
    orderBy,
    context,
    includeState: c.include_state === true,
    groupByRoom: groupKeys.includes('room_id'),
    groupBySender: groupKeys.includes('sender'),
  };
}

/**
 * Runs a room_events search for `userId`. `nextBatch` names the (rank, stream position) of the
 * last result shown, so messages arriving between pages neither repeat nor shift results.
 */
export function searchRoomEvents(db: SqlReader, userId: string, criteria: Criteria, nextBatch: string | undefined, now: number): JsonObject {
  const after = nextBatch === undefined ? undefined : parseBatch(nextBatch);
  const match = matchExpression(criteria.term);
  const rooms = roomsRepo.roomsOfUser(db, userId, 'join').map((m) => m.room_id).filter((r) => criteria.filter.includesRoom(r));
  const ignored = ignoredUsers(db, userId);
  const words = searchRuns(criteria.term);

  // Matches are screened on the index's columns; whole events are read only for the page shown.
  const hits = new Map<number, { hit: searchRepo.SearchHit; rank: number }>();
  if (match) {
    const visibility = new Map<string, VisibilityChecker>();
    for (const key of criteria.keys) {
      for (const hit of searchRepo.searchKey(db, key, match, rooms, RANK_CAP)) {
        if (hits.has(hit.stream_pos) || hiddenByIgnore(ignored, hit)) continue;
        let checker = visibility.get(hit.room_id);
        if (!checker) visibility.set(hit.room_id, (checker = new VisibilityChecker(db, hit.room_id, userId)));
        if (!checker.canSee(hit.stream_pos)) continue;
        if (!criteria.filter.matches(lazyContent(db, hit))) continue;
        hits.set(hit.stream_pos, { hit, rank: rankOf(hit.tokens, words) });
      }
    }
  }
  const byRank = criteria.orderBy === 'rank';
  const compare = (a: { rank: number; pos: number }, b: { rank: number; pos: number }) => (byRank ? b.rank - a.rank : 0) || b.pos - a.pos;
  const ordered = [...hits.values()].sort((a, b) => compare({ rank: a.rank, pos: a.hit.stream_pos }, { rank: b.rank, pos: b.hit.stream_pos }));
  let start = after ? ordered.findIndex((h) => compare({ rank: h.rank, pos: h.hit.stream_pos }, after) > 0) : 0;
  if (start < 0) start = ordered.length;
  const page = ordered.slice(start, start + criteria.limit).map(({ hit, rank }) => ({ rank, row: eventsRepo.getEventAt(db, hit.stream_pos)! }));
  const last = page.at(-1);
  const next = start + page.length < ordered.length && last ? batchToken(last.rank, last.row.stream_pos) : undefined;

  const results = page.map(({ row, rank }) => {
    const result: JsonObject = { rank, result: toClientEvent(db, row, { now, viewer: { userId }, bundle: true }) };
    if (criteria.context) result.context = contextOf(db, row, userId, criteria.context, ignored, now);
    return result;
  });
  const out: JsonObject = { count: ordered.length, highlights: highlightsOf(page.map((h) => h.row), words), results };
  if (next) out.next_batch = next;
  if (criteria.includeState) {
    const state: JsonObject = {};
    for (const roomId of new Set(page.map((h) => h.row.room_id))) {
      state[roomId] = roomsRepo.currentState(db, roomId).flatMap((s) => {
        const row = eventsRepo.getEvent(db, s.event_id);
        return row ? [toClientEvent(db, row, { now })] : [];
      });
    }
    out.state = state;
  }
  if (criteria.groupByRoom || criteria.groupBySender) {
    const groups: JsonObject = {};
    if (criteria.groupByRoom) groups.room_id = groupBy(ordered, (h) => h.hit.room_id, next);
    if (criteria.groupBySender) groups.sender = groupBy(ordered, (h) => h.hit.sender, undefined);
    out.groups = groups;
  }
  return { search_categories: { room_events: out } };
}

function batchToken(rank: number, pos: number): string {
  return `k${rank}_${pos}`;
}

function parseBatch(raw: string): { rank: number; pos: number } {
  const m = /^k(\d{1,9}(?:\.\d{1,6})?)_(\d{1,15})$/.exec(raw);
  if (!m) throw errors.invalidParam('next_batch is not a token from a previous search');
  return { rank: Number(m[1]), pos: Number(m[2]) };
}

/** Occurrences of the search words in the matched text, damped by its length. */
function rankOf(tokens: string, words: { text: string; cjk: boolean }[]): number {
  const list = tokens.split(' ');
  let hits = 0;
  for (const w of words) {
    const probe = w.cjk ? [...w.text].slice(0, 2).join('') : w.text;
    for (const t of list) if (t.startsWith(probe)) hits++;
  }
  return Math.round((hits / Math.sqrt(list.length || 1)) * 1000) / 1000;
}

/** The words to highlight: each search word, plus the whole words it matched as a prefix. */
function highlightsOf(rows: eventsRepo.EventRow[], words: { text: string; cjk: boolean }[]): string[] {
  const out = new Set<string>(words.map((w) => w.text));
  const latin = words.filter((w) => !w.cjk).map((w) => w.text);
  if (latin.length) {
    for (const row of rows) {
      const content = (JSON.parse(row.json) as { content?: Record<string, unknown> }).content ?? {};
      for (const field of ['body', 'name', 'topic']) {
        const text = content[field];
        if (typeof text !== 'string') continue;
        for (const word of text.match(/[\p{L}\p{N}]+/gu) ?? []) {
          if (latin.some((l) => fold(word).startsWith(l))) out.add(word);
        }
      }
    }
  }
  return [...out];
}

function groupBy(hits: { hit: searchRepo.SearchHit }[], key: (h: { hit: searchRepo.SearchHit }) => string, nextBatch: string | undefined): JsonObject {
  const groups: Record<string, { results: string[]; order: number; next_batch?: string }> = {};
  for (const h of hits) {
    const k = key(h);
    groups[k] ??= { results: [], order: Object.keys(groups).length + 1 };
    groups[k].results.push(h.hit.event_id);
  }
  if (nextBatch) for (const g of Object.values(groups)) g.next_batch = nextBatch;
  return groups as unknown as JsonObject;
}

/** A hit as the filter sees it; content is read only if the filter asks (contains_url). */
function lazyContent(db: SqlReader, hit: searchRepo.SearchHit): { type: string; sender: string; room_id: string; readonly content: unknown } {
  return {
    type: hit.type,
    sender: hit.sender,
    room_id: hit.room_id,
    get content() {
      const row = eventsRepo.getEventAt(db, hit.stream_pos);
      return row ? (JSON.parse(row.json) as { content?: unknown }).content : undefined;
    },
  };
}

function contextOf(db: SqlReader, row: eventsRepo.EventRow, userId: string, ctx: NonNullable<Criteria['context']>, ignored: ReadonlySet<string>, now: number): JsonObject {
  const room = roomsRepo.getRoom(db, row.room_id)!;
  const visibility = new VisibilityChecker(db, row.room_id, userId);
  const filter = new EventMatcher({});
  const upTo = room.last_pos;
  const before = ctx.before ? paginate(db, row.room_id, { dir: 'b', from: row.stream_pos - 1, upTo, limit: ctx.before, filter, visibility, ignored }).rows : [];
  const after = ctx.after ? paginate(db, row.room_id, { dir: 'f', from: row.stream_pos, upTo, limit: ctx.after, filter, visibility, ignored }).rows : [];
  const fmt = (r: eventsRepo.EventRow) => toClientEvent(db, r, { now, viewer: { userId } });
  const out: JsonObject = {
    events_before: before.map(fmt),
    events_after: after.map(fmt),
    start: paginationToken(before.length ? before.at(-1)!.stream_pos - 1 : row.stream_pos - 1),
    end: paginationToken(after.at(-1)?.stream_pos ?? row.stream_pos),
  };
  if (ctx.profile) {
    const profiles: JsonObject = {};
    for (const sender of new Set([row, ...before, ...after].map((r) => r.sender))) {
      const json = roomsRepo.currentStateJson(db, row.room_id, 'm.room.member', sender);
      const content = json ? ((JSON.parse(json) as JsonObject).content as JsonObject) : {};
      const p: JsonObject = {};
      if (typeof content.displayname === 'string') p.displayname = content.displayname;
      if (typeof content.avatar_url === 'string') p.avatar_url = content.avatar_url;
      profiles[sender] = p;
    }
    out.profile_info = profiles;
  }
  return out;
}

