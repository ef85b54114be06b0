// The "events" stream: rooms.join (timeline, state, summary), rooms.invite, rooms.leave, rooms.knock.
// Runs first: it decides which rooms the user is joined to for the room-scoped streams.
// Initial sync reads O(rooms × timeline limit); incremental sync reads only the user's membership
// changes and the joined rooms whose newest event is after the token.
import type { JsonObject } from '../../http/body.ts';
import type { SqlReader } from '../../storage/types.ts';
import type { Clock } from '../../clock.ts';
import type { Storage } from '../../storage/types.ts';
import type { StreamProvider, SyncRequest, SyncResponse, JoinedRoomSection, ClientEvent } from '../types.ts';
import { emptyJoinedRoom } from '../types.ts';
import { compileFilter, type CompiledFilter } from '../filter.ts';
import * as roomsRepo from '../../storage/repos/rooms.ts';
import * as eventsRepo from '../../storage/repos/events.ts';
import type { EventRow } from '../../storage/repos/events.ts';
import { formatEvents, toClientEvent, toStrippedEvent } from '../../rooms/client_event.ts';
import { matchable, paginationToken, stateAt } from '../../rooms/reader.ts';
import { VisibilityChecker } from '../../rooms/visibility.ts';
import { LazyMemberCache } from './lazy_members.ts';
import { hiddenByIgnore } from '../../userdata/ignored_users.ts';
import { LatestPosition } from '../latest_position.ts';
import { IgnoredUsersCache, UserMembershipsCache, type UserRooms } from '../user_caches.ts';
import { TimelineCache } from '../timeline_cache.ts';

/** Where a room's newest event is (the room service keeps it without a query). */
export interface RoomHeads {
  headOf(db: SqlReader, roomId: string): number;
}

const DEFAULT_TIMELINE_LIMIT = 10;
/** A filter may ask for more, but one room's timeline in one response stays bounded. */
const MAX_TIMELINE_LIMIT = 500;
/** State shown to invitees and knockers (spec "Stripped state"). */
const STRIPPED_STATE_TYPES = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

interface RoomContext {
  db: SqlReader;
  req: SyncRequest;
  filter: CompiledFilter;
  now: number;
  lazy: LazyMemberCache;
  /** m.ignored_user_list: their events and invites are not sent. */
  ignored: ReadonlySet<string>;
  /** The user's membership row per room, and the rooms joined (as read in this sync). */
  rooms: UserRooms;
  timelines: TimelineCache;
}

export class EventsStream implements StreamProvider {
  readonly stream = 'events' as const;
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly lazy = new LazyMemberCache();
  private readonly latestPos: LatestPosition;
  private readonly heads: RoomHeads;
  private readonly memberships: UserMembershipsCache;
  private readonly ignoring: IgnoredUsersCache;
  private readonly timelines: TimelineCache;

  constructor(storage: Storage, clock: Clock, heads: RoomHeads) {
    this.storage = storage;
    this.clock = clock;
    this.heads = heads;
    this.memberships = new UserMembershipsCache(storage);
    this.ignoring = new IgnoredUsersCache(storage);
    this.timelines = new TimelineCache(storage);
    this.latestPos = new LatestPosition(storage, 'events', () => storage.read((db) => eventsRepo.latestStreamPos(db)));
  }

  latest(): number {
    return this.latestPos.get();
  }

