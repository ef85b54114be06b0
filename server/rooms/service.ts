// The room service: builds events (insert_event.ts: authorised against the room's current state, hashed and
// signed), persists them (one storage.write per event or batch), then notifies.
// Everything between "build" and "persist" happens inside the write function, so concurrent
// sends to one room are serialised by the storage writer and always see each other.
import type { JsonObject } from '../http/body.ts';
import type { Storage, SqlReader, SqlWriter } from '../storage/types.ts';
import type { Clock } from '../clock.ts';
import type { Notifier } from '../sync/notifier.ts';
import type { Logger } from '../log.ts';
import { errors, MatrixError } from '../http/errors.ts';
import { redactEvent } from './redaction.ts';
import { roomVersion } from './versions.ts';
import { insertEvent, MAX_EVENT_BYTES, type ChainHead, type EventSigner, type Inserted } from './insert_event.ts';
import type { SigningKey } from './signing_key.ts';
import * as roomsRepo from '../storage/repos/rooms.ts';
import * as eventsRepo from '../storage/repos/events.ts';
import * as aliasesRepo from '../storage/repos/aliases.ts';
import type { CommitListener, EventDraft, PersistHook, PersistedEvent, Profile } from './types.ts';
import { rowToPersisted, safeCanonical, stateReader, stateView, StateContentCache, CurrentStateIds, type StateReader } from './building.ts';
import { JoinedMembersCache } from './members_cache.ts';

export { rowToPersisted };

export { MAX_EVENT_BYTES };

export interface RoomServiceDeps {
  serverName: string;
  storage: Storage;
  clock: Clock;
  signingKey: SigningKey;
  notifier: Notifier;
  log: Logger;
}

export class RoomService {
  private readonly deps: RoomServiceDeps;
  private readonly hooks: PersistHook[] = [];
  private readonly listeners: CommitListener[] = [];
  private readonly stateContents = new StateContentCache();
  private readonly joinedMembersCache: JoinedMembersCache;
  private readonly currentStateIds: CurrentStateIds;
  /**
   * Newest event position per room, set inside the write that stores the event: never behind
   * what a read can see (a rolled-back write may leave it ahead, which costs a reader one empty
   * range query). Incremental /sync asks it which joined rooms moved, without a query.
   */
  private readonly heads = new Map<string, number>();
  private readonly known = new Set<string>();
  /**
   * What the write path needs of each room (version, creator, chain head), as the last write that
   * stored an event left it, and the next event stream position: read once instead of per event.
   * Only writes of this service change them; a write that fails (alone or with its batch) drops
   * both, so they never outlive a rollback (see sendBatch).
   */
  private readonly chainHeads = new Map<string, ChainHead>();
  private nextPos: number | null = null;
  /** What insertEvent() needs of this service: the signing key and the next stream position. */
  private readonly signer: EventSigner;
  /** Where member events get display names and avatars; the accounts service sets this. */
  profileOf: (userId: string) => Profile = () => ({});

  constructor(deps: RoomServiceDeps) {
    this.deps = deps;
    this.joinedMembersCache = new JoinedMembersCache(deps.storage);
    this.currentStateIds = new CurrentStateIds(deps.storage);
    this.signer = { serverName: deps.serverName, signingKey: deps.signingKey, takePos: (db) => this.takePos(db) };
  }

  get serverName(): string {
    return this.deps.serverName;
  }

  /** Extension point: runs inside the write transaction for every persisted event. */
  onEventPersisted(hook: PersistHook): void {
    this.hooks.push(hook);
  }

