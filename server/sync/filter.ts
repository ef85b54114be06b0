// Sync filters (spec "Filtering"): validation of stored and inline filters, and the helpers /sync
// and /messages use to apply them to event lists.
import type { JsonObject, JsonValue } from '../http/body.ts';
import { errors, MatrixError } from '../http/errors.ts';
import type { Storage } from '../storage/types.ts';
import { getFilterJson } from '../storage/repos/filters.ts';
import { TableCache } from '../storage/table_cache.ts';
import { isObject } from '../http/validate.ts';

/** Keys of an EventFilter / RoomEventFilter whose values are lists of strings. */
const STRING_LIST_KEYS = ['types', 'not_types', 'senders', 'not_senders', 'rooms', 'not_rooms'] as const;
const BOOLEAN_KEYS = ['lazy_load_members', 'include_redundant_members', 'contains_url', 'unread_thread_notifications'] as const;

type Fail = (msg: string) => MatrixError;

function checkEventFilter(v: unknown, where: string, fail: Fail): void {
  if (v === undefined) return;
  if (!isObject(v)) throw fail(`${where} must be an object`);
  if (v.limit !== undefined && !(typeof v.limit === 'number' && Number.isInteger(v.limit) && v.limit >= 0)) {
    throw fail(`${where}.limit must be a non-negative integer`);
  }
  for (const key of STRING_LIST_KEYS) {
    const list = v[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === 'string'))) throw fail(`${where}.${key} must be a list of strings`);
  }
  for (const key of BOOLEAN_KEYS) {
    if (v[key] !== undefined && typeof v[key] !== 'boolean') throw fail(`${where}.${key} must be a boolean`);
  }
}

/** Validates a complete Filter object (POST /user/{u}/filter body, or /sync's inline filter). */
export function validateFilter(v: unknown, fail: Fail = errors.badJson): JsonObject {
  if (!isObject(v)) throw fail('A filter must be a JSON object');
  const fields = v.event_fields;
  if (fields !== undefined && !(Array.isArray(fields) && fields.every((s) => typeof s === 'string'))) throw fail('event_fields must be a list of strings');
  if (v.event_format !== undefined && v.event_format !== 'client' && v.event_format !== 'federation') {
    throw fail('event_format must be "client" or "federation"');
  }
  checkEventFilter(v.presence, 'presence', fail);
  checkEventFilter(v.account_data, 'account_data', fail);
  const room = v.room;
  if (room !== undefined) {
    if (!isObject(room)) throw fail('room must be an object');
    for (const key of ['rooms', 'not_rooms'] as const) {
      const list = room[key];
      if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === 'string'))) throw fail(`room.${key} must be a list of strings`);
    }
    if (room.include_leave !== undefined && typeof room.include_leave !== 'boolean') throw fail('room.include_leave must be a boolean');
    for (const key of ['ephemeral', 'state', 'timeline', 'account_data'] as const) checkEventFilter(room[key], `room.${key}`, fail);
  }
  return v;
}

/** Filters kept parsed, per stored ID or inline text: a client sends the same one with every long-poll. */
const MAX_RESOLVED = 1_000;
/** Longer inline filters are parsed every time (bounds what a client can make the server keep). */
const MAX_KEPT_INLINE = 4_096;
const NO_FILTER: JsonObject = Object.freeze({});
/** Per storage (tests run several servers in one process), emptied when user_filters changes. */
const resolvedBy = new WeakMap<Storage, TableCache<JsonObject>>();

/**
 * The filter a /sync request names: absent → {}, JSON text (starts with "{") → that filter inline,
 * otherwise a stored filter ID of this user (unknown → 404 M_NOT_FOUND).
 * Returns one shared, frozen object per filter, so its compiled form (compileFilter) is reused by
 * every request that names it. Stored filters never change; any write to the table drops them all.
 */