  completeSync(req: SyncRequest, res: SyncResponse, to: number): void {
    this.lazy.reset(req.userId, req.deviceId);
    this.storage.read((db) => {
      const rc = this.roomContext(db, req);
      for (const m of roomsRepo.allMembershipsOfUser(db, req.userId)) {
        if (m.stream_pos > to || !rc.filter.includesRoom(m.room_id)) continue;
        if (m.membership === 'join') {
          req.joinedRoomIds.push(m.room_id);
          res.rooms.join[m.room_id] = joinedSection(rc, m.room_id, null, to, true);
        } else if (m.membership === 'invite') {
          if (invitedByIgnored(rc, m.event_id)) continue;
          res.rooms.invite[m.room_id] = { invite_state: { events: strippedState(db, m.room_id, m.event_id) } };
        } else if (m.membership === 'knock') {
          res.rooms.knock[m.room_id] = { knock_state: { events: strippedState(db, m.room_id, m.event_id) } };
        } else if (rc.filter.includeLeave && !m.forgotten) {
          res.rooms.leave[m.room_id] = leaveSection(rc, m.room_id, null, m.stream_pos);
        }
      }
    });
  }

  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    this.storage.read((db) => {
      const rc = this.roomContext(db, req);
      const { rooms } = rc;
      // Rooms where the user's own membership changed since the token. A membership row holds the
      // position of the user's newest member event in that room, so when none is after the token
      // there is nothing to look up (the usual case: a message woke the long-poll).
      const changes = from < to && rooms.newestPos > from ? eventsRepo.membershipChangesOf(db, req.userId, from, to) : [];
      const handled = new Set<string>();
      for (const roomId of new Set(changes.map((c) => c.room_id))) {
        if (!rc.filter.includesRoom(roomId)) continue;
        handled.add(roomId);
        const visibility = new VisibilityChecker(db, roomId, req.userId);
        const before = visibility.membershipAt(from);
        const now = roomsRepo.getMembership(db, roomId, req.userId)!;
        if (now.membership === 'join') {
          req.joinedRoomIds.push(roomId);
          if (before !== 'join') {
            req.newlyJoinedRoomIds.push(roomId);
            this.lazy.resetRoom(req.userId, req.deviceId, roomId);
            res.rooms.join[roomId] = joinedSection(rc, roomId, null, to, true);
          } else {
            const section = joinedSection(rc, roomId, from, to, req.fullState);
            if (section) res.rooms.join[roomId] = section;
          }
        } else if (now.membership === 'invite') {
          if (invitedByIgnored(rc, now.event_id)) continue;
          res.rooms.invite[roomId] = { invite_state: { events: strippedState(db, roomId, now.event_id) } };
        } else if (now.membership === 'knock') {
          res.rooms.knock[roomId] = { knock_state: { events: strippedState(db, roomId, now.event_id) } };
        } else if (!now.forgotten) {
          res.rooms.leave[roomId] = leaveSection(rc, roomId, before === 'join' ? from : null, now.stream_pos);
        }
      }
      // Joined rooms with new events (or every joined room for full_state); the room-scoped
      // streams need every joined room, changed or not.
      const moved = req.fullState || from < to;
      for (const roomId of rooms.joined) {
        if (handled.has(roomId) || !rc.filter.includesRoom(roomId)) continue;
        req.joinedRoomIds.push(roomId);
        if (!moved || (!req.fullState && this.heads.headOf(db, roomId) <= from)) continue;
        const section = joinedSection(rc, roomId, from, to, req.fullState);
        if (section) res.rooms.join[roomId] = section;
      }
    });
  }

  private roomContext(db: SqlReader, req: SyncRequest): RoomContext {
    return { db, req, filter: compileFilter(req.filter), now: this.clock.now(), lazy: this.lazy, ignored: this.ignoring.of(db, req.userId), rooms: this.memberships.of(db, req.userId), timelines: this.timelines };
  }
}

/**
 * One joined room. `since` null → complete view (initial sync, newly joined): the last `limit`
 * events and the full state before them. Otherwise events in (since, to]; undefined when nothing changed.
 */
function joinedSection(rc: RoomContext, roomId: string, since: number | null, to: number, fullState: boolean): JoinedRoomSection;
function joinedSection(rc: RoomContext, roomId: string, since: number | null, to: number, fullState: boolean): JoinedRoomSection | undefined;
function joinedSection(rc: RoomContext, roomId: string, since: number | null, to: number, fullState: boolean): JoinedRoomSection | undefined {
  const { timeline, limited, startPos } = readTimeline(rc, roomId, since ?? 0, to);
  const complete = since === null || fullState;
  if (!complete && !timeline.length && !limited) return undefined;
  const section = emptyJoinedRoom();
  // A live, gapless timeline carries any edits and thread replies itself: bundling would repeat them.
  const bundle = complete || limited;
  section.timeline = { events: formatAll(rc, timeline, bundle), limited, prev_batch: paginationToken(startPos - 1) };
  const state = stateSection(rc, roomId, since, startPos, limited, complete, timeline);
  section.state.events = state.map((r) => format(rc, r, false));
  // Clients keep the last summary; send it when it may have changed.
  if (complete || [...timeline, ...state].some((r) => r.type === 'm.room.member')) section.summary = summary(rc.db, roomId, rc.req.userId);
  return section;
}

function leaveSection(rc: RoomContext, roomId: string, since: number | null, leavePos: number): SyncResponse['rooms']['leave'][string] {
  const { timeline, limited, startPos } = readTimeline(rc, roomId, since ?? 0, leavePos);
  // Someone who never joined (a rejected or withdrawn invite, a refused knock) learns no room state here.
  const everJoined = eventsRepo.membershipHistory(rc.db, roomId, rc.req.userId).some((m) => m.membership === 'join');
  const state = everJoined ? stateSection(rc, roomId, since, startPos, limited, since === null, timeline) : [];
  return {
    timeline: { events: formatAll(rc, timeline, true), limited, prev_batch: paginationToken(startPos - 1) },
    state: { events: state.map((r) => format(rc, r, false)) },
    account_data: { events: [] },
  };
}