  /** Runs once events have committed (before long-polls are woken); what leaves the process waits for storage.durable(). */
  onCommitted(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  read<T>(fn: (db: SqlReader) => T): T {
    return this.deps.storage.read(fn);
  }

  /** Creates a room: the room row, its alias (if any) and its first events, in one transaction. */
  async createRoom(plan: { roomId: string; version: string; creator: string; isPublic: boolean; alias?: string; drafts: EventDraft[] }): Promise<PersistedEvent[]> {
    return this.sendBatch(plan.roomId, plan.drafts, (db) => {
      roomsRepo.insertRoom(db, { roomId: plan.roomId, version: plan.version, creator: plan.creator, ts: this.deps.clock.now(), isPublic: plan.isPublic });
      if (plan.alias !== undefined) {
        if (aliasesRepo.getAlias(db, plan.alias)) throw new MatrixError(400, 'M_ROOM_IN_USE', `${plan.alias} is already taken`);
        aliasesRepo.insertAlias(db, plan.alias, plan.roomId, plan.creator);
      }
    });
  }

  /** Users sharing at least one joined room with `userId` (not including them): E2EE device lists, presence. */
  usersSharingRoomWith(userId: string): Set<string> {
    const users = new Set(this.read((db) => roomsRepo.usersSharingRooms(db, userId)));
    users.delete(userId);
    return users;
  }

  joinedMembers(roomId: string): string[] {
    return [...this.read((db) => this.joinedMembersCache.get(db, roomId))];
  }

  /** Whether the room exists. Rooms are never deleted, so one that was found is remembered. */
  exists(roomId: string): boolean {
    if (this.known.has(roomId)) return true;
    if (!this.read((db) => roomsRepo.getRoom(db, roomId))) return false;
    this.known.add(roomId);
    return true;
  }

  /** Stream position of the room's newest event (0 for an unknown room); see `heads`. */
  headOf(db: SqlReader, roomId: string): number {
    let pos = this.heads.get(roomId);
    if (pos === undefined) {
      pos = roomsRepo.getRoom(db, roomId)?.last_pos ?? 0;
      this.heads.set(roomId, pos);
    }
    return pos;
  }

  joinedRoomIds(userId: string): string[] {
    return this.read((db) => roomsRepo.roomsOfUser(db, userId, 'join').map((m) => m.room_id));
  }

  membership(roomId: string, userId: string): string | undefined {
    return this.read((db) => roomsRepo.getMembership(db, roomId, userId)?.membership);
  }

  /** Sets a membership (join, invite, leave, ban, knock), taking names and avatars from profiles. */
  async setMembership(roomId: string, sender: string, target: string, membership: string, extra: JsonObject = {}): Promise<PersistedEvent> {
    const content: JsonObject = { ...extra, membership };
    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      const p = this.profileOf(target);
      if (p.displayname) content.displayname = p.displayname;
      if (p.avatar_url) content.avatar_url = p.avatar_url;
    }
    return this.send(roomId, { type: 'm.room.member', stateKey: target, sender, content, skipIfUnchanged: membership === 'join' });
  }

  /** A changed display name or avatar goes into the member event of every joined room. */
  async updateProfileInRooms(userId: string, profile: Profile): Promise<void> {
    for (const roomId of this.joinedRoomIds(userId)) {
      const current = this.read((db) => roomsRepo.currentStateJson(db, roomId, 'm.room.member', userId));
      const content: JsonObject = { ...(((current && (JSON.parse(current) as JsonObject).content) ?? {}) as JsonObject), membership: 'join' };
      delete content.displayname;
      delete content.avatar_url;
      if (profile.displayname) content.displayname = profile.displayname;
      if (profile.avatar_url) content.avatar_url = profile.avatar_url;
      try {
        await this.send(roomId, { type: 'm.room.member', stateKey: userId, sender: userId, content, skipIfUnchanged: true });
      } catch (err) {
        this.deps.log.warn(`could not update ${userId}'s member event in ${roomId}: ${(err as Error).message}`);
      }
    }
  }

  /** Sends one event; returns the stored event (the earlier one for a repeated txn ID or unchanged state). */
  async send(roomId: string, draft: EventDraft): Promise<PersistedEvent> {
    // A repeated transaction ID is found inside the write (which also covers two copies in one batch).
    const [event] = await this.sendBatch(roomId, [draft]);
    return event!;
  }

  /** Sends events in order in one transaction: all are stored or none. */
  async sendBatch(roomId: string, drafts: EventDraft[], setup?: (db: SqlWriter) => void): Promise<PersistedEvent[]> {
    const ts = this.deps.clock.now();
    let result: { event: PersistedEvent; fresh: boolean }[];
    try {
      result = await this.deps.storage.write((db) => {
        try {
          setup?.(db);
          const room = this.chainHead(db, roomId);
          const out: { event: PersistedEvent; fresh: boolean }[] = [];
          // One state cache per batch: persist() forgets entries it changes.
          const state = stateReader(db, roomId, this.stateContents, this.currentStateIds);
          for (const draft of drafts) out.push(this.persist(db, room, state, draft, ts));
          return out;
        } catch (err) {
          // Rolled back to before this write; later writes of the same batch run right after.
          this.forgetChain(roomId);
          throw err;
        }
      });
    } catch (err) {
      // Also when the whole batch was rolled back (a failed journal write) after this write ran.
      this.forgetChain(roomId);
      throw err;
    }
    const fresh = result.filter((r) => r.fresh).map((r) => r.event);
    if (fresh.length) this.afterCommit(fresh);
    return result.map((r) => r.event);
  }