export function resolveFilter(storage: Storage, userId: string, param: string | undefined): JsonObject {
  if (param === undefined || param === '') return NO_FILTER;
  let resolved = resolvedBy.get(storage);
  if (!resolved) resolvedBy.set(storage, (resolved = new TableCache(storage, 'user_filters', MAX_RESOLVED)));
  const inline = param.trimStart().startsWith('{');
  const key = inline ? param : `${userId}\n${param}`;
  let filter = resolved.get(key);
  if (filter === undefined) {
    filter = deepFreeze(inline ? parseInlineFilter(param) : storedFilter(storage, userId, param));
    if (inline && param.length > MAX_KEPT_INLINE) return filter;
    resolved.set(key, filter);
  }
  return filter;
}

function parseInlineFilter(param: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(param);
  } catch {
    throw errors.invalidParam('filter is neither valid JSON nor a filter ID');
  }
  return validateFilter(parsed, errors.invalidParam);
}

function storedFilter(storage: Storage, userId: string, param: string): JsonObject {
  if (!/^\d{1,15}$/.test(param)) throw errors.invalidParam('filter is neither valid JSON nor a filter ID');
  const json = storage.read((db) => getFilterJson(db, userId, Number(param)));
  if (json === undefined) throw errors.notFound(`No filter ${param} for this user`);
  return JSON.parse(json) as JsonObject;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The RoomEventFilter a /messages (or /context) request passes inline as JSON. */
export function resolveRoomEventFilter(param: string | undefined): EventMatcher {
  if (param === undefined || param === '') return new EventMatcher({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(param);
  } catch {
    throw errors.invalidParam('filter is not valid JSON');
  }
  checkEventFilter(parsed, 'filter', errors.invalidParam);
  return new EventMatcher(parsed as JsonObject);
}

/** '*' matches any run of characters; everything else literally. */
function wildcardRegex(patterns: readonly string[]): RegExp {
  const alternatives = patterns.map((p) => p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  return new RegExp(`^(?:${alternatives.join('|')})$`, 's');
}

function stringList(v: JsonValue | undefined): string[] | undefined {
  return Array.isArray(v) ? (v.filter((s) => typeof s === 'string') as string[]) : undefined;
}

/** The minimal shape of an event the matchers read. */
export interface FilterableEvent {
  type?: unknown;
  sender?: unknown;
  room_id?: unknown;
  content?: unknown;
}

/** One EventFilter/RoomEventFilter, compiled. */
export class EventMatcher {
  readonly limit: number | undefined;
  readonly lazyLoadMembers: boolean;
  readonly includeRedundantMembers: boolean;
  readonly unreadThreadNotifications: boolean;
  /** No condition at all (the usual filter): callers may skip matches() (and building what it reads). */
  readonly matchesAll: boolean;
  private readonly types?: RegExp;
  private readonly notTypes?: RegExp;
  private readonly senders?: Set<string>;
  private readonly notSenders?: Set<string>;
  private readonly rooms?: Set<string>;
  private readonly notRooms?: Set<string>;
  private readonly containsUrl?: boolean;

  constructor(f: JsonObject) {
    this.limit = typeof f.limit === 'number' ? f.limit : undefined;
    this.lazyLoadMembers = f.lazy_load_members === true;
    this.includeRedundantMembers = f.include_redundant_members === true;
    this.unreadThreadNotifications = f.unread_thread_notifications === true;
    const types = stringList(f.types);
    const notTypes = stringList(f.not_types);
    if (types) this.types = types.length ? wildcardRegex(types) : /(?!)/;
    if (notTypes?.length) this.notTypes = wildcardRegex(notTypes);
    const senders = stringList(f.senders);
    if (senders) this.senders = new Set(senders);
    const notSenders = stringList(f.not_senders);
    if (notSenders?.length) this.notSenders = new Set(notSenders);
    const rooms = stringList(f.rooms);
    if (rooms) this.rooms = new Set(rooms);
    const notRooms = stringList(f.not_rooms);
    if (notRooms?.length) this.notRooms = new Set(notRooms);
    if (typeof f.contains_url === 'boolean') this.containsUrl = f.contains_url;
    this.matchesAll = !this.types && !this.notTypes && !this.senders && !this.notSenders && !this.rooms && !this.notRooms && this.containsUrl === undefined;
  }

  /** Whether events of this room pass rooms/not_rooms. */
  includesRoom(roomId: string): boolean {
    if (this.notRooms?.has(roomId)) return false;
    return !this.rooms || this.rooms.has(roomId);
  }

  matches(event: FilterableEvent): boolean {
    const type = typeof event.type === 'string' ? event.type : '';
    if (this.notTypes?.test(type)) return false;
    if (this.types && !this.types.test(type)) return false;
    if (typeof event.sender === 'string') {
      if (this.notSenders?.has(event.sender)) return false;
      if (this.senders && !this.senders.has(event.sender)) return false;
    } else if (this.senders) return false;
    if (typeof event.room_id === 'string' && !this.includesRoom(event.room_id)) return false;
    if (this.containsUrl !== undefined) {
      const content = event.content;
      const hasUrl = isObject(content) && typeof content.url === 'string';
      if (hasUrl !== this.containsUrl) return false;
    }
    return true;
  }

  /** The events that match, in order. Applying `limit` is the caller's choice (newest or oldest end). */
  filter<T extends FilterableEvent>(events: readonly T[]): T[] {
    return events.filter((e) => this.matches(e));
  }
}

/** A whole Filter, compiled once per filter object. */
export class CompiledFilter {
  readonly timeline: EventMatcher;
  readonly state: EventMatcher;
  readonly ephemeral: EventMatcher;
  readonly roomAccountData: EventMatcher;
  readonly accountData: EventMatcher;
  readonly presence: EventMatcher;
  readonly includeLeave: boolean;
  readonly eventFields: string[][] | undefined;
  private readonly rooms?: Set<string>;
  private readonly notRooms: Set<string>;

  constructor(f: JsonObject) {
    const room = isObject(f.room) ? f.room : {};
    const sub = (v: JsonValue | undefined) => new EventMatcher(isObject(v) ? v : {});
    this.timeline = sub(room.timeline);
    this.state = sub(room.state);
    this.ephemeral = sub(room.ephemeral);
    this.roomAccountData = sub(room.account_data);
    this.accountData = sub(f.account_data);
    this.presence = sub(f.presence);
    this.includeLeave = room.include_leave === true;
    const rooms = stringList(room.rooms);
    if (rooms) this.rooms = new Set(rooms);
    this.notRooms = new Set(stringList(room.not_rooms) ?? []);
    const fields = stringList(f.event_fields);
    this.eventFields = fields?.map(splitPath);
  }

  /** Top-level room.rooms / room.not_rooms: whether the room appears in the sync at all. */
  includesRoom(roomId: string): boolean {
    if (this.notRooms.has(roomId)) return false;
    return !this.rooms || this.rooms.has(roomId);
  }

  /** Lazy loading is asked for on the state filter (timeline too, as clients differ). */
  get lazyLoadMembers(): boolean {
    return this.state.lazyLoadMembers || this.timeline.lazyLoadMembers;
  }

  get includeRedundantMembers(): boolean {
    return this.state.includeRedundantMembers || this.timeline.includeRedundantMembers;
  }

  /** Applies event_fields (when given) to a client event. */
  project<T extends JsonObject>(event: T): T {
    return this.eventFields ? (projectFields(event, this.eventFields) as T) : event;
  }
}

const compiled = new WeakMap<JsonObject, CompiledFilter>();

/** Compiles (and caches per object) a filter resolved by resolveFilter. */
export function compileFilter(filter: JsonObject): CompiledFilter {
  let c = compiled.get(filter);
  if (!c) {
    c = new CompiledFilter(filter);
    compiled.set(filter, c);
  }
  return c;
}

/** Splits a dot-separated property path; "\." is a literal dot and "\\" a backslash (spec appendix). */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && (path[i + 1] === '.' || path[i + 1] === '\\')) {
      current += path[++i];
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** Keeps only the listed paths of an object (event_fields). */
export function projectFields(event: JsonObject, paths: readonly string[][]): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    let src: JsonValue | undefined = event;
    for (const key of path) src = isObject(src) ? src[key] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      if (!isObject(dst[key])) dst[key] = {};
      dst = dst[key] as JsonObject;
    }
    dst[path[path.length - 1]!] = src;
  }
  return out;
}