/** The newest `limit` visible events in (after, upTo], oldest first. */
function readTimeline(rc: RoomContext, roomId: string, after: number, upTo: number): { timeline: EventRow[]; limited: boolean; startPos: number } {
  const limit = Math.min(rc.filter.timeline.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT);
  const rows = rc.timelines.newest(rc.db, roomId, after, upTo, limit + 1);
  const limited = rows.length > limit;
  const page = rows.slice(0, limit).reverse();
  const startPos = page[0]?.stream_pos ?? upTo + 1;
  const visibility = new VisibilityChecker(rc.db, roomId, rc.req.userId, rc.rooms.byRoom.get(roomId) ?? null);
  const matcher = rc.filter.timeline;
  const timeline = page.filter((r) => visibility.canSee(r.stream_pos) && !hiddenByIgnore(rc.ignored, r) && (matcher.matchesAll || matcher.matches(matchable(r))));
  return { timeline, limited, startPos };
}

/** State to send before the timeline starts (at startPos). */
function stateSection(rc: RoomContext, roomId: string, since: number | null, startPos: number, limited: boolean, complete: boolean, timeline: EventRow[]): EventRow[] {
  const lazy = rc.filter.lazyLoadMembers;
  let rows: EventRow[];
  if (complete) rows = stateAt(rc.db, roomId, startPos - 1);
  else if (limited) rows = latestPerKey(eventsRepo.stateEventsBetween(rc.db, roomId, since!, startPos - 1));
  else rows = [];
  if (lazy) {
    const wanted = new Set(timeline.map((e) => e.sender));
    wanted.add(rc.req.userId);
    const { userId, deviceId } = rc.req;
    rows = rows.filter((r) => r.type !== 'm.room.member' || (wanted.has(r.state_key!) && (rc.filter.includeRedundantMembers || !rc.lazy.has(userId, deviceId, roomId, r.state_key!))));
    // Timeline senders whose member event the client has not been sent yet.
    const have = new Set(rows.filter((r) => r.type === 'm.room.member').map((r) => r.state_key!));
    for (const member of wanted) {
      if (have.has(member) || timeline.some((e) => e.type === 'm.room.member' && e.state_key === member)) continue;
      if (!rc.filter.includeRedundantMembers && rc.lazy.has(userId, deviceId, roomId, member)) continue;
      const row = eventsRepo.stateEventAt(rc.db, roomId, 'm.room.member', member, startPos - 1);
      if (row) rows.push(row);
    }
    for (const r of rows) if (r.type === 'm.room.member') rc.lazy.add(userId, deviceId, roomId, r.state_key!);
    for (const e of timeline) if (e.type === 'm.room.member') rc.lazy.add(userId, deviceId, roomId, e.state_key!);
  }
  const matcher = rc.filter.state;
  return matcher.matchesAll ? rows : rows.filter((r) => matcher.matches(matchable(r)));
}

function latestPerKey(rows: EventRow[]): EventRow[] {
  const byKey = new Map<string, EventRow>();
  for (const r of rows) byKey.set(`${r.type}\u0000${r.state_key}`, r);
  return [...byKey.values()];
}

function summary(db: SqlReader, roomId: string, userId: string): JoinedRoomSection['summary'] {
  const { joined, invited } = roomsRepo.joinedAndInvited(db, roomId);
  const heroes = [...joined, ...invited].filter((u) => u !== userId).slice(0, 5);
  return { 'm.heroes': heroes, 'm.joined_member_count': joined.length, 'm.invited_member_count': invited.length };
}

/** Stripped state for an invite or knock, with the user's own member event and the inviter's. */
function strippedState(db: SqlReader, roomId: string, memberEventId: string): ClientEvent[] {
  const out: JsonObject[] = [];
  for (const type of STRIPPED_STATE_TYPES) {
    const entry = roomsRepo.currentStateOfType(db, roomId, type).find((s) => s.state_key === '');
    const row = entry && eventsRepo.getEvent(db, entry.event_id);
    if (row) out.push(toStrippedEvent(row));
  }
  const own = eventsRepo.getEvent(db, memberEventId);
  if (own) {
    if (own.sender !== own.state_key) {
      const inviter = roomsRepo.currentStateOfType(db, roomId, 'm.room.member').find((s) => s.state_key === own.sender);
      const inviterRow = inviter && eventsRepo.getEvent(db, inviter.event_id);
      if (inviterRow) out.push(toStrippedEvent(inviterRow));
    }
    out.push(toStrippedEvent(own));
  }
  return out;
}

function invitedByIgnored(rc: RoomContext, memberEventId: string): boolean {
  if (!rc.ignored.size) return false;
  const sender = eventsRepo.getEvent(rc.db, memberEventId)?.sender;
  return sender !== undefined && rc.ignored.has(sender);
}

function format(rc: RoomContext, row: EventRow, bundle = true): ClientEvent {
  return rc.filter.project(toClientEvent(rc.db, row, { now: rc.now, viewer: { userId: rc.req.userId, deviceId: rc.req.deviceId }, bundle }));
}

function formatAll(rc: RoomContext, rows: EventRow[], bundle: boolean): ClientEvent[] {
  return formatEvents(rc.db, rows, { now: rc.now, viewer: { userId: rc.req.userId, deviceId: rc.req.deviceId }, bundle }).map((e) => rc.filter.project(e));
}