  private chainHead(db: SqlReader, roomId: string): ChainHead {
    let head = this.chainHeads.get(roomId);
    if (!head) {
      const row = roomsRepo.getRoom(db, roomId);
      if (!row) throw errors.notFound('Unknown room');
      head = { room_id: row.room_id, room_version: row.room_version, creator: row.creator, last_pos: row.last_pos, last_event_id: row.last_event_id, last_depth: row.last_depth };
      this.chainHeads.set(roomId, head);
    }
    return head;
  }

  private forgetChain(roomId: string): void {
    this.chainHeads.delete(roomId);
    this.nextPos = null;
  }

  /** The stream position for a new event (events are only ever added by this service). */
  private takePos(db: SqlReader): number {
    this.nextPos ??= eventsRepo.latestStreamPos(db) + 1;
    return this.nextPos++;
  }

  private afterCommit(events: PersistedEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (err) {
        this.deps.log.error('room commit listener failed', err);
      }
    }
    const users = events.filter((e) => e.type === 'm.room.member' && e.stateKey).map((e) => e.stateKey!);
    for (const roomId of new Set(events.map((e) => e.roomId))) this.deps.notifier.notify({ roomId, userIds: users });
  }

  /** Builds, authorises and stores one event. `room` is updated in place to the new chain head. */
  private persist(db: SqlWriter, room: ChainHead, state: StateReader, draft: EventDraft, ts: number): { event: PersistedEvent; fresh: boolean } {
    const version = roomVersion(room.room_version);
    if (!version) throw errors.unknown(`Room ${room.room_id} has unsupported version ${room.room_version}`);
    if (draft.stateKey !== undefined && draft.skipIfUnchanged) {
      const current = state.content(draft.type, draft.stateKey);
      if (current && safeCanonical(current) === safeCanonical(draft.content)) {
        return { event: rowToPersisted(eventsRepo.getEvent(db, state.eventId(draft.type, draft.stateKey)!)!), fresh: false };
      }
    }
    let stored: Inserted;
    try {
      stored = insertEvent(db, this.signer, room, state, draft, ts, version);
    } catch (err) {
      // A repeated transaction ID is looked up only now: the unique index on (sender, device, txn)
      // refused the copy, or the copy was refused (a retry gets the original even if it would no
      // longer be allowed). Nothing was written; the position taken is given back.
      const previous = draft.txn && eventsRepo.findByTxn(db, draft.sender, draft.txn.deviceId, draft.txn.txnId);
      if (!previous) throw err;
      this.nextPos = null;
      return { event: rowToPersisted(previous), fresh: false };
    }
    const { pos, eventId, content, pdu, target } = stored;
    if (draft.stateKey !== undefined) {
      roomsRepo.setCurrentState(db, room.room_id, draft.type, draft.stateKey, eventId, pos);
      state.forget(draft.type, draft.stateKey);
      if (draft.type === 'm.room.member') roomsRepo.setMembership(db, room.room_id, draft.stateKey, String(content.membership), eventId, pos);
    }
    if (target && !target.redacted_by) {
      eventsRepo.markRedacted(db, target.event_id, JSON.stringify(redactEvent(JSON.parse(target.json), version)), eventId);
      this.stateContents.evict(target.event_id);
      if (target.state_key !== null) state.forget(target.type, target.state_key);
    }
    roomsRepo.advanceRoom(db, room.room_id, pos, eventId, room.last_depth + 1);
    room.last_pos = pos;
    this.heads.set(room.room_id, pos);
    room.last_event_id = eventId;
    room.last_depth += 1;

    const event: PersistedEvent = {
      streamPos: pos,
      eventId,
      roomId: room.room_id,
      type: draft.type,
      stateKey: draft.stateKey,
      sender: draft.sender,
      originServerTs: ts,
      content,
      pdu,
    };
    if (this.hooks.length) {
      const view = stateView(db, room, version, state, (d, id) => this.joinedMembersCache.get(d, id));
      for (const hook of this.hooks) hook(db, event, view);
    }
    return { event, fresh: true };
  }
}
